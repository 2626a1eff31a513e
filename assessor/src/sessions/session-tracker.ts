import type { Engine, LogEvent } from "../events/log-event.js";
import type { SessionPinReason, SessionReport } from "../report/report.js";
import type { PinFinding, StatementToClassify } from "../rules/rulebook.js";
import { IsoTimes } from "./iso-time.js";
import { isReadOnly, type TransactionEffect, transactionEffects } from "./transaction-control.js";

/** What the tracker needs from the rulebook: findings for one statement or protocol message. */
export type ClassifyStatement = (statement: StatementToClassify) => readonly PinFinding[];

/** Told of every pin finding, for the report's rule and statement tallies. */
export interface PinListener {
  finding(finding: PinFinding, event: LogEvent, session: OpenSession, firstOfRuleInSession: boolean): void;
}

/**
 * Told when a session needs a database connection under transaction pooling (from the start of a transaction or an
 * autocommit statement until its end) and when it is pinned: the connection replay builds its timeline from these.
 * Calls come in the order things happened within a session.
 */
export interface SessionTimelineListener {
  opened(session: OpenSession, at: number): void;
  borrowed(session: OpenSession, at: number): void;
  released(session: OpenSession, at: number): void;
  pinned(session: OpenSession, at: number): void;
  closed(session: OpenSession, at: number): void;
}

export interface OpenSession {
  serial: number;
  backendId: number;
  sessionKey?: string;
  user?: string;
  database?: string;
  application?: string;
  clientAddress?: string;
  start: number;
  startFrom: "connection" | "first-event";
  /** End of the latest thing seen: event time plus its duration. */
  lastActivity: number;
  /**
   * Where the session's timeline stands: the end of its last statement as laid out for the replay. A session runs
   * one statement at a time, so the next one cannot start before this, even when coarse log timestamps say so.
   */
  timelineAt: number;
  authorized: boolean;
  transactions: number;
  statements: number;
  errors: number;
  /** Set by the first statement that may write. */
  wrote: boolean;
  inTransactionSince?: number;
  autocommit: boolean;
  pinnedAt?: number;
  /** True once any reason that is not documented-ambiguous has pinned the session. */
  pinnedUnambiguously: boolean;
  pinReasons: SessionPinReason[];
  rules: Set<string>;
  /** Extended-protocol statement names whose Parse was seen, to tell an execute with an unlogged Parse. */
  parsedNames: Set<string>;
}

/**
 * Rebuilds client sessions from events: one open session per backend id; connection lines, a changed session key
 * or a reused pid start a new one. Inside each: transactions (explicit and implicit) and statements.
 */
export class SessionTracker {
  private readonly open = new Map<number, OpenSession>();
  private serial = 0;
  private normalize: (sql: string) => string = (sql) => sql;
  private readonly times = new IsoTimes();
  private readonly names = new SharedNames();
  private readonly lastText = new LastTextFacts();

  constructor(
    private readonly engine: Engine,
    private readonly classify: ClassifyStatement,
    private readonly onClose: (session: SessionReport, state: OpenSession) => void,
    private readonly pins?: PinListener,
    private readonly timeline?: SessionTimelineListener,
  ) {}

  /** Sessions open now: one per backend id seen and not yet closed. */
  get openSessions(): number {
    return this.open.size;
  }

  /** Normalizes statements kept in pin reasons (literals replaced). */
  useNormalizer(normalize: (sql: string) => string): void {
    this.normalize = normalize;
  }

  add(event: LogEvent): void {
    switch (event.kind) {
      case "connection_received":
        this.close(event.backendId, event.time, "last-event");
        this.start(event, "connection");
        return;
      case "connection_authorized": {
        const current = this.open.get(event.backendId);
        if (!current || current.authorized || current.statements > 0 || this.keyChanged(current, event)) {
          this.close(event.backendId, event.time, "last-event");
          this.start(event, "connection").authorized = true;
        } else {
          current.authorized = true;
          this.fill(current, event);
        }
        return;
      }
      case "disconnection": {
        const session = this.open.get(event.backendId);
        if (session && !this.keyChanged(session, event)) {
          this.fill(session, event);
          this.close(event.backendId, Math.max(event.time, session.lastActivity), "disconnection");
        }
        return;
      }
      case "other":
        return;
      case "error": {
        const session = this.open.get(event.backendId);
        if (session && !this.keyChanged(session, event)) {
          session.errors++;
          this.touch(session, event);
        } else if (event.statement !== undefined || event.user !== undefined) {
          this.sessionFor(event).errors++;
        }
        return;
      }
      default:
        this.statementEvent(this.sessionFor(event), event);
    }
  }

