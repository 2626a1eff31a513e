/**
 * Shared prepared statements after DDL. A statement one client prepared stays on the proxy's connections after it
 * leaves; when the table under it changes its columns' types, a client that prepares the same text afterwards must
 * get its rows, as it would directly, not "cached plan must not change result type" from the stale copy; and a
 * driver that re-prepares after that error (postgres.js does) must recover.
 */
import pg from "pg";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";

const TABLE = `proxyfit_ps_t_${process.pid}`;
const SELECT = `SELECT x FROM ${TABLE}`;
let t: TestProxy;
let direct: pg.Client;

beforeAll(async () => {
  direct = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await direct.connect();
  t = await startTestProxy({ max_connections_percent: "2", max_idle_connections_percent: "2" });
});
beforeEach(async () => {
  await direct.query(`drop table if exists ${TABLE}`);
  await direct.query(`create table ${TABLE} (x int)`);
  await direct.query(`insert into ${TABLE} values (1)`);
});
afterAll(async () => {
  await t?.close();
  await direct.query(`drop table if exists ${TABLE}`);
  await direct.end();
});

/** Changes the column's type, as a migration would. */
async function changeResultType(): Promise<void> {
  await direct.query(`drop table ${TABLE}; create table ${TABLE} (x text); insert into ${TABLE} values ('a')`);
}

/** Prepares the statement on every pooled connection: clients in turn, each holding one in a transaction. */
async function prepareEverywhere(name: string): Promise<void> {
  const clients = await Promise.all([t.client(), t.client()]);
  await Promise.all(clients.map((c) => c.query("begin")));
  for (const c of clients) expect((await c.query({ name, text: SELECT })).rows).toEqual([{ x: 1 }]);
  await Promise.all(clients.map((c) => c.query("commit")));
  await Promise.all(clients.map((c) => c.end()));
}

test("node-postgres: a statement prepared after the DDL returns the new rows, under the old name or a new one", async () => {
  await prepareEverywhere("a_statement");
  await changeResultType();
  for (const name of ["a_statement", "another_name", "a_statement"]) {
    const c = await t.client();
    expect((await c.query({ name, text: SELECT })).rows).toEqual([{ x: "a" }]);
    // Again, on whichever connection it borrows now.
    expect((await c.query({ name, text: SELECT })).rows).toEqual([{ x: "a" }]);
    await c.end();
  }
});

test("node-postgres: a client whose statement predates the DDL gets PostgreSQL's 0A000 or its rows, and a new name recovers", async () => {
  await prepareEverywhere("early");
  const early = await t.client();
  expect((await early.query({ name: "early", text: SELECT })).rows).toEqual([{ x: 1 }]);
  await changeResultType();
  // Directly this is 0A000; through the proxy the copy it lands on may have been prepared again since (more lenient).
  const outcome = await early.query({ name: "early", text: SELECT }).then(
    (r) => r.rows,
    (e: pg.DatabaseError) => e.code,
  );
  expect([[{ x: "a" }], "0A000"]).toContainEqual(outcome);
  expect((await early.query({ name: "early_again", text: SELECT })).rows).toEqual([{ x: "a" }]);
  await early.end();
});

test("postgres.js: a new client after the DDL gets its rows; a client from before recovers by re-preparing", async () => {
  const options = { host: "127.0.0.1", port: t.port, user: "postgres", database: "postgres", max: 1, onnotice: () => {} };
  const before = postgres(options);
  const first = postgres(options);
  try {
    expect(await before.unsafe(SELECT, [], { prepare: true })).toEqual([{ x: 1 }]);
    expect(await first.unsafe(SELECT, [], { prepare: true })).toEqual([{ x: 1 }]);
    await first.end();
    await changeResultType();
    const after = postgres(options);
    try {
      for (let i = 0; i < 3; i++) expect(await after.unsafe(SELECT, [], { prepare: true })).toEqual([{ x: "a" }]);
    } finally {
      await after.end();
    }
    // postgres.js prepares again after "cached plan must not change result type", as it does directly.
    for (let i = 0; i < 3; i++) expect(await before.unsafe(SELECT, [], { prepare: true })).toEqual([{ x: "a" }]);
  } finally {
    await before.end();
  }
});
