import type { Report } from "../report/report.js";

/** What the verdict weighs, measured from the report on any window, however short. */
export interface MeasuredFigures {
  /** First to last event of the logs, in seconds (0 with fewer than two events). */
  windowSeconds: number;
  /** Without a proxy: the most sessions open at once (replay.baseline). */
  peakConcurrentSessions: number;
  /** Sessions opened; from connection lines when the logs have them, else from each session's first line. */
  connectionsOpened: number;
  openedFrom: "connection-lines" | "first-lines";
  /** connectionsOpened over the window (at least one second). */
  openedPerSecond: number;
  /** The most connections opened within one second of the logs. */
  busiestSecond: number;
  /** Median of the sessions seen from connection to disconnection, in seconds; undefined when none was. */
  medianLifetimeSeconds: number | undefined;
  sessionsSeenWhole: number;
}

export function measuredFigures(report: Report): MeasuredFigures {
  const { summary, sessions } = report;
  const first = Date.parse(summary.firstEventAt ?? "");
  const last = Date.parse(summary.lastEventAt ?? "");
  const windowSeconds = Number.isFinite(first) && Number.isFinite(last) ? Math.max(0, (last - first) / 1000) : 0;
  const fromConnections = sessions.filter((s) => s.startFrom === "connection");
  const opened = fromConnections.length > 0 ? fromConnections : sessions;
  const perSecond = new Map<number, number>();
  let busiestSecond = 0;
  for (const session of opened) {
    const second = Math.floor(Date.parse(session.start) / 1000);
    const inSecond = (perSecond.get(second) ?? 0) + 1;
    perSecond.set(second, inSecond);
    busiestSecond = Math.max(busiestSecond, inSecond);
  }
  const lifetimes = sessions
    .filter((s) => s.startFrom === "connection" && s.endFrom === "disconnection")
    .map((s) => (Date.parse(s.end) - Date.parse(s.start)) / 1000)
    .sort((a, b) => a - b);
  return {
    windowSeconds,
    peakConcurrentSessions: report.replay?.baseline.peakConcurrentSessions ?? 0,
    connectionsOpened: opened.length,
    openedFrom: fromConnections.length > 0 ? "connection-lines" : "first-lines",
    openedPerSecond: opened.length / Math.max(1, windowSeconds),
    busiestSecond,
    medianLifetimeSeconds: lifetimes.length === 0 ? undefined : median(lifetimes),
    sessionsSeenWhole: lifetimes.length,
  };
}

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
