/**
 * The database restarts in the middle of traffic (a throwaway server, fast shutdown): a client in BEGIN that pipelines
 * a transfer after the restart is disconnected with the database's own FATAL (57P01) and nothing of it runs, in the
 * simple and the extended protocol. Idle clients carrying on, and clients in a transaction or running a statement
 * disconnected, are a case of the shared conformance suite (conformance/suite.ts).
 */
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
