/**
 * The database restarts in the middle of traffic (a throwaway server, fast shutdown): idle clients stay connected and
 * their next transaction runs on a fresh connection; a client inside a transaction or with a statement running gets
 * the database's own FATAL (57P01) and is disconnected, as it would be directly, so nothing it sends after can run on
 * another connection; clients that arrive while the database is down wait (bounded by connection_borrow_timeout)
 * while the proxy reconnects with backoff.
 */
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type PostgresInstance, startPostgres } from "../../src/servers/postgres.js";
import { type RunningProxy, rawClient, runProxyInFront } from "./support.js";

let server: PostgresInstance;
let proxy: RunningProxy;

beforeAll(async () => {
  server = await startPostgres();
  proxy = await runProxyInFront(server);
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

const client = async () => {
  const c = proxy.pgClient();
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

test("a database restart: idle clients carry on; a client in a transaction or running a statement gets 57P01 and is disconnected", async () => {
  const idle = await client();
  const inTransaction = await client();
  const busy = await client();
  const inTransactionError = new Promise<Error>((resolve) => inTransaction.once("error", resolve));
  const before = (await idle.query("select pg_backend_pid() as pid")).rows[0].pid;
  await inTransaction.query("begin");
  await inTransaction.query("select 1");
  // A statement running when the server goes down fails with the server's own FATAL.
  const running = busy.query("select pg_sleep(30)").catch((e) => e);
  await waitForSleeper();
  const restart = server.restart();
  const runningError = (await running) as pg.DatabaseError;
  expect([runningError.severity, runningError.code, runningError.message]).toEqual(["FATAL", "57P01", "terminating connection due to administrator command"]);
  // Arrives while the server is down: waits for the proxy to reconnect.
  const during = idle.query("select pg_backend_pid() as pid, 'after' as phase");
  await restart;
  const after = await during;
  expect(after.rows[0].phase).toBe("after");
  expect(after.rows[0].pid).not.toBe(before);
  // The open transaction is gone, and its client with it, as a direct connection would be.
  expect(((await inTransactionError) as pg.DatabaseError).code).toBe("57P01");
  expect(await inTransaction.query("select 2").catch((e) => e)).toBeInstanceOf(Error);
  expect(proxy.proxy.gauges().ClientConnections).toBe(1);
  expect(proxy.logs.some((l) => /cannot connect to the database .* retrying in \d+ ms/.test(l))).toBe(true);
  await idle.end();
});

test("a client in BEGIN across a restart, then pipelining a transfer: disconnected with 57P01, the sum unchanged", async () => {
  const setup = await client();
  await setup.query("create table accounts (id int primary key, balance int not null)");
  await setup.query("insert into accounts values (1, 1000), (2, 1000)");
  const raw = await rawClient(proxy.port);
  raw.send("begin");
  await raw.ready(1);
  const extended = await client();
  await extended.query("begin");
  await extended.query("select 1 from accounts where id = $1", [1]);
  await server.restart();
  raw.send("update accounts set balance = balance - 100 where id = 1", "update accounts set balance = balance + 100 where id = 2", "commit");
  await raw.closed;
  const fatal = raw.received();
  expect(fatal).toContain("VFATAL\0C57P01\0Mterminating connection due to administrator command\0");
  expect(fatal).not.toContain("COMMIT");
  // The extended protocol (parameters): the same.
  const updates = [
    extended.query("update accounts set balance = balance - $1 where id = 1", [100]).catch((e) => e),
    extended.query("update accounts set balance = balance + $1 where id = 2", [100]).catch((e) => e),
    extended.query("commit").catch((e) => e),
  ];
  for (const outcome of await Promise.all(updates)) expect(outcome).toBeInstanceOf(Error);
  expect((await setup.query("select sum(balance)::int as total from accounts")).rows[0].total).toBe(2000);
  await setup.query("drop table accounts");
  await setup.end();
});
