import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assess, fileInput, type Report } from "@proxyfit/assessor";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMariadb } from "../../src/servers/mariadb.js";
import { startPostgres } from "../../src/servers/postgres.js";
import { runMysqlWorkload } from "../../src/workload/mysql.js";
import { type PostgresWorkloadTruth, runPostgresWorkload } from "../../src/workload/postgres.js";

/**
 * One workload of known truth, logged several ways by throwaway servers: the coverage the assessor infers must match
 * the settings, the pin-ratio range must hold the true ratio, and the complete log must give the exact answer.
 */
const PREFIX = { log_destination: "stderr", log_line_prefix: "%m [%p] %q%u@%d " };
const CONNECTIONS = { log_connections: "on", log_disconnections: "on" };

interface PgSetup {
  name: string;
  settings: Record<string, string | number>;
}

const PG_SETUPS: PgSetup[] = [
  { name: "log_min_duration_statement = 0", settings: { ...PREFIX, ...CONNECTIONS, log_min_duration_statement: 0 } },
  { name: "log_min_duration_statement = 3", settings: { ...PREFIX, ...CONNECTIONS, log_min_duration_statement: 3 } },
  { name: "log_min_duration_statement = 100", settings: { ...PREFIX, ...CONNECTIONS, log_min_duration_statement: 100 } },
  { name: "log_min_duration_statement = 0, no connection lines", settings: { ...PREFIX, log_min_duration_statement: 0 } },
  { name: "log_statement = 'mod'", settings: { ...PREFIX, ...CONNECTIONS, log_statement: "mod" } },
];

const pgRuns = new Map<string, { report: Report; truth: PostgresWorkloadTruth }>();

beforeAll(async () => {
  for (const setup of PG_SETUPS) {
    const server = await startPostgres({ settings: setup.settings });
    try {
      const truth = await runPostgresWorkload({ connectionString: server.connectionString(), seed: 7 });
      await server.shutdown();
      const inputs = await Promise.all((await server.logFiles("stderr")).map((f) => fileInput(f)));
      pgRuns.set(setup.name, { report: await assess(inputs), truth });
    } finally {
      await server.stop();
    }
  }
}, 300_000);

function truthRatio(truth: PostgresWorkloadTruth): number {
  return truth.sessions.filter((s) => s.pinned["rds-proxy"]).length / truth.sessions.length;
}

function run(name: string) {
  const found = pgRuns.get(name);
  if (!found) throw new Error(`no run for ${name}`);
  return { ...found, coverage: found.report.inputs[0]!.coverage, truth: truthRatio(found.truth) };
}

describe("coverage of PostgreSQL logs written by a real server", () => {
  it.each(PG_SETUPS.map((s) => s.name))("the range holds the true pin ratio: %s", (name) => {
    const { report, truth } = run(name);
    expect(report.summary.pinRatioRange.min).toBeLessThanOrEqual(truth);
    expect(report.summary.pinRatioRange.max).toBeGreaterThanOrEqual(truth);
  });

  it("log_min_duration_statement = 0 with connection lines: complete, and the exact answer", () => {
    const { report, coverage, truth } = run("log_min_duration_statement = 0");
    expect(coverage).toMatchObject({
      complete: true,
      statements: "all",
      loggedAtStart: "none",
      durationThreshold: { estimateMs: 0 },
      sessionsFrom: "connection-lines",
      missing: [],
    });
    expect(coverage.extendedProtocol.parse).toBeGreaterThan(0);
    expect(coverage.extendedProtocol.bind).toBeGreaterThan(0);
    expect(report.summary.sessions).toBe(pgRuns.get(name0)!.truth.sessions.length);
    expect(report.summary.pinRatio).toBeCloseTo(truth, 12);
    const { sessions, pinnedSessions, ambiguousOnlySessions } = report.summary;
    expect(report.summary.pinRatioRange).toEqual({
      min: (pinnedSessions - ambiguousOnlySessions) / sessions,
      max: pinnedSessions / sessions,
    });
    expect(report.summary.coverage).toMatchObject({ complete: true, sessionCountIsLowerBound: false });
    expect(report.recommendation!.thin_evidence.map((t) => t.cause)).not.toContain("partial-logging");
    expect(report.recommendation!.capture).toBeUndefined();
  });

  it("log_min_duration_statement = 3: above a threshold the durations place, not enough evidence", () => {
    const { report, coverage } = run("log_min_duration_statement = 3");
    expect(coverage).toMatchObject({ complete: false, statements: "above-threshold", sessionsFrom: "connection-lines" });
    expect(coverage.durationThreshold!.estimateMs).toBeGreaterThanOrEqual(3);
    expect(coverage.durationThreshold!.shortestMs).toBeGreaterThanOrEqual(3);
    expect(report.summary.pinRatioRange.max).toBe(1);
    expect(report.summary.coverage.sessionCountIsLowerBound).toBe(false);
    expect(report.recommendation!.verdict).toBe("not-enough-evidence");
    const capture = report.recommendation!.capture!;
    expect(capture.options[0]!.sql).toEqual([
      "ALTER SYSTEM SET log_min_duration_statement = 0;",
      "ALTER SYSTEM SET log_connections = on;",
      "ALTER SYSTEM SET log_disconnections = on;",
      "SELECT pg_reload_conf();",
    ]);
    expect(capture.options[0]!.aws_cli).toContain(
      '"ParameterName=log_min_duration_statement,ParameterValue=0,ApplyMethod=immediate"',
    );
    expect(capture.window_minutes).toBeGreaterThanOrEqual(60);
    expect(capture.bytes_per_statement).toBeGreaterThan(0);
  });

  it("log_min_duration_statement = 100: little or nothing logged, and said so", () => {
    const { report, coverage } = run("log_min_duration_statement = 100");
    expect(["above-threshold", "none"]).toContain(coverage.statements);
    if (coverage.durationThreshold) expect(coverage.durationThreshold.estimateMs).toBeGreaterThanOrEqual(100);
    expect(coverage.complete).toBe(false);
    expect(report.recommendation!.verdict).toBe("not-enough-evidence");
  });

  it("no connection lines: every statement, but sessions only by pid", () => {
    const { report, coverage } = run("log_min_duration_statement = 0, no connection lines");
    expect(coverage).toMatchObject({
      complete: false,
      statements: "all",
      connectionLines: 0,
      disconnectionLines: 0,
      sessionsFrom: "backend-ids",
    });
    expect(report.summary.coverage).toMatchObject({ statementsComplete: true, sessionCountIsLowerBound: true });
    expect(report.recommendation!.verdict).toBe("not-enough-evidence");
    expect(report.recommendation!.reasons.join("\n")).toMatch(/log_connections/);
  });

  it("log_statement = 'mod': modifications and DDL only", () => {
    const { report, coverage } = run("log_statement = 'mod'");
    expect(coverage).toMatchObject({ complete: false, statements: "mod", loggedAtStart: "mod", durations: "none" });
    expect(report.summary.pinRatioRange.max).toBe(1);
    expect(report.recommendation!.verdict).toBe("not-enough-evidence");
  });
});