  /**
   * Closes every session still open at the end of the input. The report ends each at its last activity; the
   * timeline keeps it connected until `endOfLog`, since a session with no disconnection line was still open then.
   */
  finish(endOfLog?: number): void {
    for (const session of [...this.open.values()]) {
      this.close(session.backendId, session.lastActivity, "last-event", endOfLog);
    }
  }

  private statementEvent(session: OpenSession, event: LogEvent): void {
    this.fill(session, event);
    this.touch(session, event);
    const text = event.statement ?? "";
    switch (event.kind) {
      case "parse":
      case "prepare":
        if (event.protocol === "extended" || event.kind === "parse") {
          rememberParsed(session, event.statementName ?? "");
          this.record(session, event, { text, via: "parse", statementName: event.statementName ?? "" });
        } else {
          this.record(session, event, { text, via: "simple" });
        }
        return;
      case "bind":
      case "close_statement":
        return;
      case "execute":
        // Logs written with log_statement=all show only the execute of an extended-protocol statement; its Parse
        // happened all the same, and pins under the pre-2023 profile.
        if (event.protocol !== "simple" && !session.parsedNames.has(event.statementName ?? "")) {
          rememberParsed(session, event.statementName ?? "");
          this.record(session, event, { text, via: "parse", statementName: event.statementName ?? "" }, true);
        }
        this.runStatement(session, event, { text, via: "execute", statementName: event.statementName ?? "" });
        return;
      default:
        this.runStatement(session, event, { text, via: "simple" });
    }
  }

  private runStatement(session: OpenSession, event: LogEvent, statement: StatementToClassify): void {
    session.statements++;
    if (!session.wrote && !this.lastText.readOnly(statement.text)) session.wrote = true;
    const from = Math.max(event.time, session.timelineAt);
    const to = from + (event.durationMs ?? 0);
    session.timelineAt = to;
    let releaseAt: number | undefined;
    for (const effect of this.lastText.effects(statement.text, this.engine)) {
      if (effect === "begin" && session.inTransactionSince === undefined) {
        session.inTransactionSince = from;
        session.transactions++;
        this.timeline?.borrowed(session, from);
      } else if ((effect === "commit" || effect === "rollback") && session.inTransactionSince !== undefined) {
        session.inTransactionSince = undefined;
        releaseAt = to;
      } else if (effect === "autocommit-off") {
        session.autocommit = false;
      } else if (effect === "autocommit-on") {
        session.autocommit = true;
      }
    }
    if (session.inTransactionSince === undefined && releaseAt === undefined) {
      session.transactions++;
      this.timeline?.borrowed(session, from);
      if (session.autocommit) releaseAt = to;
      // MySQL with autocommit=0: the first statement opens a transaction that lasts until COMMIT or ROLLBACK.
      else session.inTransactionSince = from;
    }
    this.record(session, event, statement);
    if (releaseAt !== undefined) this.timeline?.released(session, releaseAt);
  }

  private record(session: OpenSession, event: LogEvent, statement: StatementToClassify, protocolOnly = false): void {
    const findings = this.classify(statement);
    for (const finding of findings) {
      if (protocolOnly && statement.via === "parse" && !isProtocolRule(finding.rule)) continue;
      const first = !session.rules.has(finding.rule);
      this.pins?.finding(finding, event, session, first);
      if (first) {
        session.rules.add(finding.rule);
        session.pinReasons.push({
          rule: finding.rule,
          at: this.times.format(event.time),
          statement: this.normalize(statement.text),
          ambiguous: finding.ambiguous,
          source: event.source,
        });
      }
      if (session.pinnedAt === undefined) {
        session.pinnedAt = event.time;
        // On the session's own timeline, which coarse log times can put behind its previous statement's end.
        this.timeline?.pinned(session, Math.max(event.time, session.timelineAt));
      }
      if (!finding.ambiguous) session.pinnedUnambiguously = true;
    }
  }

  private sessionFor(event: LogEvent): OpenSession {
    const current = this.open.get(event.backendId);
    if (current && !this.keyChanged(current, event)) return current;
    this.close(event.backendId, event.time, "last-event");
    return this.start(event, "first-event");
  }

  private keyChanged(session: OpenSession, event: LogEvent): boolean {
    return event.sessionKey !== undefined && session.sessionKey !== undefined && event.sessionKey !== session.sessionKey;
  }

  private start(event: LogEvent, from: OpenSession["startFrom"]): OpenSession {
    const session: OpenSession = {
      serial: this.serial++,
      backendId: event.backendId,
      sessionKey: event.sessionKey,
      start: event.time,
      startFrom: from,
      lastActivity: event.time,
      timelineAt: event.time,
      authorized: false,
      transactions: 0,
      statements: 0,
      errors: 0,
      wrote: false,
      autocommit: true,
      pinnedUnambiguously: false,
      pinReasons: [],
      rules: new Set(),
      parsedNames: new Set(),
    };
    this.fill(session, event);
    this.open.set(event.backendId, session);
    this.timeline?.opened(session, event.time);
    return session;
  }

