import type { LogEvent } from "../events/log-event.js";
import type { EmitEvent, FormatOptions, LogFormat, LogParser } from "./log-format.js";
import { commandEvent, GENERAL_RECORD_HEAD, serverHeaderLine } from "./mysql-log-lines.js";
import { detectByParsing, LineStats } from "./mysql-parsing.js";
import { MysqlTimestampParser } from "./mysql-time.js";

/**
 * The slow query log (slow_query_log=ON, log_output=FILE; long_query_time=0 logs every statement) of MySQL 5.x/8.x,
 * Percona Server, MariaDB and Aurora MySQL. A record is a block of `#` header lines, optional `use db;` and
 * `SET timestamp=N;` lines, then the statement, to which the server appends ";". See docs/log-formats-mysql.md.
 */
export const mysqlSlowFormat: LogFormat = {
  id: "mysql-slow",
  engine: "mysql",
  detect: (lines) => detectByParsing("mysql-slow", new MysqlSlowParser({ file: "(detection)" }), lines),
  open: (options) => new MysqlSlowParser(options),
};

/**
 * `# User@Host: priv_user[user] @ host [ip]`, then `  Id: N` in MySQL 5.6+ and Percona (MariaDB writes the thread id
 * on its own `# Thread_id:` line). Groups: 1 account, 2 login user, 3 host, 4 ip, 5 thread id.
 */
const USER_HOST = /^# User@Host: ([^[]*)\[([^\]]*)\] @ ?(\S*) \[([^\]]*)\](?:\s+Id:\s*(\d+))?/;
/** MySQL writes `use db;` when the database differs from the previous record's; MariaDB quotes it with backticks. */
const USE_DATABASE = /^use (`?)(.+)\1;$/;
/** `SET timestamp=N;`, with `last_insert_id=N,insert_id=N,` before it when the statement used them. */
const SET_TIMESTAMP = /^SET (?:last_insert_id=-?\d+,)?(?:insert_id=-?\d+,)?timestamp=(\d+);$/;
const ADMINISTRATOR_COMMAND = "# administrator command: ";

interface SlowRecord {
  /** First line of the record (`# Time:` when it opened it, else `# User@Host:`). */
  line: number;
  /** "headers" until `SET timestamp`, "statement-next" right after it, "statement" from the statement's first line. */
  state: "headers" | "statement-next" | "statement";
  /** This record's own `# Time:` when it is an absolute time (ISO 8601 with a zone): then the statement's end. */
  endTime?: number;
  hasUserHost: boolean;
  user?: string;
  clientAddress?: string;
  threadId?: number;
  /** From `# Schema:` / `Schema:` (MariaDB, Percona); "" when the header is there but the session had no database. */
  schema?: string;
  queryTimeMs?: number;
  errno?: string;
  /** `Start:` of MySQL 8's log_slow_extra: the statement's start with microseconds. */
  start?: number;
  setTimestamp?: number;
  lines: string[];
}

class MysqlSlowParser implements LogParser {
  readonly stats = new LineStats();
  private readonly file: string;
  private readonly times: MysqlTimestampParser;
  private record: SlowRecord | undefined;
  /** The latest `# Time:`: MariaDB and MySQL 5.6 write it only when the second changes. */
  private lastTime = Number.NaN;
  /** The latest `use db;`: MySQL writes it only when the database changes, so it holds for the records after it. */
  private lastDatabase: string | undefined;
  /** Inside lines of some other log (a general log pasted after this one): rejected until the next record head. */
  private foreign = false;

  constructor(options: FormatOptions) {
    this.file = options.file;
    this.times = new MysqlTimestampParser(options.utcOffsetMinutes ?? 0);
  }

