import type { LogEvent } from "@proxyfit/assessor";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresInstance, startPostgres } from "../../src/servers/postgres.js";
import { type ParsedLog, parseLog, pgFormat } from "../../src/workload/pg-conformance.js";
import { type PostgresWorkloadTruth, runPostgresWorkload } from "../../src/workload/postgres.js";

// Real logs from two throwaway servers, then damaged the ways real files get damaged. Nothing may throw; every line
// that is still intact must give the same events as before.

const PREFIX = "%m [%p] %q%u@%d ";
const SETTINGS = {
  log_line_prefix: PREFIX,
  log_statement: "all",
  log_connections: true,
  log_disconnections: true,
  log_destination: "stderr,csvlog,jsonlog",
};
const HUGE_BYTES = 10 * 1024 * 1024;

let first: PostgresInstance;
let second: PostgresInstance;
let truths: PostgresWorkloadTruth[];
const logs = { stderr: "", csv: "", json: "", otherStderr: "" };

beforeAll(async () => {
  [first, second] = await Promise.all([startPostgres({ settings: SETTINGS }), startPostgres({ settings: SETTINGS })]);
  truths = await Promise.all([
    runPostgresWorkload({ connectionString: first.connectionString(), seed: 3 }),
    runPostgresWorkload({ connectionString: second.connectionString(), seed: 4 }),
  ]);
  const client = new pg.Client({ connectionString: first.connectionString(), application_name: "huge" });
  await client.connect();
  await client.query(`SELECT length('${"y".repeat(HUGE_BYTES)}') AS huge`);
  await client.end();
  await Promise.all([first.shutdown(), second.shutdown()]);
  logs.stderr = await first.readLogs("stderr");
  logs.csv = await first.readLogs("csvlog");
  logs.json = await first.readLogs("jsonlog");
  logs.otherStderr = await second.readLogs("stderr");
});

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
});

type Kind = "pg-stderr" | "pg-csv" | "pg-json";
const content = (kind: Kind) => (kind === "pg-stderr" ? logs.stderr : kind === "pg-csv" ? logs.csv : logs.json);

/** Events without their line numbers, which damage shifts. */
function comparable(events: readonly LogEvent[]): string[] {
  return events.map((e) => JSON.stringify({ ...e, source: undefined }));
}

/** Seeded bytes that are not text: control characters, NULs, invalid UTF-8 read as Latin-1. */
function garbage(seed: number): string {
  let state = seed;
  let text = "";
  for (let i = 0; i < 80; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const code = state % 256;
    text += code === 10 || code === 13 || (i === 0 && code === 9) ? "\u0001" : String.fromCharCode(code);
  }
  return text;
}

/** Starts of records: where a line may be inserted without splitting a multi-line record. */
function recordStarts(kind: Kind, lines: readonly string[]): number[] {
  const starts: number[] = [];
  const stamp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+[ ,]/;
  lines.forEach((line, i) => {
    if (kind === "pg-json" ? line.startsWith("{") : stamp.test(line)) starts.push(i);
  });
  return starts;
}

describe.each<Kind>(["pg-stderr", "pg-csv", "pg-json"])("%s on damaged input", (kind) => {
  let clean: ParsedLog;
  beforeAll(() => {
    clean = parseLog(pgFormat(kind), content(kind));
  });

  it("reads the undamaged log without problems, including a 10 MB statement", () => {
    expect(clean.stats.linesNotUnderstood).toBe(0);
    const huge = clean.events.find((e) => e.kind === "statement" && (e.statement?.length ?? 0) > HUGE_BYTES);
    expect(huge?.statement).toBe(`SELECT length('${"y".repeat(HUGE_BYTES)}') AS huge`);
  });

  it("keeps everything before a truncated last record and counts at most that record", () => {
    // Cut in the middle of the last statement record: the file a crashed copy leaves behind.
    const text = content(kind);
    const cutAt = text.lastIndexOf("SELECT pg_backend_pid()") + 10;
    const truncated = parseLog(pgFormat(kind), text.slice(0, cutAt));
    const cutLine = text.slice(0, cutAt).split("\n").length;
    const before = clean.events.filter((e) => e.source.line < cutLine);
    expect(comparable(truncated.events)).toEqual(expect.arrayContaining(comparable(before)));
    expect(truncated.stats.linesNotUnderstood).toBeLessThanOrEqual(1);
  });

  it("counts binary garbage lines and understands all the others", () => {
    const lines = content(kind).split("\n");
    if (lines.at(-1) === "") lines.pop();
    const starts = recordStarts(kind, lines).filter((_, i) => i % 25 === 5);
    const damaged: string[] = [];
    let inserted = 0;
    lines.forEach((line, i) => {
      if (starts.includes(i)) damaged.push(garbage(++inserted));
      damaged.push(line);
    });
    expect(inserted).toBeGreaterThan(3);
    const parsed = parseLog(pgFormat(kind), `${damaged.join("\n")}\n`);
    expect(parsed.stats.linesNotUnderstood).toBe(inserted);
    expect(parsed.stats.problems.length).toBe(Math.min(inserted, 20));
    expect(comparable(parsed.events)).toEqual(comparable(clean.events));
  });
});

describe("pg-stderr with the lines of two servers interleaved", () => {
  it("keeps each server's sessions apart by pid", () => {
    const records = (text: string) => text.split(/\n(?!\t)/).filter((r) => r !== "");
    const a = records(logs.stderr);
    const b = records(logs.otherStderr);
    const mixed: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== undefined) mixed.push(a[i]!);
      if (b[i] !== undefined) mixed.push(b[i]!);
    }
    const parsed = parseLog(pgFormat("pg-stderr"), `${mixed.join("\n")}\n`);
    expect(parsed.detection?.prefix).toBe(PREFIX);
    expect(parsed.stats.linesNotUnderstood).toBe(0);
    for (const session of truths.flatMap((t) => t.sessions)) {
      const run = parsed.events.filter((e) => e.backendId === session.pid && (e.kind === "statement" || e.kind === "execute"));
      expect(
        run.map((e) => e.statement),
        session.scenario,
      ).toEqual(session.statements.map((s) => s.text));
    }
  });
});