  private fill(session: OpenSession, event: LogEvent): void {
    session.user ??= event.user;
    session.database ??= event.database;
    session.application ??= event.application;
    session.clientAddress ??= event.clientAddress;
    session.sessionKey ??= event.sessionKey;
  }

  private touch(session: OpenSession, event: LogEvent): void {
    const end = event.time + (event.durationMs ?? 0);
    if (end > session.lastActivity) session.lastActivity = end;
  }

  private close(backendId: number, at: number, endFrom: SessionReport["endFrom"], connectedUntil?: number): void {
    const session = this.open.get(backendId);
    if (!session) return;
    this.open.delete(backendId);
    const end = Math.max(at, session.start);
    this.timeline?.closed(session, Math.max(end, session.timelineAt, connectedUntil ?? end));
    // A connection that never authenticated and ran nothing (a failed login, a port probe) is not a client session.
    if (!session.authorized && session.statements === 0 && session.startFrom === "connection") return;
    this.onClose(toReport(session, end, endFrom, this.times, this.names), session);
  }
}

/**
 * Statement names remembered per session. A client that prepares and closes new names for ever (the trial proxy sees
 * every one) would otherwise grow its session without bound; forgetting them costs at most a protocol finding counted
 * again for an Execute whose Parse was forgotten.
 */
const MAX_PARSED_NAMES = 10_000;

function rememberParsed(session: OpenSession, name: string): void {
  if (session.parsedNames.size >= MAX_PARSED_NAMES) session.parsedNames.clear();
  session.parsedNames.add(name);
}

/** Longer texts are not memoized (see LastTextFacts.remember). */
const MAX_MEMO_TEXT_LENGTH = 16 * 1024;

/**
 * What the tracker reads off a statement's text (its transaction effects, whether it only reads), kept for the text
 * seen last: consecutive statements often share a text (a driver executing one prepared statement over and over, a
 * log's burst of the same query), and each fact costs a scan. A different text costs one failed string comparison.
 */
class LastTextFacts {
  private text: string | undefined;
  private effectsOfText: readonly TransactionEffect[] | undefined;
  private readOnlyText: boolean | undefined;

  effects(text: string, engine: Engine): readonly TransactionEffect[] {
    if (text !== this.text) this.remember(text);
    const effects = this.effectsOfText ?? transactionEffects(text, engine);
    if (this.text !== undefined) this.effectsOfText = effects;
    return effects;
  }

  readOnly(text: string): boolean {
    if (text !== this.text) this.remember(text);
    const readOnly = this.readOnlyText ?? isReadOnly(text);
    if (this.text !== undefined) this.readOnlyText = readOnly;
    return readOnly;
  }

  private remember(text: string): void {
    // A long text is almost never repeated: keeping it as the memo would keep it alive until the next statement.
    this.text = text.length <= MAX_MEMO_TEXT_LENGTH ? text : undefined;
    this.effectsOfText = undefined;
    this.readOnlyText = undefined;
  }
}

/** Distinct names remembered; past this many (a log of endless client addresses) the memory starts over. */
const MAX_SHARED_NAMES = 10_000;

/**
 * One copy of each user, database, application and client name for all the sessions the report keeps: each line
 * brings its own copy, and a long log holds hundreds of thousands of sessions with the same few names.
 */
class SharedNames {
  private readonly known = new Map<string, string>();

  get(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    const known = this.known.get(name);
    if (known !== undefined) return known;
    if (this.known.size >= MAX_SHARED_NAMES) this.known.clear();
    this.known.set(name, name);
    return name;
  }
}

function isProtocolRule(rule: string): boolean {
  return rule === "pg.extended_protocol" || rule === "mysql.prepared_statement";
}

function toReport(
  session: OpenSession,
  end: number,
  endFrom: SessionReport["endFrom"],
  times: IsoTimes,
  names: SharedNames,
): SessionReport {
  const start = times.format(session.start);
  return {
    id: [session.backendId, "@", start].join(""),
    backendId: session.backendId,
    user: names.get(session.user),
    database: names.get(session.database),
    application: names.get(session.application),
    clientAddress: names.get(session.clientAddress),
    start,
    end: times.format(end),
    startFrom: session.startFrom,
    endFrom,
    transactions: session.transactions,
    statements: session.statements,
    errors: session.errors,
    readOnly: session.statements > 0 && !session.wrote,
    pinned: session.pinnedAt !== undefined,
    pinnedOnlyByAmbiguous: session.pinnedAt !== undefined && !session.pinnedUnambiguously,
    pinnedAt: session.pinnedAt === undefined ? undefined : times.format(session.pinnedAt),
    pinReasons: session.pinReasons,
  };
}
