import type { RepeatedSetting } from "../analysis/pin-tally.js";
import { capturePlan } from "../coverage/capture-plan.js";
import type { Engine } from "../events/log-event.js";
import { percent } from "../report/format-numbers.js";
import type { ConfigFinding, CostComparison, Report, SessionReport } from "../report/report.js";
import { ruleDoc } from "../rules/index.js";
import type { RuleId } from "../rules/rulebook.js";
import type { CapturePlan, Recommendation } from "./recommendation.js";

export interface RecommendationInput {
  report: Report;
  engine: Engine;
  target: Recommendation["target"];
  /** Session settings with their values, from the analysis (`Analysis.repeatedSettings()`). */
  repeatedSettings: RepeatedSetting[];
  configFindings: ConfigFinding[];
  costs?: CostComparison;
}

/** Documented thresholds of the verdict (docs/recommendation.md). Change them together with the docs. */
export const THRESHOLDS = {
  /** Without a proxy, peak sessions above this share of max_connections is a connection problem worth a proxy. */
  connectionPressure: 0.8,
  /** At or above this pin ratio a proxy multiplexes too little to help until the pins are fixed. */
  pinRatioTooHigh: 0.5,
  /** Sessions that open per second on average above which connection churn alone (Lambda) justifies a proxy. */
  churnPerSecond: 5,
  /** Churn is only judged on logs at least this long: a few seconds of log say nothing about the rate. */
  churnMinSpanSeconds: 60,
  /** A SET run by at least this share of sessions goes to init_query. */
  initQueryShare: 0.5,
  /** Headroom over the replayed database peak when sizing max_connections_percent. */
  poolHeadroom: 1.25,
  /** RDS Proxy's percent never goes above this, leaving connections for admin tools and replication. */
  maxConnectionsPercentCap: 90,
  /** Aurora: a read-only endpoint pays when at least this share of sessions only read. */
  readOnlyShare: 0.3,
  /** Self-hosted wins on cost only when RDS Proxy costs more than this many times as much, and this much a month. */
  selfHostedCostFactor: 2,
  selfHostedMinMonthlySavingUsd: 200,
} as const;

const DEFAULT_BORROW_TIMEOUT_S = 120;
const DEFAULT_IDLE_CLIENT_TIMEOUT_S = 1800;
const BORROW_LATENCY_ALARM_US = 100_000;

/** Turns a report into the recommendation object the cdktf stacks deploy. */
export function recommend(input: RecommendationInput): Recommendation {
  const { report, engine, target } = input;
  const { summary } = report;
  const replay = report.replay;
  const peakClients = replay?.peaks.clientConnections ?? 0;
  const peakDatabase = replay?.peaks.databaseConnections ?? 0;
  const remediations = remediationsFor(report.sessions);
  const verdict = verdictFor(input);
  const initQuery = initQueryFor(input.repeatedSettings, summary.sessions, engine);
  const pool = poolSizing(peakDatabase, replay?.p99.databaseConnections ?? 0, target.max_connections);
  const pinnedShare = peakDatabase === 0 ? 0 : (replay?.peaks.pinnedConnections ?? 0) / peakDatabase;
  const readOnlyShare = summary.sessions === 0 ? 0 : report.sessions.filter((s) => s.readOnly).length / summary.sessions;
  const capture = verdict.verdict === "not-enough-evidence" ? capturePlan(engine, report) : undefined;

  return {
    schema_version: "1.0",
    generated_at: new Date().toISOString(),
    engine_family: engine === "postgresql" ? "POSTGRESQL" : "MYSQL",
    verdict: verdict.verdict,
    reasons: [
      ...verdict.reasons,
      ...(capture ? captureReasons(capture) : []),
      ...pool.reasons,
      ...configReasons(input.configFindings),
    ],
    target,
    connection_pool_config: {
      max_connections_percent: pool.maxConnectionsPercent,
      max_idle_connections_percent: pool.maxIdleConnectionsPercent,
      connection_borrow_timeout: DEFAULT_BORROW_TIMEOUT_S,
      ...(initQuery ? { init_query: initQuery } : {}),
      session_pinning_filters: sessionPinningFilters(input),
    },
    idle_client_timeout: DEFAULT_IDLE_CLIENT_TIMEOUT_S,
    require_tls: true,
    client_password_auth_type: authType(engine, target.engine_version),
    read_only_endpoint: readOnlyEndpoint(target.aurora, readOnlyShare),
    alarms: {
      pinned_connections_percent: Math.min(100, Math.max(10, Math.ceil(pinnedShare * 100) + 20)),
      borrow_latency_us: BORROW_LATENCY_ALARM_US,
    },
    remediations,
    ...(capture ? { capture } : {}),
    expected: {
      pin_ratio: summary.pinRatio,
      pin_ratio_range: summary.pinRatioRange,
      peak_client_connections: peakClients,
      peak_database_connections: peakDatabase,
    },
  };
}

