/** The database engines proxyfit understands. MariaDB logs count as "mysql". */
export type Engine = "postgresql" | "mysql";

/** The engine as messages name it. */
export const ENGINE_TITLES: Readonly<Record<Engine, string>> = { postgresql: "PostgreSQL", mysql: "MySQL/MariaDB" };

/**
 * What a log line (or record) says happened on one backend. Every log format yields these, so sessions, rules and
 * replay never know where a line came from.
 */
export type EventKind =
  | "connection_received"
  | "connection_authorized"
  | "disconnection"
  | "statement"
  | "parse"
  | "bind"
  | "execute"
  | "prepare"
  | "close_statement"
  | "error"
  | "other";

/** Where an event came from, for error messages and for the "example" fields of the report. */
export interface SourcePosition {
  file: string;
  /** 1-based line of the record's first line. */
  line: number;
}

export interface LogEvent {
  /** Milliseconds since the epoch, UTC; fractional where the log has sub-millisecond precision. */
  time: number;
  /** PostgreSQL backend pid, or MySQL/MariaDB thread (connection) id. */
  backendId: number;
  kind: EventKind;
  user?: string;
  database?: string;
  application?: string;
  clientAddress?: string;
  /**
   * The server's own session identifier when the log carries one (PostgreSQL %c / session_id). It separates two
   * sessions that reused the same pid even when the connection lines were not logged.
   */
  sessionKey?: string;
  /** SQL text for statement / parse / bind / execute / prepare events, exactly as logged (never normalized here). */
  statement?: string;
  /** Server-side duration when the log gives one. */
  durationMs?: number;
  /** "extended" for parse/bind/execute and MySQL binary-protocol prepare/execute; "simple" otherwise. */
  protocol?: "simple" | "extended";
  /** Prepared statement (or portal) name for parse/bind/execute/prepare/close_statement; "" for the unnamed one. */
  statementName?: string;
  /**
   * When the server wrote a statement / parse / bind / execute line: "start" as it began (log_statement, the MySQL
   * general log), "completion" when it ended, with its duration (log_min_duration_statement, the slow log), "error"
   * only as the STATEMENT of a failed one. Coverage inference reads it to tell which setting wrote the log.
   */
  loggedAt?: "start" | "completion" | "error";
  /** Error or other message text (error events). */
  message?: string;
  /** SQLSTATE / MySQL error code, when logged. */
  errorCode?: string;
  source: SourcePosition;
}
