import type { RepeatedSetting } from "../analysis/pin-tally.js";
import { capturePlan } from "../coverage/capture-plan.js";
import type { Engine } from "../events/log-event.js";
import { count as formatNumber, percent } from "../report/format-numbers.js";
import type { ConfigFinding, CostComparison, CostOption, Report, SessionReport } from "../report/report.js";
import { ruleDoc } from "../rules/index.js";
import type { RuleId } from "../rules/rulebook.js";
import { measuredFigures, type MeasuredFigures } from "./measured-figures.js";
import type { CapturePlan, Recommendation, ThinEvidence, VerdictEvidence } from "./recommendation.js";

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
  /** Connections opened per second on average at or above which churn alone (Lambda) justifies a proxy... */
  churnPerSecond: 5,
  /** ...when they are short-lived: a median lifetime at most this long (seconds) means one job per connection. */
  churnMaxMedianLifetimeSeconds: 10,
  /**
   * Below this window (minutes, first to last line) there is not enough evidence: the least that tells a one-off
   * spike from a sustained rate (ten points of a per-minute view, several runs of anything scheduled by the minute).
   */
  minWindowMinutes: 10,
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
  const capture = verdict.thin.some((t) => t.cause === "partial-logging") ? capturePlan(engine, report) : undefined;

  return {
    schema_version: "1.0",
    generated_at: new Date().toISOString(),
    engine_family: engine === "postgresql" ? "POSTGRESQL" : "MYSQL",
    verdict: verdict.verdict,
    evidence: verdict.evidence,
    thin_evidence: verdict.thin,
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

interface VerdictDecision {
  verdict: Recommendation["verdict"];
  reasons: string[];
  evidence: VerdictEvidence[];
  thin: ThinEvidence[];
}

/**
 * The decision table of docs/recommendation.md: thin evidence first (partial logging, a short window, max_connections
 * unknown when churn does not decide alone), then connection pressure or churn, then the pin ratio, then the cost.
 */
function verdictFor(input: RecommendationInput): VerdictDecision {
  const { report, target } = input;
  const { summary } = report;
  const replay = report.replay;
  const m = measuredFigures(report);
  const maxConnections = target.max_connections;
  const pressureLimit = maxConnections === undefined ? undefined : THRESHOLDS.connectionPressure * maxConnections;
  const pressure = pressureLimit !== undefined && m.peakConcurrentSessions > pressureLimit;
  const shortLived =
    m.medianLifetimeSeconds !== undefined && m.medianLifetimeSeconds <= THRESHOLDS.churnMaxMedianLifetimeSeconds;
  const churning = m.openedPerSecond >= THRESHOLDS.churnPerSecond && shortLived;
  const pinTooHigh = summary.pinRatio >= THRESHOLDS.pinRatioTooHigh;
  const rdsProxy = input.costs?.options.find((o) => o.option === "rds-proxy");
  const selfHosted = input.costs?.options.find((o) => o.option === "self-hosted-pooler");
  const selfHostedCheaper =
    rdsProxy !== undefined &&
    selfHosted !== undefined &&
    rdsProxy.monthlyUsd > THRESHOLDS.selfHostedCostFactor * selfHosted.monthlyUsd &&
    rdsProxy.monthlyUsd - selfHosted.monthlyUsd > THRESHOLDS.selfHostedMinMonthlySavingUsd;

  const thin = thinEvidence(report, m, maxConnections === undefined && !churning);
  const decided = new Set<VerdictEvidence["figure"]>();
  let verdict: Recommendation["verdict"];
  const reasons: string[] = [];
  if (thin.length > 0) {
    verdict = "not-enough-evidence";
    for (const t of thin) {
      decided.add(t.cause === "short-window" ? "log-window" : t.cause === "partial-logging" ? "pin-ratio" : "max-connections");
    }
    if (thin.some((t) => t.cause === "partial-logging")) reasons.push(...partialLoggingReasons(report));
    reasons.push(...thin.filter((t) => t.cause !== "partial-logging").map((t) => `Not enough evidence: ${t.collect}`));
  } else if (summary.sessions === 0 || !replay) {
    verdict = "no-proxy";
    reasons.push("The logs hold no client sessions: nothing to pool.");
  } else if (!pressure && !churning) {
    verdict = "no-proxy";
    decided.add("peak-concurrent-sessions").add("connections-opened-per-second").add("median-connection-lifetime");
    reasons.push(
      `Connections are not under pressure: the peak of ${m.peakConcurrentSessions} concurrent sessions is within ${percent(THRESHOLDS.connectionPressure)} of max_connections ${maxConnections}, and connections do not churn; a proxy would add cost and a network hop for little gain.`,
    );
  } else {
    if (pressure) {
      decided.add("peak-concurrent-sessions");
      reasons.push(
        `Without a proxy, peak concurrent sessions were ${m.peakConcurrentSessions} of max_connections ${maxConnections} (${percent(m.peakConcurrentSessions / maxConnections!)}), above the ${percent(THRESHOLDS.connectionPressure)} threshold (${formatNumber(pressureLimit!)}).`,
      );
    }
    if (churning) {
      decided.add("connections-opened-per-second").add("median-connection-lifetime");
      reasons.push(
        `Connections open at ${m.openedPerSecond.toFixed(1)} per second on average (threshold ${THRESHOLDS.churnPerSecond}) and live ${seconds(m.medianLifetimeSeconds!)} at the median: connection churn (the Lambda pattern) a proxy absorbs.`,
      );
    }
    decided.add("pin-ratio");
    if (pinTooHigh) {
      verdict = "no-proxy";
      reasons.push(
        `${percent(summary.pinRatio)} of sessions would be pinned (threshold ${percent(THRESHOLDS.pinRatioTooHigh)}): a proxy would multiplex too little. Fix the remediations first, then assess again.`,
      );
    } else {
      reasons.push(
        `A transaction-pooling proxy would need ${replay.peaks.databaseConnections} database connections at peak for ${replay.peaks.clientConnections} clients (multiplexing ${replay.multiplexingFactor.toFixed(1)}x), with ${percent(summary.pinRatio)} of sessions pinned (below the ${percent(THRESHOLDS.pinRatioTooHigh)} threshold).`,
      );
      if (rdsProxy && selfHosted) decided.add("monthly-cost-difference");
      if (selfHostedCheaper) {
        verdict = "self-hosted-pooler";
        reasons.push(
          `RDS Proxy would cost $${rdsProxy.monthlyUsd.toFixed(0)}/month against $${selfHosted.monthlyUsd.toFixed(0)} for a self-hosted pooler pair; the pooler needs its own failover and patching.`,
        );
      } else {
        verdict = "rds-proxy";
      }
    }
  }
  const evidence = evidenceOf(input, m, { pressureLimit, rdsProxy, selfHosted }).map((e) => ({ ...e, decided: decided.has(e.figure) }));
  return { verdict, reasons, evidence, thin };
}

/** What makes the evidence too thin to decide, each with what to collect (docs/recommendation.md#thin-evidence). */
function thinEvidence(report: Report, m: MeasuredFigures, maxConnectionsDecides: boolean): ThinEvidence[] {
  const thin: ThinEvidence[] = [];
  if (!report.summary.coverage.complete) {
    thin.push({
      cause: "partial-logging",
      collect: "a log window with every statement and every connection logged (see capture).",
    });
  }
  if (m.windowSeconds < THRESHOLDS.minWindowMinutes * 60) {
    thin.push({
      cause: "short-window",
      collect: `the logs cover ${minutes(m.windowSeconds)}, under the ${THRESHOLDS.minWindowMinutes}-minute minimum: collect at least ${THRESHOLDS.minWindowMinutes} minutes around the daily peak of connections, with the same logging.`,
    });
  }
  if (maxConnectionsDecides) {
    thin.push({
      cause: "max-connections-unknown",
      collect: "max_connections is unknown and connection churn does not decide alone: give --instance-class (its RDS default) or --max-connections (SHOW max_connections on the server).",
    });
  }
  return thin;
}

type UndecidedEvidence = Omit<VerdictEvidence, "decided">;

function evidenceOf(
  input: RecommendationInput,
  m: MeasuredFigures,
  context: { pressureLimit: number | undefined; rdsProxy: CostOption | undefined; selfHosted: CostOption | undefined },
): UndecidedEvidence[] {
  const { report, target } = input;
  const { summary, replay } = report;
  const maxConnections = target.max_connections;
  const minWindow = THRESHOLDS.minWindowMinutes;
  const pressurePercent = percent(THRESHOLDS.connectionPressure);
  const openedSource =
    m.openedFrom === "connection-lines" ? "connection lines of the logs" : "first line of each session (no connection lines)";
  const lifetime = m.medianLifetimeSeconds;
  const out: UndecidedEvidence[] = [
    {
      figure: "log-window",
      value: round(m.windowSeconds / 60, 1),
      unit: "minutes",
      source: "first to last line of the logs (summary.firstEventAt, summary.lastEventAt)",
      threshold: { value: minWindow, unit: "minutes", comparison: ">=", basis: "the minimum window to decide" },
      statement: `Log window: ${minutes(m.windowSeconds)} (minimum ${minWindow} minutes to decide).`,
    },
    {
      figure: "peak-concurrent-sessions",
      value: m.peakConcurrentSessions,
      unit: "sessions",
      source: "connection replay without a proxy: each session holds a connection from its first to its last line (replay.baseline)",
      ...(context.pressureLimit === undefined
        ? {}
        : {
            threshold: {
              value: round(context.pressureLimit, 1),
              unit: "sessions",
              comparison: ">" as const,
              basis: `${pressurePercent} of max_connections ${maxConnections}: connection pressure`,
            },
          }),
      statement:
        context.pressureLimit === undefined
          ? `Peak concurrent sessions without a proxy: ${formatNumber(m.peakConcurrentSessions)} (max_connections unknown, so no threshold).`
          : `Peak concurrent sessions without a proxy: ${formatNumber(m.peakConcurrentSessions)}, ${m.peakConcurrentSessions > context.pressureLimit ? "above" : "within"} the pressure threshold of ${formatNumber(context.pressureLimit)} (${pressurePercent} of max_connections ${maxConnections}).`,
    },
    {
      figure: "max-connections",
      value: maxConnections ?? null,
      unit: "connections",
      source:
        maxConnections === undefined
          ? "unknown: no --max-connections or --instance-class given"
          : target.instance_class
            ? `--max-connections, or the RDS default of --instance-class ${target.instance_class}`
            : "--max-connections",
      statement:
        maxConnections === undefined
          ? "max_connections: unknown (give --instance-class or --max-connections)."
          : `max_connections: ${formatNumber(maxConnections)}${target.instance_class ? ` (${target.instance_class})` : ""}.`,
    },
    {
      figure: "connections-opened-per-second",
      value: round(m.openedPerSecond, 2),
      unit: "connections/s",
      source: `${openedSource}, averaged over the log window`,
      threshold: { value: THRESHOLDS.churnPerSecond, unit: "connections/s", comparison: ">=", basis: "connection churn, with short-lived connections" },
      statement: `Connections opened: ${m.openedPerSecond.toFixed(1)} per second on average (${formatNumber(m.connectionsOpened)} in ${minutes(m.windowSeconds)}; busiest second ${formatNumber(m.busiestSecond)}); churn at ${THRESHOLDS.churnPerSecond} per second or more.`,
    },
    {
      figure: "connections-opened-per-minute",
      value: round(m.openedPerSecond * 60, 1),
      unit: "connections/min",
      source: `${openedSource}, averaged over the log window`,
      statement: `Connections opened: ${formatNumber(Math.round(m.openedPerSecond * 60))} per minute on average.`,
    },
    {
      figure: "median-connection-lifetime",
      value: lifetime === undefined ? null : round(lifetime, 3),
      unit: "s",
      source: `sessions seen from connection line to disconnection line (${formatNumber(m.sessionsSeenWhole)})`,
      threshold: {
        value: THRESHOLDS.churnMaxMedianLifetimeSeconds,
        unit: "s",
        comparison: "<=",
        basis: "short-lived connections: one job per connection (the Lambda pattern)",
      },
      statement:
        lifetime === undefined
          ? "Median connection lifetime: unknown (no session seen from connection to disconnection)."
          : `Median connection lifetime: ${seconds(lifetime)} over ${formatNumber(m.sessionsSeenWhole)} sessions; short-lived at ${THRESHOLDS.churnMaxMedianLifetimeSeconds} s or less.`,
    },
    {
      figure: "pin-ratio",
      value: round(summary.pinRatio, 4),
      unit: "share of sessions",
      source: "sessions pinned by the rulebook over all sessions (summary.pinRatio, summary.pinRatioRange)",
      range: summary.pinRatioRange,
      threshold: { value: THRESHOLDS.pinRatioTooHigh, unit: "share of sessions", comparison: "<", basis: "enough sessions unpinned to multiplex" },
      statement: `Pin ratio: ${percent(summary.pinRatio)} of sessions (range ${percent(summary.pinRatioRange.min)} to ${percent(summary.pinRatioRange.max)}); a proxy helps below ${percent(THRESHOLDS.pinRatioTooHigh)}.`,
    },
  ];
  if (replay) {
    out.push({
      figure: "multiplexing",
      value: round(replay.multiplexingFactor, 2),
      unit: "x",
      source: "transaction-pooling replay: peak clients over peak database connections (replay.multiplexingFactor)",
      statement: `Multiplexing: ${replay.multiplexingFactor.toFixed(1)}x (${formatNumber(replay.peaks.clientConnections)} clients over ${formatNumber(replay.peaks.databaseConnections)} database connections at peak).`,
    });
  }
  const { rdsProxy, selfHosted } = context;
  if (rdsProxy && selfHosted) {
    const difference = rdsProxy.monthlyUsd - selfHosted.monthlyUsd;
    out.push({
      figure: "monthly-cost-difference",
      value: round(difference, 2),
      unit: "USD/month",
      source: "costs: RDS Proxy minus the self-hosted pooler pair",
      threshold: {
        value: THRESHOLDS.selfHostedMinMonthlySavingUsd,
        unit: "USD/month",
        comparison: ">",
        basis: `self-hosted wins only above this and at more than ${THRESHOLDS.selfHostedCostFactor}x the cost`,
      },
      statement: `Monthly cost: RDS Proxy $${rdsProxy.monthlyUsd.toFixed(2)} against $${selfHosted.monthlyUsd.toFixed(2)} for a self-hosted pooler pair (difference $${difference.toFixed(2)}); self-hosted wins only at more than ${THRESHOLDS.selfHostedCostFactor}x and $${THRESHOLDS.selfHostedMinMonthlySavingUsd} a month more.`,
    });
  }
  return out;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function minutes(windowSeconds: number): string {
  if (windowSeconds >= 120) return `${round(windowSeconds / 60, 1)} minutes`;
  const value = round(windowSeconds, 1);
  return `${value} second${value === 1 ? "" : "s"}`;
}

function seconds(value: number): string {
  return value < 10 ? `${round(value, 2)} s` : `${Math.round(value)} s`;
}

/**
 * The logs could not see every statement or tell sessions apart: any verdict would rest on what they missed. What
 * they do show is still said, as a floor.
 */
function partialLoggingReasons(report: Report): string[] {
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
  return reasons;
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