function verdictFor(input: RecommendationInput): { verdict: Recommendation["verdict"]; reasons: string[] } {
  const { report, target } = input;
  const { summary } = report;
  const replay = report.replay;
  if (!summary.coverage.complete) return notEnoughEvidence(report);
  if (summary.sessions === 0 || !replay) {
    return { verdict: "no-proxy", reasons: ["The logs hold no client sessions: nothing to pool."] };
  }
  const peak = replay.baseline.peakConcurrentSessions;
  const maxConnections = target.max_connections;
  const spanSeconds = Math.max(
    1,
    (Date.parse(summary.lastEventAt ?? "") - Date.parse(summary.firstEventAt ?? "")) / 1000 || 1,
  );
  const churn = summary.sessions / spanSeconds;
  const reasons: string[] = [];
  const pressure = maxConnections !== undefined && peak > THRESHOLDS.connectionPressure * maxConnections;
  if (maxConnections !== undefined) {
    reasons.push(
      `Without a proxy, peak concurrent sessions were ${peak} of max_connections ${maxConnections} (${percent(peak / maxConnections)}).`,
    );
  } else {
    reasons.push(`Without a proxy, peak concurrent sessions were ${peak} (max_connections unknown: give --instance-class or --max-connections).`);
  }
  const churning = spanSeconds >= THRESHOLDS.churnMinSpanSeconds && churn >= THRESHOLDS.churnPerSecond;
  if (churning) reasons.push(`Sessions open at ${churn.toFixed(1)} per second on average: connection churn a proxy absorbs.`);
  if (!pressure && !churning) {
    reasons.push("Connections are not under pressure: a proxy would add cost and a network hop for little gain.");
    return { verdict: "no-proxy", reasons };
  }
  if (summary.pinRatio >= THRESHOLDS.pinRatioTooHigh) {
    reasons.push(
      `${percent(summary.pinRatio)} of sessions would be pinned: a proxy would multiplex too little. Fix the remediations first, then assess again.`,
    );
    return { verdict: "no-proxy", reasons };
  }
  reasons.push(
    `A transaction-pooling proxy would need ${replay.peaks.databaseConnections} database connections at peak for ${replay.peaks.clientConnections} clients (multiplexing ${replay.multiplexingFactor.toFixed(1)}x), with ${percent(summary.pinRatio)} of sessions pinned.`,
  );
  const rdsProxy = input.costs?.options.find((o) => o.option === "rds-proxy");
  const selfHosted = input.costs?.options.find((o) => o.option === "self-hosted-pooler");
  if (
    rdsProxy &&
    selfHosted &&
    rdsProxy.monthlyUsd > THRESHOLDS.selfHostedCostFactor * selfHosted.monthlyUsd &&
    rdsProxy.monthlyUsd - selfHosted.monthlyUsd > THRESHOLDS.selfHostedMinMonthlySavingUsd
  ) {
    reasons.push(
      `RDS Proxy would cost $${rdsProxy.monthlyUsd.toFixed(0)}/month against $${selfHosted.monthlyUsd.toFixed(0)} for a self-hosted pooler pair; the pooler needs its own failover and patching.`,
    );
    return { verdict: "self-hosted-pooler", reasons };
  }
  return { verdict: "rds-proxy", reasons };
}

/**
 * The logs could not see every statement or tell sessions apart: any verdict would rest on what they missed. What
 * they do show is still said, as a floor.
 */
