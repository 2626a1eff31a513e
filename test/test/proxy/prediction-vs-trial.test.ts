import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assess, fileInput, type Report } from "@proxyfit/assessor";
import { loadSettings, startProxy } from "@proxyfit/proxy";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresInstance, STATEMENT_LOGGING, startPostgres } from "../../src/servers/postgres.js";

/**
 * Prediction against observation: one workload of known concurrency runs twice against a throwaway server, once
 * directly (its log goes through `proxyfit assess`, which predicts what a proxy would need) and once through the
 * trial proxy (whose trial report says what it actually needed). The two must agree.
 *
 * The workload: 8 clients hold transactions open together (a barrier, then 1.5 s of pg_sleep), then 20 clients stay
 * connected while their transactions run one at a time, 2 of them pinned by a session SET.
 */
async function workload(port: number): Promise<void> {
  const connect = async (application: string) => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres", application_name: application });
    await client.connect();
    return client;
  };
  const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => connect(`burst-${i}`)));
  await Promise.all(burst.map((c) => c.query("BEGIN")));
  await Promise.all(burst.map((c) => c.query("SELECT pg_sleep(1.5)")));
  await Promise.all(burst.map((c) => c.query("COMMIT")));
  await Promise.all(burst.map((c) => c.end()));

  const fleet = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(`fleet-${i}`)));
  for (const client of fleet.slice(0, 2)) await client.query("SET statement_timeout = '30s'");
  for (let round = 0; round < 2; round++) {
    for (const client of fleet) {
      await client.query("BEGIN");
      await client.query("SELECT pg_sleep(0.01)");
      await client.query("COMMIT");
    }
  }
  // Hold the fleet connected past a one-second sample of the proxy.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  await Promise.all(fleet.map((c) => c.end()));
}

describe("the assessor's prediction against the trial proxy's observation", () => {
  let server: PostgresInstance;
  let work: string;
  let predicted: Report;
  let observed: Report;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "proxyfit-trial-"));
    server = await startPostgres({ settings: STATEMENT_LOGGING });
    await workload(server.port);
    await server.shutdown();
    predicted = await assess(await Promise.all((await server.logFiles("stderr")).map((f) => fileInput(f))));

    await server.restart();
    const proxy = await startProxy(
      loadSettings({
        flags: {
          target: server.connectionString(),
          listen: "127.0.0.1:0",
          admin: "127.0.0.1:0",
          report_file: join(work, "trial.json"),
        },
      }),
      { log: () => {} },
    );
    await workload(proxy.address.port);
    observed = (await proxy.close())!;
  });
  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("sees the same sessions, pinned the same way", () => {
    const count = (r: Report) => r.sessions.filter((s) => /^(burst|fleet)-/.test(s.application ?? "")).length;
    expect(count(observed)).toBe(28);
    expect(count(predicted)).toBe(28);
    expect(observed.summary.pinnedSessions).toBe(2);
    expect(predicted.summary.pinnedSessions).toBe(2);
    expect(observed.source).toBe("trial-proxy");
  });

  it("predicted the database connections, clients and pins the proxy then needed", () => {
    expect(predicted.replay!.peaks).toEqual({ clientConnections: 20, databaseConnections: 8, pinnedConnections: 2 });
    expect(observed.replay!.peaks.databaseConnections).toBe(predicted.replay!.peaks.databaseConnections);
    expect(observed.replay!.peaks.clientConnections).toBe(predicted.replay!.peaks.clientConnections);
    expect(observed.replay!.peaks.pinnedConnections).toBe(predicted.replay!.peaks.pinnedConnections);
  });
});