  line(text: string, lineNo: number, emit: EmitEvent): void {
    this.stats.linesRead++;
    const record = this.record;
    if (text.charCodeAt(0) === 35 /* # */) {
      if (text.startsWith("# Time: ")) {
        this.finish(emit);
        this.foreign = false;
        this.time(text.slice(8).trim(), lineNo);
        return;
      }
      if (text.startsWith("# User@Host: ")) {
        if (record && (record.state !== "headers" || record.hasUserHost)) this.finish(emit);
        this.foreign = false;
        this.userHost(text, lineNo);
        return;
      }
      // Right after SET timestamp, a "#" line is the statement (`# administrator command: ...`, or a comment).
      if (record?.state === "headers") {
        if (text.startsWith(ADMINISTRATOR_COMMAND)) {
          record.state = "statement";
          record.lines.push(text);
        } else {
          readHeaderFields(text, record, this.times);
        }
        return;
      }
    }
    const header = serverHeaderLine(text);
    if (header) {
      this.finish(emit);
      this.foreign = false;
      if (header === "start") this.lastDatabase = undefined;
      return;
    }
    if (this.foreign) {
      this.stats.notUnderstood(lineNo, "general query log record in a slow query log", text);
      return;
    }
    if (isGeneralRecord(text)) {
      this.finish(emit);
      this.foreign = true;
      this.stats.notUnderstood(lineNo, "general query log record in a slow query log", text);
      return;
    }
    if (!record) {
      this.stats.notUnderstood(lineNo, "statement outside a slow log record (no # User@Host: header before it)", text);
      return;
    }
    if (record.state === "headers") {
      const use = USE_DATABASE.exec(text);
      if (use) {
        this.lastDatabase = use[2]!;
        return;
      }
      const timestamp = SET_TIMESTAMP.exec(text);
      if (timestamp) {
        record.setTimestamp = Number(timestamp[1]) * 1000;
        record.state = "statement-next";
        return;
      }
    }
    record.state = "statement";
    record.lines.push(text);
  }

  end(emit: EmitEvent): void {
    this.finish(emit);
  }

  private time(stamp: string, lineNo: number): void {
    const time = this.times.parse(stamp);
    if (Number.isNaN(time)) {
      this.stats.notUnderstood(lineNo, "# Time: is neither ISO 8601 nor YYMMDD HH:MM:SS", stamp);
      return;
    }
    this.lastTime = time;
    this.record = newRecord(lineNo);
    if (stamp.includes("T") && /(?:Z|[+-]\d{2}:?\d{2})$/.test(stamp)) this.record.endTime = time;
  }

  private userHost(text: string, lineNo: number): void {
    const record = this.record ?? newRecord(lineNo);
    this.record = record;
    record.hasUserHost = true;
    const match = USER_HOST.exec(text);
    if (!match) {
      this.stats.notUnderstood(lineNo, "# User@Host: is not user[user] @ host [ip]", text);
      return;
    }
    const user = match[2] || match[1]!.trim();
    if (user !== "") record.user = user;
    const address = match[4] || match[3];
    if (address) record.clientAddress = address;
    if (match[5] !== undefined) record.threadId = Number(match[5]);
  }

  private finish(emit: EmitEvent): void {
    const record = this.record;
    if (!record) return;
    this.record = undefined;
    if (record.lines.length === 0) {
      this.stats.notUnderstood(record.line, "slow log record without a statement", "");
      return;
    }
    if (record.threadId === undefined) {
      this.stats.notUnderstood(
        record.line,
        "slow log record without a thread id (MySQL 5.5 and older do not log Id:)",
        record.lines[0]!,
      );
      return;
    }
    const time = startTime(record, this.lastTime);
    if (time === undefined) {
      this.stats.notUnderstood(record.line, "slow log record without # Time: or SET timestamp", record.lines[0]!);
      return;
    }
    let text = record.lines.length === 1 ? record.lines[0]! : record.lines.join("\n");
    // The server appends ";" to every statement; a record cut short at the end of the file has none.
    if (text.endsWith(";")) text = text.slice(0, -1);
    const database = record.schema ?? this.lastDatabase;
    const event: LogEvent = {
      time,
      backendId: record.threadId,
      ...(text.startsWith(ADMINISTRATOR_COMMAND)
        ? commandEvent(text.slice(ADMINISTRATOR_COMMAND.length), "")
        : { kind: "statement", statement: text, protocol: "simple", loggedAt: "completion" }),
      ...(record.user === undefined ? {} : { user: record.user }),
      ...(database === undefined || database === "" ? {} : { database }),
      ...(record.clientAddress === undefined ? {} : { clientAddress: record.clientAddress }),
      ...(record.queryTimeMs === undefined ? {} : { durationMs: record.queryTimeMs }),
      source: { file: this.file, line: record.line },
    };
    emit(event);
    if (record.errno !== undefined && record.errno !== "0") {
      emit({
        time,
        backendId: record.threadId,
        kind: "error",
        errorCode: record.errno,
        message: `statement failed with error ${record.errno}`,
        ...(record.user === undefined ? {} : { user: record.user }),
        source: event.source,
      });
    }
  }
}