function notEnoughEvidence(report: Report): { verdict: Recommendation["verdict"]; reasons: string[] } {
  const { summary } = report;
  const { coverage } = summary;
  const range = `${percent(summary.pinRatioRange.min)} to ${percent(summary.pinRatioRange.max)}`;
  const sessions = `${summary.sessions}${coverage.sessionCountIsLowerBound ? " or more" : ""}`;
  const reasons = [
    `The logs cannot see every statement${coverage.statementsComplete ? "'s session" : ""}, so the pin ratio is a range (${range}), not a point: not enough evidence for a verdict.`,
    ...coverage.missing.map((m) => `Not logged: ${m}.`),
    `What the logs do show: ${summary.pinnedSessions} pinned session(s) of ${sessions}${summary.pinReasons.length > 0 ? `, by ${summary.pinReasons.map((r) => `${r.rule} (${r.sessions})`).join(", ")}` : ""}; these are certain, and the remediations below apply to them.`,
  ];
  if (!coverage.statementsComplete && coverage.sessionsWithoutStatements > 0) {
    reasons.push(`${coverage.sessionsWithoutStatements} session(s) had not one statement logged: each could have pinned.`);
  }
  return { verdict: "not-enough-evidence", reasons };
}

function captureReasons(capture: CapturePlan): string[] {
  const [preferred] = capture.options;
  const volume = capture.statements_per_second > 0
    ? `At the ${capture.rate_is_lower_bound ? "observed (lower-bound) " : ""}rate of ${capture.statements_per_second} statements/s and ${capture.bytes_per_statement} bytes per statement, expect ${bytes(capture.expected_log_bytes_per_hour)} of log per hour${capture.rate_is_lower_bound ? " or more" : ""}.`
    : `The logs show no statement rate to size the log volume; expect about ${capture.bytes_per_statement} bytes per statement.`;
  return [
    `To decide, capture a window with ${preferred!.settings.map((s) => `${s.name} = ${s.value}`).join(", ")} (see capture): ${preferred!.sql.join(" ")}`,
    capture.window_reason,
    volume,
  ];
}

