import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type AnalysisOptions, assess, createAnalysis, fileInput, LOG_FORMATS } from "@proxyfit/assessor";
import { describe, expect, it } from "vitest";
import { realLog } from "../../src/corpus.js";

/** Real logs whose time span, not their size, used to decide the assessor's time and memory. */
const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const BIN = join(ROOT, "cli/bin/proxyfit.js");
const MB = 1024 * 1024;

async function assessMeasured(path: string) {
  const before = process.memoryUsage().rss;
  const report = await assess([await fileInput(path)]);
  return { report, grewBytes: process.memoryUsage().rss - before };
}

describe("the replay on logs spanning years", () => {
  it("reads percona slow056 (12 lines, 2005 to 2040) in memory that does not follow its span", async () => {
    const { report, grewBytes } = await assessMeasured(realLog("percona/slow056.txt"));
    const replay = report.replay!;
    expect(replay.series.clientConnections.length).toBeLessThanOrEqual(10_000);
    expect(replay.series.clientConnections.length).toBeGreaterThan(9_000);
    // 35 years in at most 10,000 points.
    expect(replay.bucketSeconds).toBeGreaterThan(100_000);
    expect(replay.peaks.clientConnections).toBe(Math.max(...replay.series.clientConnections));
    expect(Number.isFinite(replay.p99.clientConnections)).toBe(true);
    // It used to allocate a bucket per second of the span: 21.7 GB before dying.
    expect(grewBytes).toBeLessThan(300 * MB);
  });

  it("reads pgbadger weeknumber (6 lines over 185 days) with its one-second maxima folded into the report's points", async () => {
    const { report, grewBytes } = await assessMeasured(realLog("pgbadger/weeknumber.log"));
    const replay = report.replay!;
    const seconds = (Date.parse(report.summary.lastEventAt!) - Date.parse(replay.start)) / 1000;
    expect(replay.bucketSeconds).toBe(Math.ceil(Math.ceil(seconds) / 10_000));
    expect(replay.series.databaseConnections.length).toBe(replay.series.clientConnections.length);
    expect(replay.peaks.clientConnections).toBe(Math.max(...replay.series.clientConnections));
    expect(grewBytes).toBeLessThan(300 * MB);
  });
});

describe("times that cannot be read", () => {
  it("ends Heroku's logplex log (a prefix without a time) with one line naming the file and line, exit code 2", async () => {
    const file = realLog("pgbadger/logplex.gz");
    const run = await promisify(execFile)(process.execPath, [BIN, "assess", file]).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(`${file}:line 9: no time could be read from this line`);
    expect(run.stderr).toContain("--prefix");
  });

  it("never reaches the report with a time the format could not read", async () => {
    await expect(assess([await fileInput(realLog("pgbadger/logplex.gz"))])).rejects.toThrow(
      /logplex\.gz:line 9: no time could be read/,
    );
  });
});

describe("one session of a million statements", () => {
  const STATEMENTS = 1_000_000;
  /**
   * Pinning statements of ever new shapes (a table per tenant, named in letters: the fingerprint folds trailing
   * digits), each a fingerprint of its own, in the last 500,000 statements: the 500,000 before them run unpinned,
   * two replay changes each.
   */
  const DISTINCT_PINS = 25_000;
  const prefix = (ms: number) => `${new Date(Date.UTC(2026, 2, 2, 9) + ms).toISOString().replace("T", " ").slice(0, -1)} UTC [4242] app@shop `;
  const QUERIES = [
    "LOG:  duration: 0.041 ms  statement: SELECT id, email FROM users WHERE id = 4821",
    "LOG:  duration: 0.020 ms  statement: BEGIN",
    "LOG:  duration: 0.112 ms  statement: UPDATE carts SET updated_at = now() WHERE id = 99120",
    "LOG:  duration: 0.030 ms  statement: COMMIT",
  ];

  const tenant = (n: number) => n.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)));

  /** Ten statements per millisecond, as a busy session logged with log_min_duration_statement = 0 writes them. */
  function* lines(): Generator<string> {
    yield `${prefix(0)}LOG:  connection authorized: user=app database=shop`;
    for (let n = 0; n < STATEMENTS; n++) {
      const at = prefix(1 + Math.floor(n / 10));
      const pin = n - (STATEMENTS - 20 * DISTINCT_PINS);
      if (pin >= 0 && pin % 20 === 0) {
        yield `${at}LOG:  duration: 0.050 ms  statement: SELECT pg_advisory_lock(id) FROM jobs_${tenant(pin / 20)}`;
      } else if (n % 5 === 3) {
        // Extended protocol with a new statement name each time (pgjdbc's S_1, S_2...).
        yield `${at}LOG:  duration: 0.020 ms  parse S_${n}: SELECT price FROM products WHERE sku = $1`;
        yield `${at}LOG:  duration: 0.060 ms  execute S_${n}: SELECT price FROM products WHERE sku = $1`;
      } else {
        yield `${at}${QUERIES[n % QUERIES.length]!}`;
      }
    }
    yield `${prefix(1 + STATEMENTS / 10)}LOG:  disconnection: session time: 0:02:30.000 user=app database=shop host=10.0.3.17 port=51234`;
  }

  it("keeps nothing per statement: the analysis's entries stay at their bounds, the session's own state too", async () => {
    const format = LOG_FORMATS.find((f) => f.id === "pg-stderr")!;
    const parser = format.open({ file: "one-session.log", prefix: "%m [%p] %q%u@%d " });
    let closed: Parameters<NonNullable<AnalysisOptions["onSessionClosed"]>>[1] | undefined;
    const analysis = await createAnalysis({
      engine: "postgresql",
      replay: { maxConnectionsPercent: 100 },
      onSessionClosed: (_session, state) => {
        closed = state;
      },
    });
    const most = { replayBacklog: 0, pinningStatements: 0, openSessions: 0 };
    let lineNo = 0;
    for (const line of lines()) {
      parser.line(line, ++lineNo, (event) => analysis.add(event));
      if (lineNo % 10_000 === 0) {
        const retained = analysis.retained();
        for (const key of Object.keys(most) as Array<keyof typeof most>) most[key] = Math.max(most[key], retained[key]);
      }
    }
    parser.end((event) => analysis.add(event));
    const report = analysis.report();

    expect(report.summary).toMatchObject({ sessions: 1, statements: STATEMENTS, pinnedSessions: 1 });
    expect(most.openSessions).toBe(1);
    // Two replay changes per unpinned statement before the first pin: a million would pile up if kept.
    expect(most.replayBacklog).toBeLessThan(300_000);
    // 25,000 distinct pinning statements, tallied exactly up to 20,000, the rarest forgotten past that.
    expect(most.pinningStatements).toBeGreaterThan(10_000);
    expect(most.pinningStatements).toBeLessThanOrEqual(20_000);
    expect(report.topPinningStatements.length).toBeLessThanOrEqual(20);
    expect(closed!.pinReasons.map((r) => r.rule)).toEqual([...closed!.rules]);
    expect(closed!.rules.size).toBeLessThanOrEqual(3);
    // 200,000 statement names parsed; a session remembers at most 10,000.
    expect(closed!.parsedNames.size).toBeLessThanOrEqual(10_000);
    expect(report.replay!.series.clientConnections.length).toBeLessThanOrEqual(10_000);
    expect(report.replay!.borrowWaits.periods.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(report).length).toBeLessThan(1024 * 1024);
  }, 300_000);
});
