import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assess, fileInput, type Report } from "@proxyfit/assessor";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The verdict shows its evidence, on the bundled samples (real logs of throwaway servers, `npm run samples`): every
 * figure with its unit and source, the thresholds named, churn measured on any window, thin evidence (a short window,
 * max_connections unknown) answered with not-enough-evidence and what to collect, and a cost table that agrees.
 */
const samples = resolve(fileURLToPath(import.meta.url), "../../../../samples");
const evidence = (report: Report, figure: string) => report.recommendation!.evidence.find((e) => e.figure === figure)!;

describe("the PostgreSQL sample (ten minutes of a real server's log)", () => {
  let report: Report;
  beforeAll(async () => {
    report = await assess([await fileInput(join(samples, "postgresql.log.gz"))], { instanceClass: "db.t3.micro" });
  }, 120_000);

  it("is long enough to decide, and names every figure with its unit and source", () => {
    const recommendation = report.recommendation!;
    expect(evidence(report, "log-window").value).toBeGreaterThanOrEqual(10);
    expect(recommendation.thin_evidence).toEqual([]);
    expect(recommendation.verdict).not.toBe("not-enough-evidence");
    expect(recommendation.evidence.map((e) => e.figure)).toEqual([
      "log-window",
      "peak-concurrent-sessions",
      "max-connections",
      "connections-opened-per-second",
      "connections-opened-per-minute",
      "median-connection-lifetime",
      "pin-ratio",
      "multiplexing",
      "monthly-cost-difference",
    ]);
    for (const e of recommendation.evidence) {
      expect(e.unit).not.toBe("");
      expect(e.source).not.toBe("");
    }
    expect(recommendation.evidence.some((e) => e.decided)).toBe(true);
  });

  it("compares the peak with 80% of max_connections, and says so", () => {
    const peak = evidence(report, "peak-concurrent-sessions");
    expect(peak.value).toBe(report.replay!.baseline.peakConcurrentSessions);
    expect(peak.threshold).toEqual({ value: 68, unit: "sessions", comparison: ">", basis: "80.0% of max_connections 85: connection pressure" });
    expect(peak.decided).toBe(peak.value! > 68);
  });

  it("measures churn per second and per minute with the median lifetime", () => {
    const perSecond = evidence(report, "connections-opened-per-second");
    const windowSeconds = (Date.parse(report.summary.lastEventAt!) - Date.parse(report.summary.firstEventAt!)) / 1000;
    expect(perSecond.value).toBeCloseTo(report.summary.sessions / windowSeconds, 2);
    expect(evidence(report, "connections-opened-per-minute").value).toBeCloseTo(perSecond.value! * 60, 0);
    expect(evidence(report, "median-connection-lifetime").value).toBeGreaterThan(0);
  });

  it("never prices no-proxy as 'no change' while the peak decided for pressure", () => {
    const noProxy = report.costs!.options.find((o) => o.option === "no-proxy")!;
    if (evidence(report, "peak-concurrent-sessions").decided) expect(noProxy.summary).not.toMatch(/no change/);
  });
});

describe("the PostgreSQL sample without an instance class", () => {
  it("waits for max_connections unless churn decides alone", async () => {
    const report = await assess([await fileInput(join(samples, "postgresql.log.gz"))]);
    const recommendation = report.recommendation!;
    const churning = evidence(report, "connections-opened-per-second").decided;
    expect(recommendation.thin_evidence.map((t) => t.cause)).toEqual(churning ? [] : ["max-connections-unknown"]);
    if (!churning) {
      expect(recommendation.verdict).toBe("not-enough-evidence");
      expect(recommendation.thin_evidence[0]!.collect).toMatch(/--instance-class .* or --max-connections/);
    }
  }, 120_000);
});

describe("the MariaDB sample (seconds of log, no instance class)", () => {
  let report: Report;
  beforeAll(async () => {
    report = await assess([
      await fileInput(join(samples, "mariadb-general.log")),
      await fileInput(join(samples, "mariadb-slow.log")),
    ]);
  }, 120_000);

  it("is not enough evidence: the window is short, with what to collect; max_connections is named unknown", () => {
    const recommendation = report.recommendation!;
    expect(recommendation.verdict).toBe("not-enough-evidence");
    // Its connections churn (short-lived, several a second), so max_connections is not what the verdict waits for.
    expect(evidence(report, "connections-opened-per-second").value).toBeGreaterThanOrEqual(5);
    expect(recommendation.thin_evidence.map((t) => t.cause)).toEqual(["short-window"]);
    expect(recommendation.thin_evidence[0]!.collect).toMatch(/at least 10 minutes/);
    expect(recommendation.reasons.join(" ")).not.toMatch(/not under pressure/);
    expect(evidence(report, "max-connections")).toMatchObject({ value: null, source: expect.stringMatching(/^unknown/) });
    expect(evidence(report, "log-window").decided).toBe(true);
  });

  it("still measures churn on a window of seconds", () => {
    expect(evidence(report, "connections-opened-per-second").value).toBeGreaterThan(0);
    expect(evidence(report, "median-connection-lifetime").value).not.toBeNull();
  });
});
