import { readFileSync } from "node:fs";
import { assessmentCoverage, pinRatioBounds } from "../coverage/assessment-coverage.js";
import type { Engine, LogEvent } from "../events/log-event.js";
import type { InputReport, Report, SessionReport } from "../report/report.js";
import { loadRulebook, loadStatementFingerprinter, ruleDoc } from "../rules/index.js";
import type { ProfileId, StatementToClassify } from "../rules/rulebook.js";
import { ConnectionReplay, type ReplaySettings } from "../replay/connection-replay.js";
import { type OpenSession, SessionTracker } from "../sessions/session-tracker.js";
import { PinTally, type RepeatedSetting } from "./pin-tally.js";
import { clipNormalized, memoizeByText } from "./statement-cache.js";

export interface AnalysisOptions {
  engine: Engine;
  profile?: ProfileId;
  source?: Report["source"];
  /** Replay the timeline as a transaction-pooling proxy would run it (adds `replay` to the report). */
  replay?: ReplaySettings;
  /** Called with each session as it closes, with its internal state. */
  onSessionClosed?(session: SessionReport, state: OpenSession): void;
}

/** Turns a time-ordered stream of events into a report. Shared by `proxyfit assess` and the trial proxy. */
export interface Analysis {
  readonly engine: Engine;
  readonly profile: ProfileId;
  add(event: LogEvent): void;
  /** Closes the sessions still open and builds the report. Call once, after the last event. */
  report(inputs?: InputReport[]): Report;
  /**
   * Session settings (SET ...) with their values and how many sessions ran each: the candidates for init_query. Kept
   * out of the report, which holds normalized statements only.
   */
  repeatedSettings(): RepeatedSetting[];
  /**
   * How many entries the analysis holds now. Each follows the number of sessions or a fixed bound, never the number
   * of statements, so one session of millions of statements costs what a small one does.
   */
  retained(): RetainedEntries;
}

export interface RetainedEntries {
  openSessions: number;
  /** Closed sessions kept for the report. */
  closedSessions: number;
  /**
   * Replay changes waiting for the sweep: a few times REPLAY_BACKLOG when the sessions keep pace with the log's
   * clock, never much over REPLAY_BACKLOG_MAX.
   */
  replayBacklog: number;
  /** Distinct (rule, fingerprint) pairs of pinning statements tallied. */
  pinningStatements: number;
}

const TOP_STATEMENTS = 20;
/** The replay sweeps its backlog once it holds this many timeline changes. */
const REPLAY_BACKLOG = 1 << 16;
/**
 * At most this many changes wait for the watermark. More means one session's statements, laid end to end, run far
 * ahead of the log's clock (millions of lines with one timestamp): the oldest are swept anyway, so memory stays
 * bounded; a later change before them counts at the sweep's position.
 */
const REPLAY_BACKLOG_MAX = 1 << 21;

