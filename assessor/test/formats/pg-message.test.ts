import { describe, expect, it } from "vitest";
import { parsePgMessage } from "../../src/formats/pg-message.js";
import { compilePrefix } from "../../src/formats/pg-prefix.js";
import { PgTimestampParser, zoneOffsetMinutes } from "../../src/formats/pg-time.js";

// Message bodies as postgres.c and postmaster.c word them (PostgreSQL 9.6-16).
describe("parsePgMessage", () => {
  it("reads statement logging of log_statement and log_min_duration_statement", () => {
    expect(parsePgMessage("statement: SELECT 1")).toEqual({ kind: "statement", text: "SELECT 1" });
    expect(parsePgMessage("duration: 0.123 ms")).toEqual({ kind: "duration", durationMs: 0.123 });
    expect(parsePgMessage("duration: 12.5 ms  statement: SELECT 1")).toEqual({
      kind: "statement",
      text: "SELECT 1",
      durationMs: 12.5,
    });
    expect(parsePgMessage("duration: 1.000 ms  parse <unnamed>: SELECT $1")).toEqual({
      kind: "parse",
      text: "SELECT $1",
      statementName: "",
      durationMs: 1,
    });
    expect(parsePgMessage("duration: 1.000 ms  bind S_1/C_2: SELECT $1")).toMatchObject({
      kind: "bind",
      statementName: "S_1",
    });
    expect(parsePgMessage("execute fetch from S_3/C_1: SELECT * FROM t")).toEqual({
      kind: "execute",
      text: "SELECT * FROM t",
      statementName: "S_3",
    });
  });

  it("does not take auto_explain plans or other LOG lines for statements", () => {
    expect(parsePgMessage("duration: 0.019 ms  plan:\nQuery Text: SELECT 1")).toEqual({ kind: "other" });
    expect(parsePgMessage("checkpoint starting: time")).toEqual({ kind: "other" });
    expect(parsePgMessage("execution of x")).toEqual({ kind: "other" });
  });

  it("reads connection lines, PostgreSQL 15 SSL and GSS suffixes and names with spaces", () => {
    expect(parsePgMessage("connection received: host=10.0.0.5 port=50012")).toEqual({
      kind: "connection_received",
      host: "10.0.0.5",
    });
    expect(parsePgMessage("connection received: host=[local]")).toEqual({ kind: "connection_received", host: "[local]" });
    expect(
      parsePgMessage(
        "connection authorized: user=app database=shop application_name=nightly report SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)",
      ),
    ).toEqual({ kind: "connection_authorized", user: "app", database: "shop", application: "nightly report" });
    expect(parsePgMessage("connection authorized: user=app database=shop")).toEqual({
      kind: "connection_authorized",
      user: "app",
      database: "shop",
      application: undefined,
    });
    expect(
      parsePgMessage("disconnection: session time: 0:00:01.234 user=app database=shop host=10.0.0.5 port=50012"),
    ).toEqual({ kind: "disconnection", user: "app", database: "shop", host: "10.0.0.5" });
  });
});

describe("compilePrefix", () => {
  it("makes what follows %q optional, for lines of background processes", () => {
    const { regex, fields } = compilePrefix("%m [%p] %q%u@%d ");
    expect(fields).toEqual(["time", "pid", "user", "database"]);
    expect(regex.exec("2026-11-24 10:00:00.123 UTC [42] app@shop LOG:  x")?.slice(1)).toEqual([
      "2026-11-24 10:00:00.123 UTC",
      "42",
      "app",
      "shop",
      "LOG",
    ]);
    expect(regex.exec("2026-11-24 10:00:00.123 UTC [42] LOG:  x")?.slice(1, 3)).toEqual([
      "2026-11-24 10:00:00.123 UTC",
      "42",
    ]);
  });

  it("accepts padded escapes, %% and escapes PostgreSQL does not know", () => {
    const { regex } = compilePrefix("%-8p%% %Z%u: ");
    expect(regex.exec("42      % app: ERROR:  x")?.slice(1)).toEqual(["42", "app", "ERROR"]);
  });
});

describe("PgTimestampParser", () => {
  it("applies abbreviations, numeric offsets and the fallback for unknown zones", () => {
    const unknown: string[] = [];
    const parser = new PgTimestampParser(60, (zone) => unknown.push(zone));
    expect(parser.parse("2026-11-24 10:00:00.250 UTC")).toBe(Date.UTC(2026, 10, 24, 10, 0, 0, 250));
    expect(parser.parse("2026-11-24 10:00:00 CET")).toBe(Date.UTC(2026, 10, 24, 9));
    expect(parser.parse("2026-11-24 10:00:00 -0530")).toBe(Date.UTC(2026, 10, 24, 15, 30));
    expect(parser.parse("2026-11-24 10:00:00 +03")).toBe(Date.UTC(2026, 10, 24, 7));
    expect(parser.parse("2026-11-24 10:00:00 XYZT")).toBe(Date.UTC(2026, 10, 24, 9));
    expect(parser.parse("2026-11-24 10:00:01 XYZT")).toBe(Date.UTC(2026, 10, 24, 9, 0, 1));
    expect(unknown).toEqual(["XYZT"]);
    expect(parser.parse("not a time")).toBeNaN();
    expect(zoneOffsetMinutes("")).toBe(0);
  });
});
