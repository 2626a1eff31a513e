import type { Engine } from "../events/log-event.js";
import type { FormatId, LineProblem } from "../formats/log-format.js";
import type { Recommendation } from "../recommendation/recommendation.js";
import type { ProfileId, RuleId } from "../rules/rulebook.js";

/**
 * The JSON report, the model every renderer (text, markdown, html) and the HTTP API share.
 * Documented by docs/schemas/report.schema.json; keep the two in step.
 */
export interface Report {
  schemaVersion: "1.0";
  tool: { name: "proxyfit"; version: string };
  generatedAt: string;
  engine: Engine;
  profile: ProfileId;
  /** "logs" for `proxyfit assess`, "trial-proxy" for the report the trial proxy writes from live traffic. */
  source: "logs" | "trial-proxy";
  inputs: InputReport[];
  summary: Summary;
  sessions: SessionReport[];
  topPinningStatements: PinningStatement[];
  /** Connection replay: what a transaction-pooling proxy would have needed (issue "Assessor analysis"). */
  replay?: ReplayReport;
  /** The driver / ORM configuration files read (--config), in the order given; absent when none was given. */
  configFiles?: ConfigFileReport[];
  /** Findings from driver / ORM configuration files given with --config. */
  configFindings?: ConfigFinding[];
  costs?: CostComparison;
  recommendation?: Recommendation;
  /** What only the trial proxy sees on the wire (source "trial-proxy" only). */
  trial?: TrialObservations;
}

export interface ConfigFileReport {
  file: string;
  /** The driver / ORM families the file was recognised as (their titles, e.g. "Prisma"). */
  recognisedAs: string[];
  /** How many of configFindings are about this file. */
  findings: number;
}

/** Observations of a trial proxy that no log holds. */
export interface TrialObservations {
  /** Connections refused before login, as RDS Proxy refuses them, by reason. */
  refusedConnections: RefusedConnections[];
  /**
   * Statements and protocol messages that run code the rulebook cannot see into: RDS Proxy does not inspect functions
   * or procedures either (state they change does not pin), so whatever they leave in the session would be shared.
   * Counted while the session is not pinned.
   */
  notInspected: {
    statements: number;
    sessions: number;
    kinds: NotInspectedKind[];
  };
}

export interface RefusedConnections {
  /** "startup_options": the startup packet had an `options` parameter (libpq `options=-c ...`, PGOPTIONS). */
  reason: "startup_options";
  /** The error the client got (FATAL, SQLSTATE 0A000). */
  message: string;
  count: number;
  /** Up to 5 distinct values the clients sent. */
  examples: string[];
}

export interface NotInspectedKind {
  /** do_block: DO; call: CALL of a procedure; function_call: a FunctionCall message of a function outside the rulebook's list. */
  kind: "do_block" | "call" | "function_call";
  statements: number;
  sessions: number;
  /** Up to 5 distinct statements (at most 200 characters each). */
  examples: string[];
}

export interface InputReport {
  file: string;
  format: FormatId;
  /** pg-stderr: the log_line_prefix used, and whether it was detected or given with --prefix. */
  prefix?: string;
  prefixSource?: "detected" | "option";
  syslog?: boolean;
  compressed: boolean;
  bytes: number;
  linesRead: number;
  linesNotUnderstood: number;
  events: number;
  problems: LineProblem[];
  /** What this input's logging settings let it see (docs/report.md#coverage). */
  coverage: InputCoverage;
}

/**
 * What one input could see, inferred from its lines: which statements were logged, whether sessions can be told
 * apart, and what is missing. Counters only; nothing per statement is kept.
 */
