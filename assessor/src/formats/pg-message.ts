import type { EventKind, LogEvent } from "../events/log-event.js";
import type { FormatOptions, ParserStats } from "./log-format.js";
import { PgTimestampParser } from "./pg-time.js";

/**
 * One PostgreSQL log record, whatever the format wrote it: what stderr prefixes, csvlog columns and jsonlog keys have
 * in common. stderr gives STATEMENT / DETAIL as records of their own; csvlog and jsonlog carry them as fields.
 */
export interface PgRecord {
  /** Milliseconds since the epoch (NaN when the format did not carry a time). */
  time: number;
  /** Backend pid (NaN when unknown). */
  pid: number;
  user: string | undefined;
  database: string | undefined;
  application: string | undefined;
  clientAddress: string | undefined;
  sessionKey: string | undefined;
  /** LOG, ERROR, FATAL, ..., and in stderr logs also STATEMENT, DETAIL, HINT, CONTEXT, QUERY, LOCATION. */
  severity: string;
  /** SQLSTATE when the format carries it (%e, csvlog, jsonlog); "00000" for non-errors. */
  sqlstate: string | undefined;
  message: string;
  /** csvlog / jsonlog: the statement an error was raised in (what stderr writes as a STATEMENT record). */
  statement: string | undefined;
  line: number;
}

/** A statement the server ran (simple query) or an extended-protocol step of one. */
export interface StatementMessage {
  kind: "statement" | "parse" | "bind" | "execute";
  text: string;
  statementName?: string;
  durationMs?: number;
}

/** What a LOG message body says, independent of the record around it. */
export type PgMessage =
  | StatementMessage
  | { kind: "duration"; durationMs: number }
  | { kind: "connection_received"; host: string }
  | { kind: "connection_authorized"; user?: string; database?: string; application?: string }
  | { kind: "disconnection"; user?: string; database?: string; host?: string }
  | { kind: "other" };

const OTHER: PgMessage = { kind: "other" };

/**
 * Parses the body of a LOG message: the statement logging of log_statement and log_min_duration_statement, and the
 * lines of log_connections / log_disconnections. Everything else is "other".
 */
export function parsePgMessage(message: string): PgMessage {
  switch (message.charCodeAt(0)) {
    case 115 /* s */:
      return message.startsWith("statement: ") ? { kind: "statement", text: message.slice(11) } : OTHER;
    case 100 /* d */:
      if (message.startsWith("duration: ")) return parseDuration(message);
      if (message.startsWith("disconnection: ")) return parseDisconnection(message);
      return OTHER;
    case 101 /* e */:
    case 112 /* p */:
    case 98 /* b */:
      return parseProtocolStatement(message, 0) ?? OTHER;
    case 99 /* c */:
      if (message.startsWith("connection received: ")) return parseConnectionReceived(message);
      if (message.startsWith("connection authorized: ")) return parseConnectionAuthorized(message);
      return OTHER;
    default:
      return OTHER;
  }
}

/** "duration: 1.234 ms", optionally followed by "  statement: ..." or "  execute <name>: ...". */
function parseDuration(message: string): PgMessage {
  const msAt = message.indexOf(" ms", 10);
  if (msAt < 0) return OTHER;
  const durationMs = decimal(message, 10, msAt);
  if (Number.isNaN(durationMs)) return OTHER;
  const rest = msAt + 3;
  if (rest >= message.length) return { kind: "duration", durationMs };
  // Two spaces separate the duration from what was run; "  plan:" (auto_explain) and others are not statements.
  if (message.startsWith("  statement: ", rest)) {
    return { kind: "statement", text: message.slice(rest + 13), durationMs };
  }
  const statement = parseProtocolStatement(message, rest + 2);
  if (!statement) return OTHER;
  statement.durationMs = durationMs;
  return statement;
}

/**
 * The number written in text[start, end), exactly as Number() reads it, without cutting it out first. Up to 15
 * digits with at most one point are computed here: an integer divided by a power of ten, both exact, rounds to the
 * same double as the decimal itself. Anything else goes to Number().
 */
function decimal(text: string, start: number, end: number): number {
  let value = 0;
  let scale = 1;
  let point = false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      if (point) scale *= 10;
    } else if (code === 46 /* . */ && !point) {
      point = true;
    } else {
      return Number(text.slice(start, end));
    }
  }
  const digits = end - start - (point ? 1 : 0);
  return digits > 0 && digits <= 15 ? value / scale : Number(text.slice(start, end));
}

/**
 * "parse <name>: SQL", "bind <name>[/<portal>]: SQL", "execute [fetch from ]<name>[/<portal>]: SQL" as written by
 * postgres.c for the extended query protocol; "<unnamed>" is the unnamed statement.
 */
