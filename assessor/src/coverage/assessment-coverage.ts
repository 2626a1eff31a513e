import type { AssessmentCoverage, InputReport, SessionReport } from "../report/report.js";

/**
 * What the inputs together could see. A MySQL slow log beside a complete general log adds only durations to it (the
 * two are one server's view, reconciled), so it does not make the whole incomplete; any other incomplete input does.
 */
export function assessmentCoverage(
  inputs: readonly InputReport[],
  sessions: readonly SessionReport[],
): AssessmentCoverage {
  const completeGeneral = inputs.some((i) => i.format === "mysql-general" && i.coverage.complete);
  const counted = inputs.filter((i) => !(completeGeneral && i.format === "mysql-slow"));
  const statementsComplete = counted.every((i) => i.coverage.everyPinningEvent);
  const connectionLines = counted.every((i) => i.coverage.sessionsFrom === "connection-lines");
  const missing = [...new Set(counted.flatMap((i) => i.coverage.missing))];
  return {
    complete: counted.every((i) => i.coverage.complete),
    statementsComplete,
    sessionCountIsLowerBound: !connectionLines,
    sessionsWithoutStatements: sessions.filter((s) => s.statements === 0).length,
    missing,
  };
}

/**
 * The pin ratios the truth lies between. Complete coverage: ambiguous rules not pinning (min) or pinning (max), as
 * always. Every statement logged but sessions only by pid: the same, assuming every session ran a statement (a session
 * that ran none is invisible and would lower the ratio). Statements missing: any session — one seen unpinned, one with
 * no statement logged, one never seen — could have run an unlogged pinning statement, so the upper end is 100%; the
 * lower end counts the pinned sessions seen among all sessions, known only from connection lines (without them
 * the sessions are a lower bound, and so is nothing above 0).
 */
export function pinRatioBounds(
  coverage: AssessmentCoverage,
  counts: { sessions: number; pinned: number; ambiguousOnly: number },
): { min: number; max: number } {
  const ratio = (n: number) => (counts.sessions === 0 ? 0 : n / counts.sessions);
  const min = ratio(counts.pinned - counts.ambiguousOnly);
  if (coverage.statementsComplete) return { min, max: ratio(counts.pinned) };
  return { min: coverage.sessionCountIsLowerBound ? 0 : min, max: 1 };
}
