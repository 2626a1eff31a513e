/**
 * Transaction pooling with node-postgres against the shared PostgreSQL: multiplexing, transaction boundaries,
 * cleanup after clients that leave, the borrow timeout, errors, notices, and named prepared statements.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";

const TABLE = `proxyfit_pooling_${process.pid}`;
let direct: pg.Client;

beforeAll(async () => {
  direct = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await direct.connect();
  await direct.query(`create table ${TABLE} (id int primary key, note text)`);
});
afterAll(async () => {
  await direct.query(`drop table if exists ${TABLE}`);
  await direct.end();
});

/** One database connection for everyone: what one client does, the next one sees on the same backend. */
describe("one database connection shared by many clients", () => {
  let t: TestProxy;
  beforeAll(async () => {
    t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1", connection_borrow_timeout: "1" });
  });
  afterAll(async () => t.close());

  test("clients take turns on the same backend, one transaction at a time", async () => {
    const clients = await Promise.all([t.client(), t.client(), t.client()]);
    const pids = new Set<number>();
    for (let round = 0; round < 3; round++) {
      for (const c of clients) pids.add((await c.query("select pg_backend_pid() as pid")).rows[0].pid);
    }
    expect(pids.size).toBe(1);
    expect(t.proxy.gauges().DatabaseConnections).toBe(1);
    expect(t.proxy.gauges().ClientConnections).toBe(3);
    await Promise.all(clients.map((c) => c.end()));
  });

  test("startup settings travel with each client across the shared connection, and back again", async () => {
    const tokyo = await t.client({ application_name: "tokyo", statement_timeout: 9000 });
    const lima = await t.client({ application_name: "lima", statement_timeout: 8000 });
    const alsoTokyo = await t.client({ application_name: "tokyo", statement_timeout: 9000 });
    const plain = await t.client();
    const seen = async (c: pg.Client) =>
      (await c.query("select current_setting('statement_timeout') as timeout, current_setting('application_name') as app")).rows[0];
    for (let round = 0; round < 2; round++) {
      expect(await seen(tokyo)).toEqual({ timeout: "9s", app: "tokyo" });
      expect(await seen(lima)).toEqual({ timeout: "8s", app: "lima" });
      expect(await seen(alsoTokyo)).toEqual({ timeout: "9s", app: "tokyo" });
      expect(await seen(plain)).toEqual({ timeout: "0", app: "" });
    }
    expect(t.proxy.gauges().DatabaseConnections).toBe(1);
    await Promise.all([tokyo.end(), lima.end(), alsoTokyo.end(), plain.end()]);
  });

  test("a transaction holds the connection; a borrow that waits past connection_borrow_timeout gets an error", async () => {
    const a = await t.client();
    const b = await t.client();
    await a.query("begin");
    await a.query("select 1");
    const error = await b.query("select 2").catch((e: pg.DatabaseError) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as pg.DatabaseError).code).toBe("53300");
    expect((error as Error).message).toMatch(/Timed-out waiting to acquire database connection/);
    await a.query("commit");
    // The connection is free again and b carries on.
    expect((await b.query("select 3 as n")).rows).toEqual([{ n: 3 }]);
    await a.end();
    await b.end();
  });

  test("a client that disconnects mid-transaction has its work rolled back before anyone else gets the connection", async () => {
    const a = await t.client();
    await a.query("begin");
    await a.query(`insert into ${TABLE} values (1, 'uncommitted')`);
    // Drop the socket without a Terminate message: a crashed client.
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const b = await t.client();
    const rows = await b.query(`select count(*)::int as n from ${TABLE}`);
    expect(rows.rows).toEqual([{ n: 0 }]);
    const status = await b.query("select now() = statement_timestamp() as outside_transaction");
    expect(status.rows).toEqual([{ outside_transaction: true }]);
    await b.end();
  });

  test("errors pass through intact and end the transaction's hold on the connection", async () => {
    const c = await t.client();
    const error = (await c.query("select 1/0").catch((e) => e)) as pg.DatabaseError;
    expect(error.code).toBe("22012");
    expect(error.message).toBe("division by zero");
    expect(error.severity).toBe("ERROR");
    await c.query("begin");
    await c.query("select missing_column from pg_class").catch(() => {});
    const aborted = (await c.query("select 1").catch((e) => e)) as pg.DatabaseError;
    expect(aborted.code).toBe("25P02");
    await c.query("rollback");
    expect((await c.query({ text: "select $1::int as v", values: [5] })).rows).toEqual([{ v: 5 }]);
    await c.end();
  });

  test("notices reach the client", async () => {
    const c = await t.client();
    const notices: string[] = [];
    c.on("notice", (n) => notices.push(n.message ?? ""));
    await c.query("do $$ begin raise notice 'hello from plpgsql'; end $$");
    expect(notices).toEqual(["hello from plpgsql"]);
    await c.end();
  });
});