function parseProtocolStatement(message: string, at: number): StatementMessage | undefined {
  let kind: "parse" | "bind" | "execute";
  let nameAt: number;
  if (message.startsWith("execute ", at)) {
    kind = "execute";
    nameAt = message.startsWith("fetch from ", at + 8) ? at + 19 : at + 8;
  } else if (message.startsWith("parse ", at)) {
    kind = "parse";
    nameAt = at + 6;
  } else if (message.startsWith("bind ", at)) {
    kind = "bind";
    nameAt = at + 5;
  } else {
    return undefined;
  }
  const colon = message.indexOf(": ", nameAt);
  if (colon < 0) return undefined;
  let name = message.slice(nameAt, colon);
  const portal = name.indexOf("/");
  if (portal >= 0) name = name.slice(0, portal);
  return { kind, text: message.slice(colon + 2), statementName: name === "<unnamed>" ? "" : name };
}

/** "connection received: host=10.0.0.5 port=50012" or "host=[local]". */
function parseConnectionReceived(message: string): PgMessage {
  const host = keyword(message, "host=");
  return { kind: "connection_received", host: host ?? "" };
}

/**
 * "connection authorized: user=app database=shop application_name=psql" — PostgreSQL 15 may append
 * " SSL enabled (protocol=..., cipher=..., bits=...)" or " GSS (authenticated=..., ...)", and the application name
 * (which may contain spaces) runs up to those.
 */
function parseConnectionAuthorized(message: string): PgMessage {
  let application: string | undefined;
  const appAt = message.indexOf(" application_name=");
  if (appAt >= 0) {
    let end = message.length;
    for (const suffix of [" SSL enabled (", " GSS ("]) {
      const at = message.indexOf(suffix, appAt);
      if (at >= 0 && at < end) end = at;
    }
    application = message.slice(appAt + 18, end);
  }
  return {
    kind: "connection_authorized",
    user: keyword(message, "user="),
    database: keyword(message, "database="),
    application,
  };
}

/** "disconnection: session time: 0:00:01.234 user=app database=shop host=10.0.0.5 port=50012". */
function parseDisconnection(message: string): PgMessage {
  return {
    kind: "disconnection",
    user: keyword(message, "user="),
    database: keyword(message, "database="),
    host: keyword(message, "host="),
  };
}

/** The value of " key=value" up to the next space. */
function keyword(message: string, key: string): string | undefined {
  let at = message.indexOf(` ${key}`);
  if (at < 0) return undefined;
  at += key.length + 1;
  const end = message.indexOf(" ", at);
  return message.slice(at, end < 0 ? message.length : end);
}

interface PendingEvent {
  event: LogEvent;
  /** A statement logged when it started (log_statement): its duration line may follow. */
  awaitingDuration: boolean;
  /** For an error: the text of the statement that was logged at its start and failed, if any. */
  failedStatement?: string;
}

/**
 * Turns PostgreSQL records into events, holding back per backend only what the next record of that backend can
 * complete:
 * - a statement logged at its start (log_statement=all) waits for the bare "duration: N ms" line that
 *   log_min_duration_statement writes when it completes;
 * - an error waits for its STATEMENT record. STATEMENT repeats the failed statement: when log_statement had already
 *   logged it, it is not counted again; when nothing had (log_min_duration_statement logs only completed statements),
 *   it is the only trace of the statement and becomes a statement event.
 * Events of lines written at completion (a duration with its statement) are timed at the statement's start.
 */
export class PgEventAssembler {
  private readonly pending = new Map<number, PendingEvent>();

  constructor(private readonly file: string) {}

  record(record: PgRecord, emit: (event: LogEvent) => void): void {
    const pid = record.pid;
    switch (record.severity) {
      case "LOG":
        this.logMessage(record, emit);
        return;
      case "ERROR":
      case "FATAL":
      case "PANIC": {
        const previous = this.pending.get(pid);
        let failedStatement: string | undefined;
        if (previous) {
          this.pending.delete(pid);
          emit(previous.event);
          if (previous.awaitingDuration) failedStatement = previous.event.statement;
        }
        const error = this.event(record, "error", record.time);
        error.message = record.message;
        if (record.sqlstate !== undefined && record.sqlstate !== "00000") error.errorCode = record.sqlstate;
        if (record.statement !== undefined) {
          this.attachStatement(error, record.statement, failedStatement, record, emit);
          emit(error);
        } else {
          this.pending.set(pid, { event: error, awaitingDuration: false, failedStatement });
        }
        return;
      }
      case "STATEMENT": {
        const previous = this.pending.get(pid);
        if (previous?.event.kind === "error") {
          this.pending.delete(pid);
          this.attachStatement(previous.event, record.message, previous.failedStatement, record, emit);
          emit(previous.event);
        }
        return;
      }
      default:
        // DETAIL (bind parameters, the PREPARE behind an EXECUTE), HINT, CONTEXT, QUERY, LOCATION, NOTICE, WARNING,
        // INFO, DEBUG: nothing a session needs.
        return;
    }
  }