function bytes(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)} GB`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} MB`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} kB`;
  return `${value} bytes`;
}

/**
 * max_connections_percent is a ceiling, not a reservation: it stays at the cap (connections left for admin tools and
 * replication) unless the replayed peak needs more, which a reason flags. max_idle_connections_percent keeps the p99
 * level (plus headroom) warm, so ordinary load never waits for a new connection and idle ones do not pile up.
 */
function poolSizing(peakDatabase: number, p99Database: number, maxConnections: number | undefined) {
  const cap = THRESHOLDS.maxConnectionsPercentCap;
  if (maxConnections === undefined || maxConnections <= 0) {
    return {
      maxConnectionsPercent: cap,
      maxIdleConnectionsPercent: cap / 2,
      reasons: [`max_connections_percent ${cap}: max_connections unknown, so the common setting with headroom.`],
    };
  }
  const needed = Math.ceil(peakDatabase * THRESHOLDS.poolHeadroom);
  const neededPercent = Math.ceil((needed * 100) / maxConnections);
  const idle = Math.min(cap, Math.max(1, Math.ceil((p99Database * THRESHOLDS.poolHeadroom * 100) / maxConnections)));
  const reasons = [
    `max_connections_percent ${cap} (the replayed peak of ${peakDatabase} database connections plus ${Math.round((THRESHOLDS.poolHeadroom - 1) * 100)}% headroom needs ${neededPercent}% of max_connections ${maxConnections}); max_idle_connections_percent ${idle} keeps the p99 of ${p99Database} warm.`,
  ];
  if (neededPercent > cap) {
    reasons.push(
      `Even ${cap}% of max_connections (${Math.floor((cap * maxConnections) / 100)}) is below the ${needed} connections the peak needs: expect borrow waits, or move to a larger instance class.`,
    );
  }
  return { maxConnectionsPercent: cap, maxIdleConnectionsPercent: idle, reasons };
}

/** SETs most sessions repeat belong in init_query: run once per database connection, they stop pinning. */
function initQueryFor(settings: RepeatedSetting[], sessions: number, engine: Engine): string | undefined {
  if (sessions === 0) return undefined;
  const common = settings.filter((s) => s.sessions / sessions >= THRESHOLDS.initQueryShare);
  if (common.length === 0) return undefined;
  const terminated = common.map((s) => s.statement.replace(/;\s*$/, ""));
  return engine === "mysql" ? terminated.join("; ") : `${terminated.join("; ")};`;
}

/**
 * EXCLUDE_VARIABLE_SETS is MySQL-only, and only safe when the variables pinning sessions are set the same way by
 * every session that sets them: then reusing a connection cannot hand one client another's settings.
 */
function sessionPinningFilters(input: RecommendationInput): "EXCLUDE_VARIABLE_SETS"[] {
  if (input.engine !== "mysql") return [];
  const variableRules = new Set<RuleId>(["mysql.system_variable", "mysql.user_variable"]);
  const reasons = input.report.summary.pinReasons;
  const variableSessions = reasons.filter((r) => variableRules.has(r.rule)).reduce((n, r) => n + r.firstPinSessions, 0);
  const pinned = input.report.summary.pinnedSessions;
  const uniform = input.repeatedSettings.length === 1;
  const userVariables = reasons.some((r) => r.rule === "mysql.user_variable");
  return pinned > 0 && variableSessions / pinned >= 0.5 && uniform && !userVariables ? ["EXCLUDE_VARIABLE_SETS"] : [];
}

function authType(engine: Engine, engineVersion: string | undefined): Recommendation["client_password_auth_type"] {
  if (engine === "postgresql") return "POSTGRES_SCRAM_SHA_256";
  const major = Number.parseInt(engineVersion ?? "", 10);
  return major >= 8 ? "MYSQL_CACHING_SHA2_PASSWORD" : "MYSQL_NATIVE_PASSWORD";
}

function readOnlyEndpoint(aurora: boolean, share: number): Recommendation["read_only_endpoint"] {
  if (!aurora) return { recommended: false, reason: "Not an Aurora cluster: RDS Proxy read-only endpoints need Aurora replicas." };
  const recommended = share >= THRESHOLDS.readOnlyShare;
  return {
    recommended,
    reason: `${percent(share)} of sessions only read${recommended ? ": point them at a read-only endpoint to take load off the writer." : "; too few to move to a read-only endpoint."}`,
  };
}

/**
 * Remediations ordered by effect: each step picks the rule whose fix unpins the most sessions given the steps before
 * it (a session unpins only when every rule that pinned it is fixed).
 */
export function remediationsFor(sessions: readonly SessionReport[]): Recommendation["remediations"] {
  const pinned = sessions.filter((s) => s.pinned).map((s) => new Set(s.pinReasons.map((r) => r.rule)));
  const total = sessions.length;
  const fixed = new Set<RuleId>();
  const remaining = new Set(pinned.flatMap((rules) => [...rules]));
  const out: Recommendation["remediations"] = [];
  while (remaining.size > 0) {
    let best: { rule: RuleId; unpinned: number; affected: number } | undefined;
    for (const rule of remaining) {
      const trial = new Set([...fixed, rule]);
      const unpinned = pinned.filter((rules) => [...rules].every((r) => trial.has(r))).length;
      const affected = pinned.filter((rules) => rules.has(rule)).length;
      if (!best || unpinned > best.unpinned || (unpinned === best.unpinned && affected > best.affected)) {
        best = { rule, unpinned, affected };
      }
    }
    const step = best!;
    fixed.add(step.rule);
    remaining.delete(step.rule);
    const stillPinned = pinned.length - step.unpinned;
    out.push({
      rule: step.rule,
      action: ruleDoc(step.rule).remediation,
      sessions_affected: step.affected,
      pin_ratio_after: total === 0 ? 0 : stillPinned / total,
    });
  }
  return out;
}

/** Driver settings that pin or break through the proxy must be fixed with the statements. */
function configReasons(findings: readonly ConfigFinding[]): string[] {
  const pin = findings.filter((f) => f.severity === "pin").length;
  const broken = findings.filter((f) => f.severity === "break").length;
  if (pin + broken === 0) return [];
  return [
    `${pin + broken} driver/ORM setting(s) would ${broken > 0 ? "break connections through the proxy or pin sessions" : "pin sessions"}: fix them with the remediations (configFindings).`,
  ];
}
