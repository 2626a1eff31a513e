import type { LogEvent } from "../events/log-event.js";
import type { FormatId } from "../formats/log-format.js";
import type { DurationThreshold, InputCoverage } from "../report/report.js";
import { DurationHistogram } from "./duration-histogram.js";
import { pgLogStatementLevel } from "./statement-level.js";

/** Up to this share of the statements logged at completion may be faster than the threshold (see DurationThreshold). */
const OUTLIER_SHARE = 0.05;
/**
 * A 5th percentile below this reads as "every statement": BEGIN, SET and primary-key reads take microseconds, so a
 * complete log's fastest 5% is far below it, and no threshold in common use is lower (PostgreSQL's are whole ms).
 */
const EVERY_STATEMENT_BELOW_MS = 0.5;
/** The bulk of the durations begins where a tenth of a decade holds this share of them (any one, below DENSE_BELOW). */
const DENSE_SHARE = 0.01;
const DENSE_BELOW = 100;

/**
 * Watches one input's events and infers which logging settings wrote it: statement lines logged at start (and at
 * which log_statement level) or at completion (and above which duration), connection lines, session ids, durations
 * and extended-protocol lines. Counters and a fixed-size histogram only, whatever the length of the input.
 */
export class CoverageObserver {
  private readonly durations = new DurationHistogram();
  private readonly atStart = { all: 0, mod: 0, ddl: 0, unsettled: 0 };
  private atCompletion = 0;
  private fromErrors = 0;
  private statements = 0;
  private withDuration = 0;
  /** Statements not known only from an error: those a duration setting could time. */
  private timeable = 0;
  /** Statement, parse, bind, execute and prepare lines, and the characters of their SQL. */
  private statementLines = 0;
  private statementText = 0;
  private connectionsReceived = 0;
  private connectionsAuthorized = 0;
  private disconnections = 0;
  private readonly extended = { parse: 0, bind: 0, execute: 0 };
  private sessionKeys = false;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly format: FormatId) {}

  add(event: LogEvent): void {
    if (event.time < this.first) this.first = event.time;
    if (event.time > this.last) this.last = event.time;
    if (event.sessionKey !== undefined) this.sessionKeys = true;
    switch (event.kind) {
      case "connection_received":
        this.connectionsReceived++;
        return;
      case "connection_authorized":
        this.connectionsAuthorized++;
        return;
      case "disconnection":
        this.disconnections++;
        return;
      case "parse":
      case "bind":
        this.extended[event.kind]++;
        this.statementLine(event);
        return;
      case "prepare":
        this.extended.parse++;
        this.statementLine(event);
        return;
      case "execute":
        this.extended.execute++;
        this.statement(event);
        return;
      case "statement":
        this.statement(event);
        return;
      default:
        return;
    }
  }

  private statement(event: LogEvent): void {
    this.statements++;
    // A failed statement known only from its error has no duration whatever the settings.
    if (event.loggedAt !== "error") this.timeable++;
    if (event.durationMs !== undefined) this.withDuration++;
    this.statementLine(event);
  }

  private statementLine(event: LogEvent): void {
    this.statementLines++;
    this.statementText += event.statement?.length ?? 0;
    if (event.loggedAt === "error") {
      this.fromErrors++;
    } else if (event.loggedAt === "completion") {
      this.atCompletion++;
      if (event.durationMs !== undefined) this.durations.add(event.durationMs);
    } else if (this.format === "mysql-general") {
      this.atStart.all++;
    } else if (this.atStart.all === 0 && event.statement !== undefined) {
      // Once one statement shows log_statement = 'all', the rest need no reading.
      this.atStart[pgLogStatementLevel(event.statement) ?? "unsettled"]++;
    } else {
      this.atStart.all++;
    }
  }

  /** `textBytes`, `lines`: the input's bytes of text (decompressed) and its lines. */
  report(textBytes: number, lines: number): InputCoverage {
    const mysql = this.format === "mysql-general" || this.format === "mysql-slow";
    const loggedAtStart = this.startLevel();
    const threshold = this.threshold();
    const statements: InputCoverage["statements"] =
      loggedAtStart === "all" || threshold?.estimateMs === 0
        ? "all"
        : loggedAtStart === "mod" || loggedAtStart === "ddl"
          ? loggedAtStart
          : threshold
            ? "above-threshold"
            : "none";
    const connections = Math.max(this.connectionsReceived, this.connectionsAuthorized);
    const sessionsFrom: InputCoverage["sessionsFrom"] =
      connections + this.disconnections > 0
        ? "connection-lines"
        : this.sessionKeys || mysql
          ? "session-ids"
          : "backend-ids";
    const spanSeconds = Number.isFinite(this.first) ? Math.max(0, (this.last - this.first) / 1000) : 0;
    // A slow log never holds binary-protocol prepares (MariaDB) or only sometimes (MySQL): a pinning condition.
    const everyPinningEvent = statements === "all" && this.format !== "mysql-slow";
    const coverage: InputCoverage = {
      complete: everyPinningEvent && sessionsFrom !== "backend-ids",
      statements,
      everyPinningEvent,
      statementLines: {
        atStart: this.atStart.all + this.atStart.mod + this.atStart.ddl + this.atStart.unsettled,
        atCompletion: this.atCompletion,
        fromErrors: this.fromErrors,
      },
      loggedAtStart,
      ...(threshold ? { durationThreshold: threshold } : {}),
      durations:
        this.statements === 0 || this.withDuration === 0 ? "none" : this.withDuration >= this.timeable ? "all" : "some",
      connectionLines: connections,
      disconnectionLines: this.disconnections,
      sessionsFrom,
      extendedProtocol: { ...this.extended },
      ...(mysql ? { mysqlLog: this.format === "mysql-general" ? ("general" as const) : ("slow" as const) } : {}),
      volume: {
        statements: this.statements,
        bytesPerStatement: this.bytesPerStatement(textBytes, lines),
        statementsPerSecond: spanSeconds === 0 ? 0 : round3(this.statements / spanSeconds),
        spanSeconds: round3(spanSeconds),
      },
      missing: [],
    };
    coverage.missing = missingFor(coverage, mysql);
    return coverage;
  }

  /**
   * Log bytes per statement at full capture: its SQL plus, for each of its lines, what a line carries besides SQL
   * (prefix, "duration: ... statement:"), averaged over every line of the input. Not the input's bytes over its
   * statements: a thresholded log's bytes are mostly connection lines.
   */
  private bytesPerStatement(textBytes: number, lines: number): number {
    if (this.statements === 0 || lines === 0) return 0;
    const perLine = Math.max(0, textBytes - this.statementText) / lines;
    return Math.round((this.statementText + perLine * this.statementLines) / this.statements);
  }

  private startLevel(): InputCoverage["loggedAtStart"] {
    const { all, mod, ddl, unsettled } = this.atStart;
    if (all > 0) return "all";
    if (mod > 0) return "mod";
    if (ddl > 0) return "ddl";
    // Only statements whose level depends on what follows (WITH, EXPLAIN, COPY): nothing shows a narrower setting.
    return unsettled > 0 ? "all" : "none";
  }

  private threshold(): DurationThreshold | undefined {
    const histogram = this.durations;
    if (histogram.count === 0) return undefined;
    const quantile = histogram.lowQuantile(OUTLIER_SHARE);
    // The 5th percentile decides whether there is a threshold at all, so a few fast stray lines never make a log look
    // complete; where the bulk begins (at most that percentile) places it.
    const bulk = histogram.bulkStart(histogram.count < DENSE_BELOW ? 1 : Math.ceil(histogram.count * DENSE_SHARE));
    const estimateMs = quantile < EVERY_STATEMENT_BELOW_MS ? 0 : roundDown2(Math.min(quantile, bulk >= 0 ? bulk : quantile));
    return {
      estimateMs,
      shortestMs: round3(histogram.min),
      belowEstimate: estimateMs === 0 ? 0 : histogram.countBelow(estimateMs),
      method:
        estimateMs === 0
          ? `the fastest 5% of the ${histogram.count} statements logged at completion took under ${EVERY_STATEMENT_BELOW_MS} ms: no threshold`
          : `where the bulk of the ${histogram.count} statements logged at completion begins (at most their 5th percentile), not their minimum: sampling, log_queries_not_using_indexes or log_slow_admin_statements log a few faster ones`,
    };
  }
}

