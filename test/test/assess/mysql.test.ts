import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assess, fileInput, type Report, type SessionReport } from "@proxyfit/assessor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MariadbInstance, startMariadb } from "../../src/servers/mariadb.js";
import { type MysqlSessionTruth, type MysqlWorkloadResult, runMysqlWorkload } from "../../src/workload/mysql.js";

/**
 * The assessor end to end on MariaDB: the workload of known behaviour runs once against a throwaway server with the
 * general and the slow log on; the same checks run on the general log, on the slow log, and on both merged into one
 * timeline (statements must not be counted twice).
 */
type Inputs = "general" | "slow" | "general+slow";

let server: MariadbInstance;
let truth: MysqlWorkloadResult;
let logs: string;
const reports = new Map<Inputs, Report>();

beforeAll(async () => {
  server = await startMariadb({ generalLog: true, slowLog: true });
  truth = await runMysqlWorkload({ connection: server.connectionOptions(), seed: 3 });
  // restart() stops the server cleanly (every log line written); stop() would delete the logs with the server.
  await server.restart();
  logs = await mkdtemp(join(tmpdir(), "proxyfit-mysql-logs-"));
  await copyFile(server.generalLogPath, join(logs, "general.log"));
  await copyFile(server.slowLogPath, join(logs, "slow.log"));
  await server.stop();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (logs) await rm(logs, { recursive: true, force: true });
});

async function report(inputs: Inputs): Promise<Report> {
  let cached = reports.get(inputs);
  if (!cached) {
    const general = join(logs, "general.log");
    const slow = join(logs, "slow.log");
    const paths = { general: [general], slow: [slow], "general+slow": [general, slow] }[inputs];
    cached = await assess(await Promise.all(paths.map((p) => fileInput(p))));
    reports.set(inputs, cached);
  }
  return cached;
}

function sessionOf(r: Report, t: MysqlSessionTruth): SessionReport | undefined {
  const matches = r.sessions.filter((s) => s.backendId === t.threadId);
  expect(matches.length, `sessions for thread ${t.threadId} (${t.scenario})`).toBeLessThanOrEqual(1);
  return matches[0];
}

describe.each<Inputs>(["general", "general+slow", "slow"])("assess on MariaDB, %s log", (inputs) => {
  it("reads the logs as MySQL logs with every line understood", async () => {
    const r = await report(inputs);
    expect(r.engine).toBe("mysql");
    for (const input of r.inputs) expect(input.linesNotUnderstood, JSON.stringify(input.problems)).toBe(0);
  });

  it("classifies every session of the workload", async () => {
    const r = await report(inputs);
    for (const t of truth.sessions) {
      const session = sessionOf(r, t);
      // A slow log has no Connect lines: a session that ran nothing leaves no trace there. Nor does it show
      // binary-protocol prepares (COM_STMT_PREPARE): only the general log can tell those sessions pin.
      if (inputs === "slow" && (t.statements === 0 || t.commands.some((c) => c.kind === "prepare"))) continue;
      expect(session, `session ${t.threadId} (${t.scenario})`).toBeDefined();
      const rules = [...new Set(session!.pinReasons.map((p) => p.rule))].sort();
      expect({ scenario: t.scenario, pinned: session!.pinned, ambiguous: session!.pinnedOnlyByAmbiguous, rules }).toEqual({
        scenario: t.scenario,
        pinned: t.pinned,
        ambiguous: t.pinnedOnlyByAmbiguous,
        rules: inputs === "slow" ? rules.filter((r) => t.rules.includes(r)) : t.rules,
      });
    }
  });

  it("counts statements once per execution", async () => {
    const r = await report(inputs);
    for (const t of truth.sessions) {
      const session = sessionOf(r, t);
      if (!session || inputs === "slow") continue;
      expect({ scenario: t.scenario, statements: session.statements, user: session.user }).toEqual({
        scenario: t.scenario,
        statements: t.statements,
        user: t.user,
      });
    }
  });
});