  /** End of input: emits what is still held back. */
  end(emit: (event: LogEvent) => void): void {
    for (const pending of this.pending.values()) emit(pending.event);
    this.pending.clear();
  }

  private logMessage(record: PgRecord, emit: (event: LogEvent) => void): void {
    const message = parsePgMessage(record.message);
    const pid = record.pid;
    switch (message.kind) {
      case "other":
        // Kept pending: lines such as "temporary file: ..." are written while a statement runs, before its duration.
        return;
      case "duration": {
        const previous = this.pending.get(pid);
        if (previous?.awaitingDuration) {
          this.pending.delete(pid);
          previous.event.durationMs = message.durationMs;
          emit(previous.event);
        }
        return;
      }
      case "statement":
      case "parse":
      case "bind":
      case "execute": {
        this.flush(pid, emit);
        const duration = message.durationMs;
        const event = this.event(record, message.kind, duration === undefined ? record.time : record.time - duration);
        event.statement = message.text;
        event.protocol = message.kind === "statement" ? "simple" : "extended";
        if (message.statementName !== undefined) event.statementName = message.statementName;
        if (duration === undefined) {
          event.loggedAt = "start";
          this.pending.set(pid, { event, awaitingDuration: true });
        } else {
          event.loggedAt = "completion";
          event.durationMs = duration;
          emit(event);
        }
        return;
      }
      case "connection_received": {
        this.flush(pid, emit);
        const event = this.event(record, "connection_received", record.time);
        event.clientAddress = message.host || record.clientAddress;
        emit(event);
        return;
      }
      case "connection_authorized":
      case "disconnection": {
        this.flush(pid, emit);
        const event = this.event(record, message.kind, record.time);
        event.user = message.user ?? record.user;
        event.database = message.database ?? record.database;
        if (message.kind === "connection_authorized") event.application = message.application ?? record.application;
        else event.clientAddress = message.host ?? record.clientAddress;
        emit(event);
        return;
      }
    }
  }

  private attachStatement(
    error: LogEvent,
    text: string,
    failedStatement: string | undefined,
    record: PgRecord,
    emit: (event: LogEvent) => void,
  ): void {
    error.statement = text;
    if (failedStatement === text) return;
    const statement = this.event(record, "statement", error.time);
    statement.statement = text;
    statement.loggedAt = "error";
    statement.source = error.source;
    emit(statement);
  }

  private flush(pid: number, emit: (event: LogEvent) => void): void {
    const previous = this.pending.get(pid);
    if (previous) {
      this.pending.delete(pid);
      emit(previous.event);
    }
  }

  private event(record: PgRecord, kind: EventKind, time: number): LogEvent {
    return {
      time,
      backendId: record.pid,
      kind,
      user: record.user,
      database: record.database,
      application: record.application,
      clientAddress: record.clientAddress,
      sessionKey: record.sessionKey,
      statement: undefined,
      durationMs: undefined,
      protocol: undefined,
      statementName: undefined,
      loggedAt: undefined,
      message: undefined,
      errorCode: undefined,
      source: { file: this.file, line: record.line },
    };
  }
}

/** "[unknown]" (and empty) is what PostgreSQL prints for a user, database or application not known yet. */
export function knownName(value: string | undefined): string | undefined {
  return value === undefined || value === "" || value === "[unknown]" ? undefined : value;
}

/** Strips the port from "host(port)" (%r) and "host:port" (csvlog connection_from). */
export function hostOnly(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const paren = value.indexOf("(");
  if (paren > 0) return value.slice(0, paren);
  return value;
}

/** At most this many problems are kept as samples; all are counted. */
const MAX_PROBLEM_SAMPLES = 20;

/** Counts a line the parser could not use, keeping the first few as samples for the report. */
export function countProblem(stats: ParserStats, line: number, reason: string, text: string): void {
  stats.linesNotUnderstood++;
  if (stats.problems.length < MAX_PROBLEM_SAMPLES) stats.problems.push({ line, reason, text: text.slice(0, 200) });
}

export function emptyStats(): ParserStats {
  return { linesRead: 0, linesNotUnderstood: 0, problems: [] };
}

/**
 * A timestamp parser that reads unknown zone abbreviations with the --utc-offset option (default UTC) and says so once
 * per abbreviation among the problems; the lines themselves are understood, so they are not counted.
 */
export function timestampParser(options: FormatOptions, stats: ParserStats, line: () => number): PgTimestampParser {
  const offset = options.utcOffsetMinutes ?? 0;
  return new PgTimestampParser(offset, (zone) => {
    if (stats.problems.length >= MAX_PROBLEM_SAMPLES) return;
    stats.problems.push({
      line: line(),
      reason: `unknown time zone abbreviation "${zone}": times read as UTC${offset === 0 ? "" : `${offset >= 0 ? "+" : ""}${offset} min`}`,
      text: zone,
    });
  });
}
