import type { EventKind, LogEvent } from "../events/log-event.js";
import { leadingWords } from "../sessions/transaction-control.js";
import type { EmitEvent, FormatOptions, LogFormat, LogParser } from "./log-format.js";
import {
  commandEvent,
  GENERAL_RECORD_HEAD,
  GENERAL_TIMESTAMP_START,
  isSlowRecordHead,
  serverHeaderLine,
} from "./mysql-log-lines.js";
import { detectByParsing, LineStats } from "./mysql-parsing.js";
import { MysqlTimestampParser } from "./mysql-time.js";

/**
 * The general query log (general_log=ON, log_output=FILE) of MySQL 5.x/8.x, MariaDB and Aurora MySQL: one record per
 * client command, written when the server receives it. See docs/log-formats-mysql.md.
 */
export const mysqlGeneralFormat: LogFormat = {
  id: "mysql-general",
  engine: "mysql",
  detect: (lines) => detectByParsing("mysql-general", new MysqlGeneralParser({ file: "(detection)" }), lines),
  open: (options) => new MysqlGeneralParser(options),
};

/** `user@host on db using TCP/IP`; `user@host as anonymous on db` (MariaDB); `user@host as proxied on db` (MySQL). */
const CONNECT_ARGUMENT = /^(.*)@(\S*)(?: as \S+)? on (\S*)(?: using .*)?$/;
/** ER_ACCESS_DENIED_ERROR (1045) and, with "to database", ER_DBACCESS_DENIED_ERROR (1044). */
const ACCESS_DENIED = /^Access denied for user '((?:[^'\\]|\\.|'')*)'@'([^']*)'(?: to database '([^']*)')?/;
/** Cheap pre-check before looking for SQL-level PREPARE / EXECUTE statements in a query. */
const MAY_PREPARE_OR_EXECUTE = /prepare|execute/i;
/**
 * Thread ids of open sessions are kept to close them when the log shows a server restart, and Connect lines until the
 * thread's next line. A client that vanishes without COM_QUIT leaves no Quit line (nor a next line), so both are
 * capped, oldest dropped, to keep memory flat on long logs.
 */
const MAX_OPEN_THREADS = 100_000;

interface PendingRecord {
  time: number;
  threadId: number;
  command: string;
  /** The argument's lines: a multi-line query continues on the following lines, as the client sent it. */
  parts: string[];
  line: number;
}

interface ConnectedClient {
  user?: string;
  database?: string;
  clientAddress?: string;
}

class MysqlGeneralParser implements LogParser {
  readonly stats = new LineStats();
  private readonly file: string;
  private readonly times: MysqlTimestampParser;
  /** Time of the latest timestamped line, for MariaDB's lines that omit it within the same second. */
  private lastTime = Number.NaN;
  private pending: PendingRecord | undefined;
  /** Inside lines of some other log (a slow log pasted after this one): rejected until the next record head. */
  private foreign = false;
  /**
   * Connect lines whose outcome is not known yet. MariaDB writes `user@host on db` before it checks the password and
   * an `Access denied` Connect line after it when the check fails, so a session is only authorized by its next line.
   */
  private readonly awaitingAuth = new Map<number, ConnectedClient>();
  private readonly openThreads = new Set<number>();
  /**
   * Both servers echo SQL-level prepared statements: `Query PREPARE s FROM '...'` is followed by `Prepare <text>`, and
   * `Query EXECUTE s` by `Execute <text>`. Those echo lines are not client commands; this counts the ones still due.
   */
  private readonly echoesDue = new Map<number, number>();

  constructor(options: FormatOptions) {
    this.file = options.file;
    this.times = new MysqlTimestampParser(options.utcOffsetMinutes ?? 0);
  }

  line(text: string, lineNo: number, emit: EmitEvent): void {
    this.stats.linesRead++;
    const first = text.charCodeAt(0);
    if ((first >= 48 && first <= 57) || first === 9) {
      const head = GENERAL_RECORD_HEAD.exec(text);
      if (head) {
        this.flush(emit);
        this.foreign = false;
        this.startRecord(head, text, lineNo);
        return;
      }
      if (first !== 9 && GENERAL_TIMESTAMP_START.test(text)) {
        this.flush(emit);
        this.stats.notUnderstood(lineNo, "timestamp without a thread id and a known command layout", text);
        return;
      }
    }
    const header = serverHeaderLine(text);
    if (header) {
      this.flush(emit);
      this.foreign = false;
      if (header === "start") this.serverRestarted(lineNo, emit);
      return;
    }
    if (isSlowRecordHead(text)) {
      this.flush(emit);
      this.foreign = true;
      this.stats.notUnderstood(lineNo, "slow query log record in a general query log", text);
      return;
    }
    if (this.foreign) {
      this.stats.notUnderstood(lineNo, "slow query log record in a general query log", text);
    } else if (this.pending) {
      this.pending.parts.push(text);
    } else {
      this.stats.notUnderstood(lineNo, "not a general query log record (no timestamp, thread id and command)", text);
    }
  }

  end(emit: EmitEvent): void {
    this.flush(emit);
  }

  private startRecord(head: RegExpExecArray, text: string, lineNo: number): void {
    const stamp = head[1] ?? head[2];
    if (stamp !== undefined) this.lastTime = this.times.parse(stamp);
    if (Number.isNaN(this.lastTime)) {
      this.stats.notUnderstood(lineNo, "record without a timestamp before it in this file", text);
      return;
    }
    this.pending = {
      time: this.lastTime,
      threadId: Number(head[3]),
      command: head[4]!,
      parts: [text.slice(head[0].length)],
      line: lineNo,
    };
  }

  private flush(emit: EmitEvent): void {
    const record = this.pending;
    if (!record) return;
    this.pending = undefined;
    const argument = record.parts.length === 1 ? record.parts[0]! : record.parts.join("\n");
    const { threadId, command } = record;

    if (command === "Prepare" || command === "Execute") {
      const due = this.echoesDue.get(threadId);
      if (due !== undefined) {
        if (due <= 1) this.echoesDue.delete(threadId);
        else this.echoesDue.set(threadId, due - 1);
        return;
      }
    } else {
      this.echoesDue.delete(threadId);
    }

    if (command === "Connect") {
      this.connect(record, argument, emit);
      return;
    }
    this.authorizeIfAwaited(record, emit);
    switch (command) {
      case "Query": {
        const echoes = sqlPreparedStatementCount(argument);
        if (echoes > 0) this.echoesDue.set(threadId, echoes);
        emit(this.event(record, "statement", { statement: argument, protocol: "simple" }));
        return;
      }
      case "Init DB":
        emit(this.event(record, "other", { database: argument, message: command }));
        return;
      case "Change user":
        emit(this.event(record, "other", { ...parseConnectArgument(argument), message: command }));
        return;
      default: {
        const { kind, ...fields } = commandEvent(command, argument);
        if (kind === "disconnection") this.openThreads.delete(threadId);
        emit(this.event(record, kind, fields));
      }
    }
  }

  private connect(record: PendingRecord, argument: string, emit: EmitEvent): void {
    const { threadId } = record;
    const denied = ACCESS_DENIED.exec(argument);
    if (denied) {
      const attempted = this.awaitingAuth.get(threadId);
      this.awaitingAuth.delete(threadId);
      this.openThreads.delete(threadId);
      const client: ConnectedClient = attempted ?? {
        user: denied[1]!.replace(/''/g, "'"),
        clientAddress: denied[2]!,
        ...(denied[3] === undefined ? {} : { database: denied[3] }),
      };
      if (!attempted) emit(this.event(record, "connection_received", { ...client }));
      emit(
        this.event(record, "error", {
          ...client,
          message: argument,
          errorCode: denied[3] === undefined ? "1045" : "1044",
        }),
      );
      emit(this.event(record, "disconnection", { ...client }));
      return;
    }
    const client = parseConnectArgument(argument);
    if (client.user === undefined) {
      emit(this.event(record, "other", { message: `Connect: ${argument}` }));
      return;
    }
    this.authorizeIfAwaited(record, emit);
    this.awaitingAuth.set(threadId, client);
    dropOldestBeyond(this.awaitingAuth, MAX_OPEN_THREADS);
    this.trackOpen(threadId);
    emit(this.event(record, "connection_received", { ...client }));
  }

  /** The thread's Connect line was not followed by `Access denied`: its session is authorized from this line on. */
  private authorizeIfAwaited(record: PendingRecord, emit: EmitEvent): void {
    const client = this.awaitingAuth.get(record.threadId);
    if (!client) return;
    this.awaitingAuth.delete(record.threadId);
    emit(this.event(record, "connection_authorized", { ...client }));
  }

  private trackOpen(threadId: number): void {
    this.openThreads.delete(threadId);
    this.openThreads.add(threadId);
    dropOldestBeyond(this.openThreads, MAX_OPEN_THREADS);
  }

  /** A new server run: the previous run's sessions ended with it, and its thread ids will be handed out again. */
  private serverRestarted(lineNo: number, emit: EmitEvent): void {
    if (!Number.isNaN(this.lastTime)) {
      for (const threadId of this.openThreads) {
        emit({
          time: this.lastTime,
          backendId: threadId,
          kind: "disconnection",
          message: "server restart",
          source: { file: this.file, line: lineNo },
        });
      }
    }
    this.openThreads.clear();
    this.awaitingAuth.clear();
    this.echoesDue.clear();
  }

  private event(record: PendingRecord, kind: EventKind, fields: Partial<LogEvent>): LogEvent {
    return {
      time: record.time,
      backendId: record.threadId,
      kind,
      ...(kind === "statement" || kind === "prepare" || kind === "execute" ? { loggedAt: "start" as const } : {}),
      ...fields,
      source: { file: this.file, line: record.line },
    };
  }
}

/** Sets and maps iterate in insertion order: the first entries are the oldest. */
function dropOldestBeyond(entries: Set<number> | Map<number, unknown>, limit: number): void {
  while (entries.size > limit) {
    const oldest = entries.keys().next().value;
    if (oldest === undefined) return;
    entries.delete(oldest);
  }
}

function parseConnectArgument(argument: string): ConnectedClient {
  const match = CONNECT_ARGUMENT.exec(argument);
  if (!match) return {};
  return {
    user: match[1]!,
    ...(match[3] === "" ? {} : { database: match[3]! }),
    ...(match[2] === "" ? {} : { clientAddress: match[2]! }),
  };
}

/** How many echo lines the top-level PREPARE / EXECUTE statements of a query make the server write. */
function sqlPreparedStatementCount(sql: string): number {
  if (!MAY_PREPARE_OR_EXECUTE.test(sql)) return 0;
  let count = 0;
  for (const [first, second] of leadingWords(sql, 2, "mysql")) {
    // MariaDB's EXECUTE IMMEDIATE prepares and executes: two echo lines.
    if (first === "execute") count += second === "immediate" ? 2 : 1;
    else if (first === "prepare") count++;
  }
  return count;
}
