/**
 * Cancels reach only the cancelling client's own query, and a client that leaves mid-statement has its query
 * cancelled before its connection is reused. One database connection for everyone, so any stray cancel would land
 * on the other client.
 */
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cancelRequest } from "../../../../src/engines/postgres/protocol/serialize.js";
import { startTestProxy, type TestProxy } from "../support/harness.js";

let t: TestProxy;
let direct: pg.Client;
beforeAll(async () => {
  t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1" });
  direct = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await direct.connect();
});
afterAll(async () => {
  await direct.end();
  await t.close();
});

/** Sends a CancelRequest for `client` to the proxy, as libpq does; resolves when the proxy has closed it. */
function cancel(client: pg.Client): Promise<void> {
  const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: t.port }, () => socket.write(cancelRequest(processID, secretKey)));
    socket.on("error", () => {});
    socket.on("close", () => resolve());
  });
}

/** Backends (other than the asking one) running a statement that contains `marker`. */
async function activeWith(marker: string): Promise<number[]> {
  const { rows } = await direct.query("select pid from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and query like $1", [`%${marker}%`]);
  return rows.map((row) => row.pid as number);
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  // A bound for a hung proxy, not a speed requirement: the condition holds in well under a second when it works.
  for (let i = 0; i < 150; i++) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe("cancels", () => {
  test("a cancel stops the cancelling client's running query", async () => {
    const a = await t.client();
    const marker = `cancel_own_${process.pid}`;
    const running = a.query(`select pg_sleep(20) /* ${marker} */`).then(
      () => "finished",
      (error: { code?: string }) => error.code,
    );
    await waitFor(async () => (await activeWith(marker)).length === 1, "the query runs");
    await cancel(a);
    expect(await running).toBe("57014");
    expect((await a.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    await a.end();
  });

  test("with one connection for both, cancels aimed at client A's short queries never stop client B's", async () => {
    const a = await t.client();
    const b = await t.client();
    let stop = false;
    const errorsOfB: string[] = [];
    let queriesOfB = 0;
    const clientB = (async () => {
      while (!stop) {
        try {
          await b.query("select pg_sleep(0.001)");
          queriesOfB++;
        } catch (error) {
          errorsOfB.push((error as { code?: string }).code ?? String(error));
        }
      }
    })();
    for (let round = 0; round < 400; round++) {
      const query = a.query("select pg_sleep(0.001)").catch((error: { code?: string }) => {
        if (error.code !== "57014") throw error;
      });
      // A random moment: before A's query reaches the database, while it runs, or just after it is answered.
      await sleep(Math.floor(Math.random() * 4));
      await cancel(a);
      await query;
    }
    stop = true;
    await clientB;
    expect(queriesOfB).toBeGreaterThan(0);
    expect(errorsOfB).toEqual([]);
    await Promise.all([a.end(), b.end()]);
  });
});

describe("a client that leaves mid-statement", () => {
  test("has its query cancelled, and the connection serves the next client cleanly", async () => {
    const leaver = await t.client();
    const marker = `leaves_mid_statement_${process.pid}`;
    const backend = (await leaver.query("select pg_backend_pid() as pid")).rows[0].pid as number;
    leaver.query(`select pg_sleep(30) /* ${marker} */`).catch(() => {});
    await waitFor(async () => (await activeWith(marker)).includes(backend), "the query runs");
    (leaver as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    // pg_sleep(30) would run on for 30 s without a cancel (the proxy used to close the connection after 5 s).
    await waitFor(async () => (await activeWith(marker)).length === 0, "the query is cancelled");
    const next = await t.client();
    const { rows } = await next.query("select pg_backend_pid() as pid, current_setting('transaction_isolation') as iso, now() = statement_timestamp() as fresh");
    expect(rows[0].fresh).toBe(true);
    const { rows: stale } = await direct.query("select state from pg_stat_activity where pid = $1", [backend]);
    // Reused (idle, or running the next client's query) or closed: never still running the leaver's statement.
    if (stale.length > 0) expect(stale[0].state).not.toBe("idle in transaction");
    expect(t.proxy.pools()[0]?.connections).toBe(1);
    await next.end();
  });
});
