import { assess, fileInput, type Report } from "@proxyfit/assessor";
import { describe, expect, it } from "vitest";
import { realLog } from "../../src/corpus.js";

/** Coverage of logs from the real-log corpus (read in place, never copied): what each one's settings let it see. */
async function assessed(path: string): Promise<Report> {
  return assess([await fileInput(realLog(path))]);
}

describe("coverage of real logs", () => {
  it("quellog comprehensive (log_min_duration_statement = 0, connection lines): complete, one pin ratio", async () => {
    const report = await assessed("other/quellog/comprehensive/stderr.log");
    expect(report.inputs[0]!.coverage).toMatchObject({
      complete: true,
      statements: "all",
      durationThreshold: { estimateMs: 0 },
      sessionsFrom: "connection-lines",
    });
    expect(report.summary.pinRatioRange).toEqual({ min: 17 / 763, max: 17 / 763 });
    expect(report.recommendation!.thin_evidence.map((t) => t.cause)).not.toContain("partial-logging");
  });

  it("quellog stderr (a threshold, a few faster lines): the threshold is placed past them, not at their minimum", async () => {
    const report = await assessed("other/quellog/stderr.log.gz");
    const coverage = report.inputs[0]!.coverage;
    expect(coverage.statements).toBe("above-threshold");
    expect(coverage.durationThreshold).toMatchObject({ estimateMs: 4.7, belowEstimate: 17 });
    expect(coverage.durationThreshold!.shortestMs).toBeLessThan(2);
    expect(report.summary.pinRatioRange.max).toBe(1);
    expect(report.recommendation!.verdict).toBe("not-enough-evidence");
  });

  it("pgBadger stmt_type (every statement, no connection lines, no %c): sessions only by pid", async () => {
    const report = await assessed("pgbadger/stmt_type.log");
    expect(report.inputs[0]!.coverage).toMatchObject({ complete: false, statements: "all", sessionsFrom: "backend-ids" });
    expect(report.summary.coverage).toMatchObject({ statementsComplete: true, sessionCountIsLowerBound: true });
  });

  it("Percona slow060 (long_query_time = 10, the server default): a 10 s threshold", async () => {
    const report = await assessed("percona/slow060.txt");
    expect(report.inputs[0]!.coverage).toMatchObject({
      complete: false,
      statements: "above-threshold",
      mysqlLog: "slow",
      durationThreshold: { estimateMs: 10000 },
    });
    expect(report.recommendation!.verdict).toBe("not-enough-evidence");
  });

  it("Percona genlog005 (a general log): complete", async () => {
    const report = await assessed("percona/genlog005.txt");
    expect(report.inputs[0]!.coverage).toMatchObject({ complete: true, statements: "all", mysqlLog: "general" });
  });
});
