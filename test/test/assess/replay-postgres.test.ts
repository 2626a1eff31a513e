import { assess, fileInput, type Report } from "@proxyfit/assessor";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresInstance, STATEMENT_LOGGING, startPostgres } from "../../src/servers/postgres.js";

/**
 * The connection replay against a workload whose concurrency is known by construction:
 * phase 1: 10 clients each hold a transaction open at the same time (a barrier releases them together);
 * phase 2: 20 clients stay connected while their transactions run strictly one at a time, and 3 of them pin
 * themselves with a session SET.
 * So: client peak 20, database-connection peak 10 (phase 1), pinned peak 3, and in phase 2 the 3 pinned sessions plus
 * the one running transaction. Log times are whole milliseconds (%m), so two transactions that follow each other
 * within the same millisecond can look overlapping: phase 2 allows one more.
 */
const HOLD_SECONDS = 1.2;

async function connect(server: PostgresInstance, application: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.connectionString(), application_name: application });
  await client.connect();
  return client;
}

async function phaseOne(server: PostgresInstance): Promise<void> {
  const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(server, `burst-${i}`)));
  await Promise.all(clients.map((c) => c.query("BEGIN")));
  // Every transaction is open now; all sleep together, then commit.
  await Promise.all(clients.map((c) => c.query(`SELECT pg_sleep(${HOLD_SECONDS})`)));
  await Promise.all(clients.map((c) => c.query("COMMIT")));
  await Promise.all(clients.map((c) => c.end()));
}

async function phaseTwo(server: PostgresInstance): Promise<void> {
  const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(server, `pool-${i}`)));
  for (const [i, client] of clients.slice(0, 3).entries()) await client.query(`SET application_name = 'pinned-${i}'`);
  for (let round = 0; round < 3; round++) {
    for (const client of clients) {
      await client.query("BEGIN");
      await client.query("SELECT pg_sleep(0.005)");
      await client.query("COMMIT");
    }
  }
  await Promise.all(clients.map((c) => c.end()));
}

describe("connection replay on a workload of known concurrency", () => {
  let server: PostgresInstance;
  let report: Report;

  beforeAll(async () => {
    server = await startPostgres({
      settings: STATEMENT_LOGGING,
    });
    await phaseOne(server);
    await new Promise((r) => setTimeout(r, 1100));
    await phaseTwo(server);
    await server.shutdown();
    const inputs = await Promise.all((await server.logFiles("stderr")).map((f) => fileInput(f)));
    report = await assess(inputs, { maxConnections: 12, maxConnectionsPercent: 50 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("predicts the client, database-connection and pinned peaks the workload ran", () => {
    expect(report.replay!.peaks).toEqual({ clientConnections: 20, databaseConnections: 10, pinnedConnections: 3 });
    expect(report.replay!.multiplexingFactor).toBe(2);
    expect(report.replay!.baseline).toMatchObject({ peakConcurrentSessions: 20, maxConnections: 12, exceeded: true });
  });

  it("says clients would have waited while the burst exceeded 50% of max_connections", () => {
    const { borrowWaits, proxyConnectionLimit } = report.replay!;
    expect(proxyConnectionLimit).toBe(6);
    expect(borrowWaits.count).toBe(4);
    expect(borrowWaits.periods).toHaveLength(1);
    expect(borrowWaits.periods[0]!.waitingClients).toBe(4);
    expect(borrowWaits.maxWaitMs).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000);
  });

  it("keeps the phase-two database connections at the pinned sessions plus one (and a millisecond's blur)", () => {
    const { series, start, bucketSeconds } = report.replay!;
    const phaseTwoStart = Date.parse(report.sessions.find((s) => s.application?.startsWith("pool-"))!.start);
    // The pause between the phases is longer than a bucket, so phase two's first bucket holds nothing of phase one.
    const firstBucket = Math.floor((phaseTwoStart - Date.parse(start)) / 1000 / bucketSeconds);
    const tail = series.databaseConnections.slice(firstBucket);
    expect(tail.length).toBeGreaterThan(0);
    expect(Math.max(...tail)).toBeLessThanOrEqual(5);
  });
});