describe("named prepared statements are multiplexed (default profile)", () => {
  let t: TestProxy;
  beforeAll(async () => {
    t = await startTestProxy({ max_connections_percent: "2", max_idle_connections_percent: "2" });
  });
  afterAll(async () => t.close());

  test("each client's statements work on whichever connection it borrows, and nothing pins", async () => {
    const clients = await Promise.all([t.client(), t.client(), t.client(), t.client()]);
    const holder = await t.client();
    for (let round = 0; round < 5; round++) {
      // While one client holds a connection in a transaction, the others are spread over what is left.
      if (round % 2 === 0) await holder.query("begin");
      await Promise.all(
        clients.map(async (c, i) => {
          const r = await c.query({ name: `stmt_${i % 2}`, text: "select $1::int * 2 as doubled, pg_backend_pid() as pid", values: [round] });
          expect(r.rows[0].doubled).toBe(round * 2);
        }),
      );
      if (round % 2 === 0) await holder.query("commit");
    }
    // Same text, same database-side name, whatever the client called it.
    const prepared = await clients[0]!.query("select name, statement from pg_prepared_statements order by name");
    expect(prepared.rows.every((r: { name: string }) => /^pf_\d+$/.test(r.name))).toBe(true);
    expect(t.proxy.clients().every((c) => c.pinRule === undefined)).toBe(true);
    expect(t.logs.some((l) => l.includes("was pinned"))).toBe(false);
    await Promise.all([...clients, holder].map((c) => c.end()));
  });

  test("a statement the database refuses to prepare reports the database's error", async () => {
    const c = await t.client();
    const error = (await c.query({ name: "bad", text: "select * from no_such_table_xyz", values: [] }).catch((e) => e)) as pg.DatabaseError;
    expect(error.code).toBe("42P01");
    expect((await c.query({ name: "good", text: "select 1 as one", values: [] })).rows).toEqual([{ one: 1 }]);
    await c.end();
  });
});

describe("max_prepared_statements: a full connection closes its least recently used statement", () => {
  let t: TestProxy;
  beforeAll(async () => {
    t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1", max_prepared_statements: "2" });
  });
  afterAll(async () => t.close());

  test("the statement used longest ago goes; every statement keeps working, prepared again when needed", async () => {
    const c = await t.client();
    const run = async (n: number) => (await c.query({ name: `s${n}`, text: `select $1::int + ${n} as v`, values: [10] })).rows[0].v;
    const onConnection = async () =>
      (await c.query("select statement from pg_prepared_statements order by statement")).rows.map((r: { statement: string }) => r.statement);
    expect([await run(1), await run(2), await run(1)]).toEqual([11, 12, 11]);
    // s2 is now the least recently used: s3 takes its place.
    expect(await run(3)).toBe(13);
    expect(await onConnection()).toEqual(["select $1::int + 1 as v", "select $1::int + 3 as v"]);
    expect(await run(2)).toBe(12);
    expect(await onConnection()).toEqual(["select $1::int + 2 as v", "select $1::int + 3 as v"]);
    await c.end();
  });
});

describe("pre-2023 profile: the extended protocol pins", () => {
  test("a Parse message pins with RDS Proxy's reason", async () => {
    const t = await startTestProxy({ profile: "rds-proxy-pre-2023" });
    try {
      const c = await t.client();
      await c.query({ name: "s1", text: "select 1", values: [] });
      expect(t.proxy.clients()[0]?.pinRule).toBe("pg.extended_protocol");
      expect(t.logs.some((l) => /The client session was pinned to the database connection \[dbConnection=\d+\].*Reason: A parse message was detected/.test(l))).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe("idle_client_timeout", () => {
  test("closes a client that stays idle longer", async () => {
    const t = await startTestProxy({ idle_client_timeout: "1" });
    try {
      const c = await t.client();
      const ended = new Promise<Error | undefined>((resolve) => {
        c.on("error", (e) => resolve(e));
        c.on("end", () => resolve(undefined));
      });
      await c.query("select 1");
      await ended;
      expect(t.proxy.gauges().ClientConnections).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe("the connection limit holds across users and databases", () => {
  test("two databases share one connection: it is closed and reopened for whoever waits", async () => {
    const t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1" });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, t.proxy.gauges().DatabaseConnections);
    }, 1);
    try {
      const a = await t.client({ database: "postgres" });
      const b = await t.client({ database: "template1" });
      for (let i = 0; i < 5; i++) {
        const [ra, rb] = await Promise.all([a.query("select current_database() as db"), b.query("select current_database() as db")]);
        expect([ra.rows[0].db, rb.rows[0].db]).toEqual(["postgres", "template1"]);
      }
      expect(peak).toBe(1);
      expect(t.proxy.gauges().DatabaseConnections).toBe(1);
    } finally {
      clearInterval(sampler);
      await t.close();
    }
  });
});