function newRecord(line: number): SlowRecord {
  return { line, state: "headers", hasUserHost: false, lines: [] };
}

/** A general log record head (not a timestamp-like first line of a multi-line statement: it needs the command too). */
function isGeneralRecord(text: string): boolean {
  const first = text.charCodeAt(0);
  return ((first >= 48 && first <= 57) || first === 9) && GENERAL_RECORD_HEAD.test(text);
}

/**
 * When the statement started, from the most precise source the record has:
 * 1. `Start:` (MySQL 8.0.14+ with log_slow_extra);
 * 2. the record's own `# Time:` in ISO 8601 with a zone (MySQL 5.7+), which is when the statement ended, minus
 *    Query_time;
 * 3. `SET timestamp=N;` (whole seconds: the start in MariaDB and MySQL 8.0.14+, the end in older MySQL);
 * 4. the latest `# Time:` (whole seconds, server local time).
 */
function startTime(record: SlowRecord, lastTime: number): number | undefined {
  if (record.start !== undefined) return record.start;
  if (record.endTime !== undefined && record.queryTimeMs !== undefined) return record.endTime - record.queryTimeMs;
  if (record.setTimestamp !== undefined) return record.setTimestamp;
  return Number.isNaN(lastTime) ? undefined : lastTime;
}

/**
 * Reads the fields proxyfit uses from the `#` header lines that carry them: `# Thread_id: 8  Schema: db  QC_hit: No`
 * (MariaDB), `# Schema: db  Last_errno: 0  Killed: 0` (Percona), `# Query_time: 0.000108  Lock_time: ...` with, in
 * MySQL 8's log_slow_extra, `Thread_id: 8 Errno: 0 ... Start: <ISO> End: <ISO>` on the same line. Other header lines
 * (`# Rows_affected:`, `# explain:`, `# Full_scan:`, profiling) are skipped without being split.
 */
function readHeaderFields(text: string, record: SlowRecord, times: MysqlTimestampParser): void {
  if (!(text.startsWith("# Query_time:") || text.startsWith("# Thread_id:") || text.startsWith("# Schema:"))) return;
  const tokens = text.slice(2).split(/\s+/);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.endsWith(":")) continue;
    const next = tokens[i + 1];
    const value = next === undefined || next.endsWith(":") ? "" : next;
    switch (token) {
      case "Thread_id:":
        if (/^\d+$/.test(value)) record.threadId = Number(value);
        break;
      case "Schema:":
        record.schema = value;
        break;
      case "Query_time:": {
        const seconds = Number(value);
        // Microsecond resolution, without binary floating-point noise (0.000021 s is 0.021 ms, not 0.020999…).
        if (value !== "" && Number.isFinite(seconds)) record.queryTimeMs = Math.round(seconds * 1e6) / 1000;
        break;
      }
      case "Errno:":
        if (value !== "") record.errno = value;
        break;
      case "Start:": {
        const start = times.parse(value);
        if (!Number.isNaN(start)) record.start = start;
        break;
      }
    }
  }
}