export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export async function createAnalysis(options: AnalysisOptions): Promise<Analysis> {
  const profile = options.profile ?? "rds-proxy";
  const [rulebook, fingerprinter] = await Promise.all([
    loadRulebook(options.engine, profile),
    loadStatementFingerprinter(options.engine),
  ]);
  const fingerprint = memoizeByText((sql) => clipNormalized(fingerprinter(sql)));
  const tally = new PinTally(fingerprint);
  const sessions: SessionReport[] = [];
  let lexical = 0;
  let firstEvent = Number.POSITIVE_INFINITY;
  let lastEvent = Number.NEGATIVE_INFINITY;
  let latestStart = Number.NEGATIVE_INFINITY;
  let longestDuration = 0;
  let statements = 0;
  let statementsWithDuration = 0;
  let wholeSecondTimes = true;
  const replay = options.replay ? new ConnectionReplay(options.replay) : undefined;
  let nextSweep = REPLAY_BACKLOG;

  const classify = (statement: StatementToClassify) => {
    const result = rulebook.classify(statement);
    if (result.method === "lexical") lexical++;
    return result.findings;
  };
  const tracker = new SessionTracker(
    options.engine,
    classify,
    (session, state) => {
      sessions.push(session);
      options.onSessionClosed?.(session, state);
    },
    tally,
    replay,
  );
  tracker.useNormalizer((sql) => fingerprint(sql).normalized);

  return {
    engine: options.engine,
    profile,
    add(event) {
      if (event.time < firstEvent) firstEvent = event.time;
      if (event.time > latestStart) latestStart = event.time;
      const duration = event.durationMs ?? 0;
      if (duration > longestDuration) longestDuration = duration;
      if (event.time + duration > lastEvent) lastEvent = event.time + duration;
      if (event.kind === "statement" || event.kind === "execute") {
        statements++;
        if (event.durationMs !== undefined) statementsWithDuration++;
        // The time a line was logged at: whole seconds everywhere means a prefix with %t.
        if (wholeSecondTimes && (event.time + duration) % 1000 !== 0) wholeSecondTimes = false;
      }
      tracker.add(event);
      if (replay && replay.backlog >= nextSweep) {
        // Lines written at completion carry their start time, so events arrive out of order by up to the longest
        // duration seen: only what is older than that is final.
        replay.advance(latestStart - longestDuration - 1000, REPLAY_BACKLOG_MAX / 2);
        nextSweep = Math.max(REPLAY_BACKLOG, replay.backlog * 2);
      }
    },
    repeatedSettings: () => tally.repeatedSettings(),
    retained: () => ({
      openSessions: tracker.openSessions,
      closedSessions: sessions.length,
      replayBacklog: replay?.backlog ?? 0,
      pinningStatements: tally.statementTallies,
    }),
    report(inputs = []) {
      tracker.finish(Number.isFinite(lastEvent) ? lastEvent : undefined);
      sessions.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.backendId - b.backendId));
      const pinned = sessions.filter((s) => s.pinned).length;
      const ambiguousOnly = sessions.filter((s) => s.pinnedOnlyByAmbiguous).length;
      const ratio = (n: number) => (sessions.length === 0 ? 0 : n / sessions.length);
      const coverage = assessmentCoverage(inputs, sessions);
      const sum = (pick: (s: SessionReport) => number) => sessions.reduce((total, s) => total + pick(s), 0);
      return {
        schemaVersion: "1.0",
        tool: { name: "proxyfit", version: TOOL_VERSION },
        generatedAt: new Date().toISOString(),
        engine: options.engine,
        profile,
        source: options.source ?? "logs",
        inputs,
        summary: {
          sessions: sessions.length,
          pinnedSessions: pinned,
          pinRatio: ratio(pinned),
          pinRatioRange: pinRatioBounds(coverage, { sessions: sessions.length, pinned, ambiguousOnly }),
          coverage,
          ambiguousOnlySessions: ambiguousOnly,
          transactions: sum((s) => s.transactions),
          statements: sum((s) => s.statements),
          statementsClassifiedLexically: lexical,
          errors: sum((s) => s.errors),
          firstEventAt: Number.isFinite(firstEvent) ? new Date(firstEvent).toISOString() : undefined,
          lastEventAt: Number.isFinite(lastEvent) ? new Date(lastEvent).toISOString() : undefined,
          pinReasons: tally.pinReasons(ruleDoc),
        },
        sessions,
        topPinningStatements: tally.topStatements(TOP_STATEMENTS),
        ...(replay ? { replay: replay.report(replayNotes(statements, statementsWithDuration, wholeSecondTimes)) } : {}),
      };
    },
  };
}

/** What the logs' settings cost the replay, and which setting fixes it. */
function replayNotes(statements: number, withDuration: number, wholeSeconds: boolean): string[] {
  const notes: string[] = [];
  if (statements > 0 && wholeSeconds) {
    notes.push(
      "Log timestamps have whole-second precision (PostgreSQL %t, or a slow log's # Time): sessions and transactions within the same second cannot be told apart, so peaks are approximate. Use %m in log_line_prefix.",
    );
  }
  if (statements > 0 && withDuration < statements / 2) {
    notes.push(
      "Most statements were logged without a duration, so they count as instantaneous and only explicit transactions have length: database-connection peaks are a lower bound. Set log_min_duration_statement = 0 (MySQL: the slow log with long_query_time = 0).",
    );
  }
  return notes;
}
