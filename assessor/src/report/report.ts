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
  /** Findings from driver / ORM configuration files given with --config. */
  configFindings?: ConfigFinding[];
  costs?: CostComparison;
  recommendation?: Recommendation;
  /** What only the trial proxy sees on the wire (source "trial-proxy" only). */
  trial?: TrialObservations;
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
}

export interface Summary {
  sessions: number;
  pinnedSessions: number;
  /** pinnedSessions / sessions under the chosen profile (documented-ambiguous rules pin). */
  pinRatio: number;
  /** min: ambiguous rules do not pin; max: they do (equals pinRatio). */
  pinRatioRange: { min: number; max: number };
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