/** What a coverage misses, each with the setting that would show it. */
function missingFor(coverage: InputCoverage, mysql: boolean): string[] {
  const missing: string[] = [];
  const threshold = coverage.durationThreshold;
  const fast =
    "nearly every pinning statement (SET, nextval, LISTEN, advisory locks, PREPARE) runs in microseconds";
  if (coverage.statements === "mod" || coverage.statements === "ddl") {
    missing.push(
      `statements other than ${coverage.statements === "mod" ? "modifications and DDL" : "DDL"} (log_statement = '${coverage.statements}'${threshold ? ` with log_min_duration_statement ≈ ${threshold.estimateMs} ms` : ""}): SELECT, SET, transaction control and the pinning statements among them were not logged; set log_statement = 'all' or log_min_duration_statement = 0`,
    );
  } else if (coverage.statements === "above-threshold" && threshold) {
    missing.push(
      mysql
        ? `statements faster than about ${threshold.estimateMs} ms (long_query_time ≈ ${threshold.estimateMs / 1000} s): ${fast}; use the general log (with the slow log at long_query_time = 0 for durations)`
        : `statements faster than about ${threshold.estimateMs} ms (log_min_duration_statement ≈ ${threshold.estimateMs}): ${fast}; set log_min_duration_statement = 0`,
    );
  } else if (coverage.mysqlLog === "slow" && coverage.statements === "all") {
    missing.push(
      "binary-protocol prepares (COM_STMT_PREPARE, a pinning condition): MariaDB never writes them to the slow log and MySQL only sometimes, and executes look like plain queries; use the general log (with this slow log for durations)",
    );
  } else if (coverage.statements === "none") {
    missing.push(
      mysql
        ? "every statement: the log holds none; use the general log"
        : "every statement (log_statement = 'none', log_min_duration_statement = -1): set log_min_duration_statement = 0",
    );
  }
  if (coverage.sessionsFrom === "backend-ids") {
    missing.push(
      "connection lines (log_connections, log_disconnections off, no %c in log_line_prefix): sessions are told apart only by pid, which the server reuses, sessions none of whose statements were logged are invisible, and the session count is a lower bound; set log_connections = on and log_disconnections = on",
    );
  } else if (!mysql && coverage.connectionLines === 0 && coverage.disconnectionLines > 0) {
    missing.push("connection lines (log_connections = off): session starts are their first statement; set log_connections = on");
  } else if (!mysql && coverage.disconnectionLines === 0 && coverage.connectionLines > 0) {
    missing.push("disconnection lines (log_disconnections = off): session ends are their last statement; set log_disconnections = on");
  }
  return missing;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Two significant digits, rounded down: a threshold every duration above it reaches. */
function roundDown2(value: number): number {
  const scale = 10 ** (Math.floor(Math.log10(value)) - 1);
  return Number((Math.floor(value / scale + 1e-9) * scale).toPrecision(2));
}
