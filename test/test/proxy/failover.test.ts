/**
 * The database restarts in the middle of traffic (a throwaway server, fast shutdown): idle clients stay connected and
 * their next transaction runs on a fresh connection, a client inside a transaction gets an error, and clients that
 * arrive while the database is down wait (bounded by connection_borrow_timeout) while the proxy reconnects with
 * backoff.
 */
import { loadSettings, startProxy, type TrialProxy } from "@proxyfit/proxy";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type PostgresInstance, startPostgres } from "../../src/servers/postgres.js";

let server: PostgresInstance;
let proxy: TrialProxy;
const logs: string[] = [];

beforeAll(async () => {
  server = await startPostgres();
  proxy = await startProxy(
    loadSettings({
      flags: {
        target: `postgres://postgres@127.0.0.1:${server.port}/postgres`,
        listen: "127.0.0.1:0",
        admin: "off",
        max_connections_percent: "10",
        connection_borrow_timeout: "30",
      },
    }),
    { log: (line) => logs.push(line) },
  );
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

const client = async () => {
  const c = new pg.Client({ host: "127.0.0.1", port: proxy.address.port, user: "postgres", database: "postgres" });
  c.on("error", () => {});
  await c.connect();
  return c;
};

async function waitForSleeper(): Promise<void> {
  const direct = new pg.Client({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres" });
  await direct.connect();
  try {
    for (;;) {
      const r = await direct.query("select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep%' and state = 'active'");
      if (r.rows[0].n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await direct.end();
  }
}

test("a database restart: idle clients carry on, a client in a transaction gets an error, nobody is disconnected", async () => {
  const idle = await client();
  const inTransaction = await client();
  const busy = await client();
  const before = (await idle.query("select pg_backend_pid() as pid")).rows[0].pid;
  await inTransaction.query("begin");
  await inTransaction.query("select 1");
  // A statement running when the server goes down fails with the server's reason.
  const running = busy.query("select pg_sleep(30)").catch((e) => e);
  await waitForSleeper();
  const restart = server.restart();
  const runningError = (await running) as pg.DatabaseError;
  expect(runningError).toBeInstanceOf(Error);
  expect(runningError.message).toMatch(/the database connection was lost: terminating connection due to administrator command/);
  // Arrives while the server is down: waits for the proxy to reconnect.
  const during = idle.query("select pg_backend_pid() as pid, 'after' as phase");
  await restart;
  const after = await during;
  expect(after.rows[0].phase).toBe("after");
  expect(after.rows[0].pid).not.toBe(before);
  // The open transaction is gone: its client hears so at its next statement, then carries on.
  const lost = (await inTransaction.query("select 2").catch((e) => e)) as pg.DatabaseError;
  expect(lost.message).toMatch(/the transaction was rolled back/);
  expect((await inTransaction.query("select 3 as n")).rows).toEqual([{ n: 3 }]);
  expect((await busy.query("select 4 as n")).rows).toEqual([{ n: 4 }]);
  expect(proxy.gauges().ClientConnections).toBe(3);
  expect(logs.some((l) => /cannot connect to the database .* retrying in \d+ ms/.test(l))).toBe(true);
  await Promise.all([idle.end(), inTransaction.end(), busy.end()]);
});