export interface InputCoverage {
  /** Every statement the server ran is in this input, and its sessions can be told apart. */
  complete: boolean;
  /**
   * Which statements the input holds: "all"; "mod" / "ddl" (PostgreSQL log_statement = 'mod' | 'ddl': modifications
   * and DDL, or DDL only); "above-threshold" (only statements that ran at least `durationThreshold.estimateMs`:
   * log_min_duration_statement, a slow log's long_query_time); "none".
   */
  statements: "all" | "mod" | "ddl" | "above-threshold" | "none";
  /**
   * Every statement and protocol message that can pin is in the input: statements "all", and not a MySQL slow log
   * (which never holds MariaDB's binary-protocol prepares, and MySQL's only sometimes).
   */
  everyPinningEvent: boolean;
  /** How the statement lines were written. */
  statementLines: {
    /** As the statement began: log_statement, the MySQL general log. */
    atStart: number;
    /** As it ended, with its duration: log_min_duration_statement, the slow log. */
    atCompletion: number;
    /** Only as the STATEMENT of an error (log_min_error_statement). */
    fromErrors: number;
  };
  /** log_statement as the statements logged at their start show it; "none" when none was. */
  loggedAtStart: "all" | "mod" | "ddl" | "none";
  /** The duration threshold the statements logged at completion suggest; absent when none was. */
  durationThreshold?: DurationThreshold;
  /** Share of statements with a duration: "all", "some", "none". */
  durations: "all" | "some" | "none";
  /**
   * Connection lines (PostgreSQL log_connections: the larger of its "connection received" and "connection authorized"
   * counts; MySQL Connect) and disconnection lines (log_disconnections, MySQL Quit).
   */
  connectionLines: number;
  disconnectionLines: number;
  /**
   * How sessions are told apart: connection/disconnection lines; the server's session id (PostgreSQL %c or
   * csvlog/jsonlog session_id, MySQL thread ids, never reused while the server runs); or only a backend pid, which the
   * server reuses.
   */
  sessionsFrom: "connection-lines" | "session-ids" | "backend-ids";
  /** Extended-protocol lines: PostgreSQL parse / bind / execute, MySQL Prepare / Execute. */
  extendedProtocol: { parse: number; bind: number; execute: number };
  /** MySQL / MariaDB: which log this is. */
  mysqlLog?: "general" | "slow";
  /**
   * Measured from this input: statements; log bytes per statement (its SQL plus, per line it takes, the average bytes
   * a line carries besides SQL); statements per second over the input's time span.
   */
  volume: { statements: number; bytesPerStatement: number; statementsPerSecond: number; spanSeconds: number };
  /** What this input cannot see, and the setting that would show it. Empty when complete. */
  missing: string[];
}

export interface DurationThreshold {
  /**
   * The threshold in ms (2 significant digits, rounded down). 0 when the fastest 5% of the statements logged at
   * completion took under 0.5 ms. Otherwise where the bulk of the durations begins: the first tenth of a decade that
   * holds 1% of them (any one below 100 statements), at most their 5th percentile. Both ignore the few faster
   * statements that sampling, log_queries_not_using_indexes or log_slow_admin_statements add, which the minimum would not.
   */
  estimateMs: number;
  /** The shortest duration logged at completion. */
  shortestMs: number;
  /** Statements logged at completion below the estimate. */
  belowEstimate: number;
  method: string;
}

/** What the inputs together could see: decides whether the pin ratio is a point or a range. */
export interface AssessmentCoverage {
  /** Every statement was logged and sessions can be told apart: the pin ratio is exact. */
  complete: boolean;
  /**
   * Every statement and protocol message that can pin was logged (a MySQL slow log beside a complete general log of
   * the same server does not count).
   */
  statementsComplete: boolean;
  /** Sessions none of whose statements were logged are invisible (no connection lines): `sessions` is a lower bound. */
  sessionCountIsLowerBound: boolean;
  /** Sessions in the report of which not one statement was logged (known from connection lines). */
  sessionsWithoutStatements: number;
  /** What the inputs cannot see, and the setting that would show it. */
  missing: string[];
}

export interface Summary {
  sessions: number;
  pinnedSessions: number;
  /**
   * pinnedSessions / sessions under the chosen profile (documented-ambiguous rules pin): exact when coverage is
   * complete, otherwise what the log shows (a lower estimate; see pinRatioRange).
   */
  pinRatio: number;
  /**
   * Complete coverage — min: ambiguous rules do not pin; max: they do (equals pinRatio). Incomplete coverage — the
   * ratios the truth lies between: max covers every session that could have run an unlogged pinning statement.
   */
  pinRatioRange: { min: number; max: number };
  /** What the logs could see (docs/report.md#coverage). */
  coverage: AssessmentCoverage;
  /** Sessions pinned only by documented-ambiguous rules. */
  ambiguousOnlySessions: number;
  transactions: number;
  statements: number;
  /** Statements the real parser could not parse (truncated in the log?) and a lexical scan classified instead. */
  statementsClassifiedLexically: number;
  errors: number;
  firstEventAt?: string;
  lastEventAt?: string;
  pinReasons: PinReasonSummary[];
}