const name0 = "log_min_duration_statement = 0";

describe("coverage of MariaDB logs written by a real server", () => {
  let dir: string;
  const reports: Record<string, Report> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "proxyfit-coverage-mariadb-"));
    for (const [name, longQueryTime] of [
      ["0", "0"],
      ["0.1", "0.1"],
    ] as const) {
      const server = await startMariadb({ generalLog: true, slowLog: true, extraArgs: [`--long-query-time=${longQueryTime}`] });
      try {
        await runMysqlWorkload({ connection: server.connectionOptions(), seed: 3 });
        // Statements slower than long_query_time = 0.1 on any machine: on a fast one the workload alone has none, and a
        // slow log of only its header is not a log of this workload.
        const slow = await mysql.createConnection(server.connectionOptions());
        for (let i = 0; i < 3; i++) await slow.query("SELECT SLEEP(0.2)");
        await slow.end();
        await server.restart();
        await copyFile(server.generalLogPath, join(dir, `general-${name}.log`));
        await copyFile(server.slowLogPath, join(dir, `slow-${name}.log`));
      } finally {
        await server.stop();
      }
    }
    for (const file of ["general-0.log", "slow-0.log", "slow-0.1.log"]) {
      reports[file] = await assess([await fileInput(join(dir, file))]);
    }
  }, 300_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the general log is complete, with connection lines", () => {
    const report = reports["general-0.log"]!;
    expect(report.inputs[0]!.coverage).toMatchObject({
      complete: true,
      statements: "all",
      loggedAtStart: "all",
      mysqlLog: "general",
      sessionsFrom: "connection-lines",
    });
    expect(report.recommendation!.thin_evidence.map((t) => t.cause)).not.toContain("partial-logging");
  });

  it("the slow log with long_query_time = 0 sees every statement but not binary-protocol prepares: not enough", () => {
    const report = reports["slow-0.log"]!;
    expect(report.inputs[0]!.coverage).toMatchObject({
      complete: false,
      statements: "all",
      everyPinningEvent: false,
      mysqlLog: "slow",
      durations: "all",
      durationThreshold: { estimateMs: 0 },
      sessionsFrom: "session-ids",
    });
    expect(report.summary.coverage.sessionCountIsLowerBound).toBe(true);
    // The session that only prepared through the binary protocol pins, and only the general log shows it.
    expect(report.summary.pinnedSessions).toBeLessThan(reports["general-0.log"]!.summary.pinnedSessions);
    const truth = reports["general-0.log"]!.summary.pinRatio;
    expect(report.summary.pinRatioRange.min).toBeLessThanOrEqual(truth);
    expect(report.summary.pinRatioRange.max).toBeGreaterThanOrEqual(truth);
    expect(report.recommendation!.verdict).toBe("not-enough-evidence");
  });

  it("the slow log with long_query_time = 0.1: threshold placed at 100 ms or above, range holds the general log's ratio", () => {
    const report = reports["slow-0.1.log"]!;
    const coverage = report.inputs[0]!.coverage;
    expect(["above-threshold", "none"]).toContain(coverage.statements);
    if (coverage.durationThreshold) expect(coverage.durationThreshold.estimateMs).toBeGreaterThanOrEqual(100);
    expect(coverage.complete).toBe(false);
    const truth = reports["general-0.log"]!.summary.pinRatio;
    expect(report.summary.pinRatioRange.min).toBeLessThanOrEqual(truth);
    expect(report.summary.pinRatioRange.max).toBeGreaterThanOrEqual(truth);
    expect(report.recommendation!.verdict).toBe("not-enough-evidence");
    expect(report.recommendation!.capture!.options.map((o) => o.name)).toEqual([
      "the general log",
      "the general log and the slow log with long_query_time = 0",
    ]);
    expect(report.recommendation!.capture!.options[1]!.sql).toContain("SET GLOBAL long_query_time = 0;");
  });

  it("the general log and the slow log together are complete", async () => {
    const report = await assess([await fileInput(join(dir, "general-0.1.log")), await fileInput(join(dir, "slow-0.1.log"))]);
    expect(report.summary.coverage.complete).toBe(true);
    expect(report.inputs.map((i) => i.coverage.complete)).toEqual([true, false]);
    expect(report.recommendation!.thin_evidence.map((t) => t.cause)).not.toContain("partial-logging");
  });
});
