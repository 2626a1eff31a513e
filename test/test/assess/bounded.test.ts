import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { assess, fileInput } from "@proxyfit/assessor";
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
