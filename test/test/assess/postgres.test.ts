import { assess, fileInput, type Report, type SessionReport } from "@proxyfit/assessor";
import type { ProfileId } from "@proxyfit/assessor/rules";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresInstance, startPostgres } from "../../src/servers/postgres.js";
import { type PostgresWorkloadTruth, runPostgresWorkload, type SessionTruth } from "../../src/workload/postgres.js";

/**
 * The assessor end to end on PostgreSQL: a workload of known behaviour runs against a throwaway server under one log
 * setting; `assess()` reads the server's own log files; every session of the truth must come back with the right
 * user, database, application, statement and transaction counts, pin verdict and rule ids, under both profiles.
 * The same suite runs for every log format and setting.
 */
interface LogSetup {
  name: string;
  kind: "stderr" | "csvlog" | "jsonlog";
  settings: Record<string, string | number>;
  /** The setting logs each statement's duration (log_min_duration_statement = 0). */
  durations: boolean;
}

const CONNECTIONS = { log_connections: "on", log_disconnections: "on" };

const SETUPS: LogSetup[] = [
  {
    name: "stderr, Debian prefix, log_statement=all",
    kind: "stderr",
    settings: { ...CONNECTIONS, log_destination: "stderr", log_line_prefix: "%m [%p] %q%u@%d ", log_statement: "all" },
    durations: false,
  },
  {
    name: "stderr, RDS prefix, log_min_duration_statement=0",
    kind: "stderr",
    settings: { ...CONNECTIONS, log_destination: "stderr", log_line_prefix: "%t:%r:%u@%d:[%p]:", log_min_duration_statement: 0 },
    durations: true,
  },
  {
    name: "stderr, rich prefix, both settings",
    kind: "stderr",
    settings: {
      ...CONNECTIONS,
      log_destination: "stderr",
      log_line_prefix: "%m|%a|%u|%d|%p|%c|%l|%x|%e: ",
      log_statement: "all",
      log_min_duration_statement: 0,
    },
    durations: true,
  },
  {
    name: "csvlog",
    kind: "csvlog",
    settings: { ...CONNECTIONS, log_destination: "csvlog", log_min_duration_statement: 0 },
    durations: true,
  },
  {
    name: "jsonlog",
    kind: "jsonlog",
    settings: { ...CONNECTIONS, log_destination: "jsonlog", log_statement: "all" },
    durations: false,
  },
];

const PROFILES: ProfileId[] = ["rds-proxy", "rds-proxy-pre-2023"];

function sessionOf(report: Report, truth: SessionTruth): SessionReport {
  const matches = report.sessions.filter((s) => s.backendId === truth.pid && s.application === truth.application);
  expect(matches, `one session for pid ${truth.pid} (${truth.scenario})`).toHaveLength(1);
  return matches[0]!;
}

describe.each(SETUPS)("assess on PostgreSQL $name", (setup) => {
  let server: PostgresInstance;
  let truth: PostgresWorkloadTruth;
  const reports = new Map<ProfileId, Report>();

  beforeAll(async () => {
    server = await startPostgres({ settings: setup.settings });
    truth = await runPostgresWorkload({ connectionString: server.connectionString(), seed: 7 });
    await server.shutdown();
    const files = await server.logFiles(setup.kind);
    for (const profile of PROFILES) {
      const inputs = await Promise.all(files.map((f) => fileInput(f)));
      reports.set(profile, await assess(inputs, { profile }));
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("detects the format and reads every line", () => {
    const report = reports.get("rds-proxy")!;
    expect(report.engine).toBe("postgresql");
    for (const input of report.inputs) {
      expect(input.format).toBe({ stderr: "pg-stderr", csvlog: "pg-csv", jsonlog: "pg-json" }[setup.kind]);
      if (setup.kind === "stderr") expect(input.prefix).toBe(setup.settings.log_line_prefix);
      expect(input.linesNotUnderstood, JSON.stringify(input.problems)).toBe(0);
    }
  });

  it("rebuilds every session with its user, database, application and counts", () => {
    const report = reports.get("rds-proxy")!;
    for (const t of truth.sessions) {
      const session = sessionOf(report, t);
      expect({ scenario: t.scenario, ...session }).toMatchObject({
        scenario: t.scenario,
        user: t.user,
        database: t.database,
        startFrom: "connection",
        endFrom: "disconnection",
        statements: t.statementCount,
        transactions: t.transactionCount,
        errors: t.errorCount,
      });
    }
  });

  it.each(PROFILES)("classifies every session under %s", (profile) => {
    const report = reports.get(profile)!;
    for (const t of truth.sessions) {
      const session = sessionOf(report, t);
      const rules = [...new Set(session.pinReasons.map((r) => r.rule))].sort();
      expect({ scenario: t.scenario, pinned: session.pinned, rules }).toEqual({
        scenario: t.scenario,
        pinned: t.pinned[profile],
        rules: [...t.rules[profile]].sort(),
      });
    }
  });

  it("gives the pin ratio as a range when only documented-ambiguous rules pin", () => {
    const { summary } = reports.get("rds-proxy")!;
    expect(summary.pinRatioRange.max).toBe(summary.pinRatio);
    const ambiguousOnly = truth.sessions.filter((t) => t.rules["rds-proxy"].every((r) => r === "pg.set_local") && t.pinned["rds-proxy"]);
    expect(summary.ambiguousOnlySessions).toBeGreaterThanOrEqual(ambiguousOnly.length);
    expect(summary.pinRatioRange.min).toBeLessThan(summary.pinRatioRange.max);
  });

  it("replays connections: clients never exceed the workload's sessions, durations or not", () => {
    const { replay } = reports.get("rds-proxy")!;
    expect(replay).toBeDefined();
    expect(replay!.peaks.clientConnections).toBeGreaterThan(0);
    expect(replay!.peaks.databaseConnections).toBeLessThanOrEqual(replay!.peaks.clientConnections);
  });
});
