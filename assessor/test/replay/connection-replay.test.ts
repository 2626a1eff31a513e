import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../src/events/log-event.js";
import type { PinFinding, StatementToClassify } from "../../src/rules/rulebook.js";
import { ConnectionReplay, type ReplaySettings } from "../../src/replay/connection-replay.js";
import { SessionTracker } from "../../src/sessions/session-tracker.js";

const pinsOnSet = (s: StatementToClassify): PinFinding[] =>
  /^set /i.test(s.text) ? [{ rule: "pg.set", reason: "set", ambiguous: false }] : [];

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);
let line = 0;
const at = (ms: number) => T0 + ms;
function ev(kind: LogEvent["kind"], pid: number, ms: number, extra: Partial<LogEvent> = {}): LogEvent {
  return { kind, backendId: pid, time: at(ms), source: { file: "r.log", line: ++line }, ...extra };
}

function replay(events: LogEvent[], settings: ReplaySettings = { maxConnectionsPercent: 100 }) {
  const timeline = new ConnectionReplay(settings);
  const tracker = new SessionTracker("postgresql", pinsOnSet, () => {}, undefined, timeline);
  for (const e of events) tracker.add(e);
  tracker.finish(Math.max(...events.map((e) => e.time + (e.durationMs ?? 0))));
  return timeline.report();
}

/** `n` clients connected for the whole run, each running short transactions that never overlap another's. */
function staggered(n: number): LogEvent[] {
  const events: LogEvent[] = [];
  for (let pid = 1; pid <= n; pid++) events.push(ev("connection_authorized", pid, 0, { user: "app" }));
  for (let round = 0; round < 3; round++) {
    for (let pid = 1; pid <= n; pid++) {
      const start = 100 + round * 1000 + pid * 10;
      events.push(ev("statement", pid, start, { statement: "SELECT 1", durationMs: 5 }));
    }
  }
  for (let pid = 1; pid <= n; pid++) events.push(ev("disconnection", pid, 4000));
  return events;
}

describe("ConnectionReplay", () => {
  it("multiplexes clients whose transactions never overlap onto one connection", () => {
    const report = replay(staggered(20));
    expect(report.peaks).toEqual({ clientConnections: 20, databaseConnections: 1, pinnedConnections: 0 });
    expect(report.multiplexingFactor).toBe(20);
    expect(report.baseline.peakConcurrentSessions).toBe(20);
    expect(report.series.clientConnections.slice(0, 4)).toEqual([20, 20, 20, 20]);
    expect(report.bucketSeconds).toBe(1);
  });

  it("counts overlapping transactions, including idle-in-transaction time", () => {
    const report = replay([
      ev("statement", 1, 0, { statement: "BEGIN" }),
      ev("statement", 2, 100, { statement: "BEGIN" }),
      ev("statement", 3, 200, { statement: "SELECT 1", durationMs: 10 }),
      ev("statement", 1, 1500, { statement: "COMMIT" }),
      ev("statement", 2, 1600, { statement: "COMMIT" }),
    ]);
    expect(report.peaks.databaseConnections).toBe(3);
    expect(report.series.databaseConnections).toEqual([3, 2]);
  });

  it("holds a pinned session's connection from the pin until it disconnects", () => {
    const events = staggered(10);
    events.splice(10, 0, ev("statement", 1, 50, { statement: "SET search_path = app" }));
    events.splice(11, 0, ev("statement", 2, 60, { statement: "SET search_path = app" }));
    events.sort((a, b) => a.time - b.time);
    const report = replay(events);
    expect(report.peaks.pinnedConnections).toBe(2);
    expect(report.peaks.databaseConnections).toBe(3);
    expect(report.series.pinnedConnections.slice(0, 4)).toEqual([2, 2, 2, 2]);
  });

  it("never counts more database connections than clients when coarse log times put a pin before the previous end", () => {
    const report = replay([
      ev("connection_authorized", 1, 1000),
      ev("statement", 1, 1000, { statement: "SELECT 1", durationMs: 50 }),
      ev("statement", 1, 1000, { statement: "SET search_path = app" }),
      ev("statement", 1, 2000, { statement: "SELECT 2" }),
      ev("disconnection", 1, 2000),
    ]);
    expect(report.peaks).toEqual({ clientConnections: 1, databaseConnections: 1, pinnedConnections: 1 });
  });

  it("says when borrows would have waited for the proxy's connection limit", () => {
    const events: LogEvent[] = [];
    for (let pid = 1; pid <= 5; pid++) events.push(ev("statement", pid, 1000, { statement: "SELECT pg_sleep(1)", durationMs: 1000 }));
    const report = replay(events, { maxConnections: 10, maxConnectionsPercent: 30 });
    expect(report.proxyConnectionLimit).toBe(3);
    expect(report.borrowWaits.count).toBe(2);
    expect(report.borrowWaits.maxWaitMs).toBe(1000);
    expect(report.borrowWaits.periods).toHaveLength(1);
    expect(report.series.waitingClients).toEqual([2, 0]);
    expect(report.baseline).toMatchObject({ peakConcurrentSessions: 5, maxConnections: 10, exceeded: false });
  });

  it("keeps memory to the unswept backlog: advancing the watermark sweeps what is final", () => {
    const timeline = new ConnectionReplay({ maxConnectionsPercent: 100 });
    const tracker = new SessionTracker("postgresql", pinsOnSet, () => {}, undefined, timeline);
    for (let i = 0; i < 1000; i++) tracker.add(ev("statement", 1, i * 10, { statement: "SELECT 1", durationMs: 1 }));
    expect(timeline.backlog).toBeGreaterThan(1000);
    timeline.advance(at(5000));
    expect(timeline.backlog).toBeLessThan(1100);
    tracker.finish(at(10000));
    expect(timeline.report().peaks.databaseConnections).toBe(1);
  });
});