export interface PinReasonSummary {
  rule: RuleId;
  title: string;
  ambiguous: boolean;
  /** Statements (or protocol messages) that matched the rule. */
  count: number;
  /** Sessions in which the rule matched at least once. */
  sessions: number;
  /** Sessions this rule pinned first. */
  firstPinSessions: number;
  remediation: string;
  exampleFingerprints: string[];
}

export interface SessionReport {
  /** Unique within the report: backend id plus start, e.g. "12345@2026-11-24T10:00:00.000Z". */
  id: string;
  /** The PostgreSQL pid or MySQL thread id. */
  backendId: number;
  user?: string;
  database?: string;
  application?: string;
  clientAddress?: string;
  start: string;
  end: string;
  /** How the start and end are known: connection lines, or only the first / last statement seen. */
  startFrom: "connection" | "first-event";
  endFrom: "disconnection" | "last-event";
  transactions: number;
  statements: number;
  errors: number;
  /** Every statement only read (SELECT/SHOW/... without FOR UPDATE, nextval or INTO): a read replica could serve it. */
  readOnly: boolean;
  pinned: boolean;
  /** True when every reason that pinned the session is documented-ambiguous. */
  pinnedOnlyByAmbiguous: boolean;
  /** When the session was first pinned. */
  pinnedAt?: string;
  /** The first reason of each rule in the session, in order. */
  pinReasons: SessionPinReason[];
}

export interface SessionPinReason {
  rule: RuleId;
  at: string;
  /** Normalized (literals replaced). */
  statement: string;
  ambiguous: boolean;
  source: { file: string; line: number };
}

export interface PinningStatement {
  fingerprint: string;
  rule: RuleId;
  /** Normalized text of the first occurrence. */
  statement: string;
  count: number;
  sessions: number;
}

/** Per-second series and peaks of the connection replay. */
export interface ReplayReport {
  /** Width of one bucket of the series, in seconds (1 unless the log spans so long that buckets were widened). */
  bucketSeconds: number;
  /** ISO time of the first bucket. */
  start: string;
  /** Each series has one value per bucket: the maximum inside that bucket. */
  series: {
    clientConnections: number[];
    databaseConnections: number[];
    pinnedConnections: number[];
    waitingClients: number[];
  };
  peaks: { clientConnections: number; databaseConnections: number; pinnedConnections: number };
  p99: { clientConnections: number; databaseConnections: number; pinnedConnections: number };
  /** Client peak / database peak. */
  multiplexingFactor: number;
  /** The target's max_connections, when known. */
  maxConnections?: number;
  maxConnectionsPercent: number;
  /** floor(max_connections * max_connections_percent / 100): what the proxy may open. */
  proxyConnectionLimit?: number;
  borrowWaits: {
    count: number;
    maxWaitMs: number;
    totalWaitMs: number;
    periods: Array<{ start: string; end: string; maxWaitMs: number; waitingClients: number }>;
  };
  /** Without a proxy: every client session holds a server connection for its whole life. */
  baseline: { peakConcurrentSessions: number; at?: string; maxConnections?: number; exceeded: boolean };
  /** What limits the replay's accuracy for these logs (coarse timestamps, no durations), with the setting to change. */
  notes: string[];
}

export interface ConfigFinding {
  /** Stable id, e.g. "config.pgjdbc.prepare_threshold". */
  rule: string;
  /** pin: pins sessions under the chosen profile; break: errors through the proxy; warn: inefficient; info. */
  severity: "pin" | "break" | "warn" | "info";
  file: string;
  line?: number;
  /** The setting as written, e.g. "prepareThreshold=5". */
  setting?: string;
  /** The driver / ORM family the file was recognised as. */
  family: string;
  message: string;
  fix: string;
}

export interface CostComparison {
  currency: "USD";
  hoursPerMonth: number;
  priceSource: { kind: "built-in" | "price-list-api"; asOf: string; region: string };
  options: CostOption[];
  /** Options that could not be priced, and why. */
  notes: string[];
}

export interface CostOption {
  option: "rds-proxy" | "self-hosted-pooler" | "no-proxy";
  monthlyUsd: number;
  summary: string;
  lineItems: Array<{ item: string; quantity: number; unit: string; unitUsd: number; monthlyUsd: number }>;
}
