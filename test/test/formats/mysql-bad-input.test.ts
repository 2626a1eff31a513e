import { readFile } from "node:fs/promises";
import type { LogEvent } from "@proxyfit/assessor";
import { LOG_FORMATS } from "@proxyfit/assessor";
import mysql from "mysql2/promise";
import { afterAll, describe, expect, it } from "vitest";
import { startMariadb } from "../../src/servers/mariadb.js";
import { sharedMysqlLogRun } from "../../src/workload/mysql-conformance.js";
import { parseLog } from "../../src/workload/pg-conformance.js";

/**
 * Damaged MySQL logs, made from the real logs of a MariaDB run: cut short, with junk lines, one 10 MB statement, and a
 * general and a slow log pasted into one file. Nothing may throw; what is understood is kept, the rest is counted.
 */
const run = sharedMysqlLogRun(11);
afterAll(() => run.stop());

const FORMATS = ["mysql-general", "mysql-slow"] as const;
type MysqlFormatId = (typeof FORMATS)[number];
const LOG_OF = { "mysql-general": "generalLog", "mysql-slow": "slowLog" } as const;

function format(id: MysqlFormatId) {
  return LOG_FORMATS.find((f) => f.id === id)!;
}

/** The log's lines without the final empty one. */
function linesOf(content: string): string[] {
  const lines = content.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

const summary = (events: LogEvent[]) => events.map((e) => [e.backendId, e.kind, e.statement]);

describe.each(FORMATS)("%s on damaged input", (id) => {
  it("keeps every complete record of a log cut in the middle of its last record", async () => {
    const content = (await run.get())[LOG_OF[id]];
    const whole = parseLog(format(id), content);
    const lines = linesOf(content);
    // Cut inside the last statement's text: the general log's last Query line, the slow log's last statement line.
    // Halfway through the statement, never through the general log's record head: a head cut short ("\t\t   17 Qu")
    // reads, rightly, as one more line of the previous statement (statements span lines), which is another test's case.
    const cutLine = lines.findLastIndex((l) => (id === "mysql-general" ? / Query\t../.test(l) : l.endsWith(";")));
    const textStart = id === "mysql-general" ? lines[cutLine]!.indexOf(" Query\t") + " Query\t".length : 0;
    const cutText = lines[cutLine]!.slice(0, textStart + Math.floor((lines[cutLine]!.length - textStart) / 2));
    const cut = parseLog(format(id), [...lines.slice(0, cutLine), cutText].join("\n"));

    const cutRecord = whole.events.findLast((e) => e.kind === "statement" && e.source.line <= cutLine + 1)!;
    const kept = whole.events.filter((e) => e.source.line < cutRecord.source.line);
    expect(summary(cut.events.slice(0, kept.length))).toEqual(summary(kept));
    expect(cut.stats.linesNotUnderstood).toBe(0);
    // The cut statement is kept as far as it goes (the rulebook's lexical fallback reads truncated text).
    const last = cut.events.findLast((e) => e.kind === "statement")!;
    expect(last.source.line).toBe(cutRecord.source.line);
    expect(cutRecord.statement!.startsWith(last.statement!)).toBe(true);
    expect(last.statement!.length).toBeLessThan(cutRecord.statement!.length);
  });

  it("counts a record cut before its statement, and keeps the rest", async () => {
    const content = (await run.get())[LOG_OF[id]];
    const lines = linesOf(content);
    const whole = parseLog(format(id), content);
    // General log: a record head cut after its timestamp. Slow log: a record cut after its header lines.
    const cutLine =
      id === "mysql-general"
        ? lines.findLastIndex((l) => /^\d{6} /.test(l))
        : lines.findLastIndex((l) => l.startsWith("# Query_time:"));
    const cutText = id === "mysql-general" ? lines[cutLine]!.slice(0, "261124 23:27:00\t".length) : lines[cutLine]!;
    const cut = parseLog(format(id), [...lines.slice(0, cutLine), cutText].join("\n"));
    expect(cut.stats.linesNotUnderstood).toBe(1);
    // A slow log record is reported at its first line.
    const reported = cut.stats.problems[0]!.line;
    if (id === "mysql-general") expect(reported).toBe(cutLine + 1);
    else expect(lines[reported - 1]).toMatch(/^# (?:Time|User@Host): /);
    const kept = whole.events.filter((e) => e.source.line < reported);
    expect(summary(cut.events.slice(0, kept.length))).toEqual(summary(kept));
  });

  it("counts junk lines with their line numbers and reads everything around them", async () => {
    const content = (await run.get())[LOG_OF[id]];
    const lines = linesOf(content);
    const whole = parseLog(format(id), content);
    const junk = ["\u0000\u0001\u0002 binary junk \ufffd\ufffd", "", "this is not a MySQL log line"];
    // Before the first record junk cannot be a continuation line; after the start-up header either.
    const damaged = [...junk, ...lines.slice(0, 3), ...junk, ...lines.slice(3)];
    const parsed = parseLog(format(id), damaged.join("\n"));
    expect(parsed.stats.linesNotUnderstood).toBe(2 * junk.length);
    expect(parsed.stats.problems.map((p) => p.line)).toEqual([1, 2, 3, 7, 8, 9]);
    expect(parsed.stats.problems[0]!.reason).toMatch(/not a general query log record|outside a slow log record/);
    expect(summary(parsed.events)).toEqual(summary(whole.events));
  });

  it("reads a general and a slow log pasted into one file, rejecting the other log's lines", async () => {
    const logs = await run.get();
    const own = logs[LOG_OF[id]];
    const other = id === "mysql-general" ? logs.slowLog : logs.generalLog;
    const whole = parseLog(format(id), own);
    for (const pasted of [`${own}${other}`, `${other}${own}`]) {
      const parsed = parseLog(format(id), pasted);
      expect(summary(parsed.events)).toEqual(summary(whole.events));
      // The other log's server start-up header lines are shared by both formats; all its other lines are rejected.
      const otherLines = linesOf(other).filter((l) => !/started with:$|^Tcp port: |^Time\s+Id\s+Command/.test(l));
      expect(parsed.stats.linesNotUnderstood).toBe(otherLines.length);
    }
  });
});

describe("a 10 MB statement", () => {
  it("is read whole from both logs", async () => {
    const server = await startMariadb({ generalLog: true, slowLog: true });
    try {
      const client = await mysql.createConnection(server.connectionOptions());
      const literal = "x".repeat(10 * 1024 * 1024);
      const sql = `SELECT LENGTH('${literal}') AS n`;
      const [rows] = await client.query(sql);
      expect((rows as Array<{ n: number }>)[0]!.n).toBe(literal.length);
      await client.end();
      for (const [id, path] of [
        ["mysql-general", server.generalLogPath],
        ["mysql-slow", server.slowLogPath],
      ] as const) {
        const parsed = parseLog(format(id), await readFile(path, "utf8"));
        expect(parsed.stats.linesNotUnderstood, id).toBe(0);
        const statements = parsed.events.filter((e) => e.kind === "statement");
        expect(statements.map((e) => e.statement!.length)).toEqual([sql.length]);
        expect(statements[0]!.statement === sql).toBe(true);
      }
    } finally {
      await server.stop();
    }
  });
});
