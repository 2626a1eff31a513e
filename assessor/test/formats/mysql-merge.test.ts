import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../src/events/log-event.js";
import type { FormatId } from "../../src/formats/log-format.js";
import { MysqlLogReconciler } from "../../src/formats/mysql-merge.js";

const T0 = Date.UTC(2026, 10, 24, 10);

function general(at: number, thread: number, kind: LogEvent["kind"], statement?: string): LogEvent {
  return {
    time: T0 + at,
    backendId: thread,
    kind,
    ...(statement === undefined ? {} : { statement }),
    source: { file: "general.log", line: at },
  };
}

function slow(at: number, thread: number, statement: string, durationMs: number): LogEvent {
  return {
    time: T0 + at,
    backendId: thread,
    kind: "statement",
    statement,
    durationMs,
    source: { file: "slow.log", line: at },
  };
}

type Input = [LogEvent, FormatId];

function reconcile(inputs: Input[], options = {}): LogEvent[] {
  const reconciler = new MysqlLogReconciler(options);
  const out: LogEvent[] = [];
  const emit = (event: LogEvent) => out.push(event);
  for (const [event, format] of inputs) reconciler.push(event, format, emit);
  reconciler.end(emit);
  return out;
}

describe("MysqlLogReconciler", () => {
  it("passes a slow log alone through unchanged", () => {
    const events = [slow(0, 7, "SELECT 1", 0.1), slow(0, 8, "SELECT 2", 0.2), slow(5000, 7, "SELECT 3", 0.3)];
    expect(reconcile(events.map((e) => [e, "mysql-slow"]))).toEqual(events);
  });

  it("keeps the general log's events, with the slow log's durations, and drops the slow duplicates", () => {
    // Whole-second logs: the timeline merge may deliver either log's events of a second first.
    const out = reconcile([
      [general(0, 7, "connection_authorized"), "mysql-general"],
      [general(0, 7, "statement", "SELECT 1"), "mysql-general"],
      [slow(0, 7, "SELECT 1", 0.5), "mysql-slow"],
      [slow(1000, 7, "SELECT 2", 1.5), "mysql-slow"],
      [general(1000, 7, "prepare", "SELECT ?"), "mysql-general"],
      [general(1000, 7, "statement", "SELECT 2"), "mysql-general"],
      [general(1000, 7, "execute", "SELECT 5"), "mysql-general"],
      [slow(1000, 7, "SELECT 5", 2.5), "mysql-slow"],
      [general(1000, 7, "disconnection"), "mysql-general"],
    ]);
    expect(out.map((e) => [e.kind, e.statement, e.durationMs, e.source.file])).toEqual([
      ["connection_authorized", undefined, undefined, "general.log"],
      ["statement", "SELECT 1", 0.5, "general.log"],
      ["prepare", "SELECT ?", undefined, "general.log"],
      ["statement", "SELECT 2", 1.5, "general.log"],
      ["execute", "SELECT 5", 2.5, "general.log"],
      ["disconnection", undefined, undefined, "general.log"],
    ]);
  });

  it("matches repeated statements one to one, in order", () => {
    const out = reconcile([
      [general(0, 7, "statement", "SELECT 1"), "mysql-general"],
      [general(0, 7, "statement", "SELECT 1"), "mysql-general"],
      [slow(0, 7, "SELECT 1", 1), "mysql-slow"],
      [slow(0, 7, "SELECT 1", 2), "mysql-slow"],
    ]);
    expect(out.map((e) => e.durationMs)).toEqual([1, 2]);
  });

  it("drops what the slow log says of a thread the general log shows, even without a text match", () => {
    // MySQL's slow log writes "# administrator command: Prepare" (no text) and EXECUTE as the prepared statement.
    const out = reconcile([
      [general(0, 7, "statement", "EXECUTE s"), "mysql-general"],
      [slow(0, 7, "SELECT COUNT(*) FROM orders", 3), "mysql-slow"],
      [{ ...slow(0, 7, "", 0), kind: "prepare", statement: undefined }, "mysql-slow"],
    ]);
    expect(out.map((e) => e.statement)).toEqual(["EXECUTE s"]);
  });

  it("passes slow-log events of threads the general log does not show around that time", () => {
    const out = reconcile([
      [slow(0, 3, "SELECT before the general log was switched on", 1), "mysql-slow"],
      [general(60_000, 9, "statement", "SELECT 9"), "mysql-general"],
      [slow(60_000, 9, "SELECT 9", 1), "mysql-slow"],
      [slow(60_000, 4, "SELECT from a thread the general log never had", 1), "mysql-slow"],
    ]);
    expect(out.map((e) => [e.backendId, e.source.file])).toEqual([
      [3, "slow.log"],
      [9, "general.log"],
      [4, "slow.log"],
    ]);
  });

  it("releases each event once the window has passed, so it holds only one window of events", () => {
    const reconciler = new MysqlLogReconciler({ windowMs: 2000 });
    const out: LogEvent[] = [];
    const emit = (event: LogEvent) => out.push(event);
    for (let second = 0; second < 1000; second++) {
      reconciler.push(general(second * 1000, second, "statement", `SELECT ${second}`), "mysql-general", emit);
      // Everything more than the window older than the latest event is out already.
      expect(out.length).toBeGreaterThanOrEqual(Math.max(0, second - 2));
    }
    reconciler.end(emit);
    expect(out).toHaveLength(1000);
  });
});
