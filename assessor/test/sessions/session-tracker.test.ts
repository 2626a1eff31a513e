import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../src/events/log-event.js";
import type { SessionReport } from "../../src/report/report.js";
import type { PinFinding, StatementToClassify } from "../../src/rules/rulebook.js";
import { SessionTracker } from "../../src/sessions/session-tracker.js";

// A stand-in classifier with two rules, one documented-ambiguous, and the pre-2023 Parse rule: the tracker's job is
// bookkeeping, the real rulebook has its own tests.
function classify(statement: StatementToClassify): PinFinding[] {
  if (statement.via === "parse") return [{ rule: "pg.extended_protocol", reason: "parse", ambiguous: false }];
  if (/^set local/i.test(statement.text)) return [{ rule: "pg.set_local", reason: "set local", ambiguous: true }];
  if (/^set /i.test(statement.text)) return [{ rule: "pg.set", reason: "set", ambiguous: false }];
  return [];
}

let line = 0;
function event(kind: LogEvent["kind"], backendId: number, time: number, extra: Partial<LogEvent> = {}): LogEvent {
  return { kind, backendId, time, source: { file: "t.log", line: ++line }, ...extra };
}

function track(events: LogEvent[], classifier = classify): SessionReport[] {
  const sessions: SessionReport[] = [];
  const tracker = new SessionTracker("postgresql", classifier, (s) => sessions.push(s));
  for (const e of events) tracker.add(e);
  tracker.finish();
  return sessions;
}

describe("SessionTracker", () => {
  it("rebuilds sessions from connection lines, with pid reuse starting a new session", () => {
    const sessions = track([
      event("connection_received", 10, 1000, { clientAddress: "10.0.0.1" }),
      event("connection_authorized", 10, 1001, { user: "app", database: "shop", application: "api" }),
      event("statement", 10, 1002, { statement: "SELECT 1", durationMs: 3 }),
      event("disconnection", 10, 1010),
      event("connection_received", 10, 2000),
      event("connection_authorized", 10, 2001, { user: "batch", database: "shop" }),
      event("statement", 10, 2002, { statement: "SELECT 2" }),
    ]);
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).toMatchObject({
      backendId: 10,
      user: "app",
      database: "shop",
      application: "api",
      clientAddress: "10.0.0.1",
      startFrom: "connection",
      endFrom: "disconnection",
      statements: 1,
      transactions: 1,
      pinned: false,
    });
    expect(sessions[0]!.start).toBe(new Date(1000).toISOString());
    expect(sessions[0]!.end).toBe(new Date(1010).toISOString());
    expect(sessions[1]).toMatchObject({ user: "batch", endFrom: "last-event", statements: 1 });
  });

  it("separates sessions on a changed session key even without connection lines", () => {
    const sessions = track([
      event("statement", 7, 1, { statement: "SELECT 1", sessionKey: "a.7" }),
      event("statement", 7, 2, { statement: "SELECT 1", sessionKey: "a.7" }),
      event("statement", 7, 3, { statement: "SELECT 1", sessionKey: "b.7" }),
    ]);
    expect(sessions.map((s) => [s.startFrom, s.statements])).toEqual([
      ["first-event", 2],
      ["first-event", 1],
    ]);
  });

  it("counts explicit and implicit transactions", () => {
    const [session] = track([
      event("statement", 1, 1, { statement: "BEGIN" }),
      event("statement", 1, 2, { statement: "UPDATE t SET a = 1" }),
      event("statement", 1, 3, { statement: "COMMIT" }),
      event("statement", 1, 4, { statement: "SELECT 1" }),
      event("statement", 1, 5, { statement: "BEGIN; SELECT 1; COMMIT" }),
    ]);
    expect(session).toMatchObject({ transactions: 3, statements: 5 });
  });

  it("records the first reason per rule, and pins only-ambiguous sessions as such", () => {
    const sessions = track([
      event("statement", 1, 1, { statement: "SET LOCAL lock_timeout = '1s'" }),
      event("statement", 1, 2, { statement: "SET LOCAL lock_timeout = '2s'" }),
      event("statement", 2, 1, { statement: "SET LOCAL x = 1" }),
      event("statement", 2, 2, { statement: "SET search_path = app" }),
    ]);
    expect(sessions[0]).toMatchObject({ pinned: true, pinnedOnlyByAmbiguous: true });
    expect(sessions[0]!.pinReasons.map((r) => r.rule)).toEqual(["pg.set_local"]);
    expect(sessions[1]).toMatchObject({ pinned: true, pinnedOnlyByAmbiguous: false });
    expect(sessions[1]!.pinReasons.map((r) => [r.rule, r.source.file])).toEqual([
      ["pg.set_local", "t.log"],
      ["pg.set", "t.log"],
    ]);
  });

  it("treats an extended-protocol execute whose Parse was not logged as a Parse, once per statement name", () => {
    const seen: StatementToClassify[] = [];
    const [session] = track(
      [
        event("execute", 1, 1, { statement: "SELECT $1", protocol: "extended", statementName: "" }),
        event("execute", 1, 2, { statement: "SELECT $1", protocol: "extended", statementName: "" }),
        event("execute", 1, 3, { statement: "SELECT $1", protocol: "extended", statementName: "s1" }),
      ],
      (s) => {
        seen.push(s);
        return classify(s);
      },
    );
    expect(seen.filter((s) => s.via === "parse").map((s) => s.statementName)).toEqual(["", "s1"]);
    expect(session).toMatchObject({ statements: 3, pinned: true });
  });

  it("drops a connection that never authenticated and ran nothing (failed login)", () => {
    const sessions = track([
      event("connection_received", 5, 1),
      event("error", 5, 2, { message: 'password authentication failed for user "x"' }),
      event("disconnection", 5, 3),
    ]);
    expect(sessions).toEqual([]);
  });
});

describe("SessionTracker memory", () => {
  it("a session that prepares new statement names for ever keeps at most 10,000 of them", () => {
    let largest = 0;
    const tracker = new SessionTracker("postgresql", classify, (_report, state) => {
      largest = Math.max(largest, state.parsedNames.size);
    });
    tracker.add(event("connection_authorized", 7, 1000, { user: "app", database: "shop" }));
    for (let i = 0; i < 25_000; i++) {
      tracker.add(event("parse", 7, 1001 + i, { statement: "SELECT 1", protocol: "extended", statementName: `s${i}` }));
    }
    tracker.finish();
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(10_000);
  });
});
