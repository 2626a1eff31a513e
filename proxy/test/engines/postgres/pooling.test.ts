/**
 * Transaction pooling with node-postgres against the shared PostgreSQL: errors, notices, named prepared statements,
 * the pre-2023 profile, idle_client_timeout, the limit across databases. Taking turns on one connection, the borrow
 * timeout, startup settings per client and cleanup after a client that leaves mid-transaction are cases of the shared
 * conformance suite (test/test/proxy/conformance).
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createScratchDatabases, startTestProxy, type TestProxy } from "./support/harness.js";

/** A second database of the test's own (not template1, where a session of ours would stop anyone's CREATE DATABASE). */
const SECOND_DATABASE = `proxyfit_pooling_${process.pid}_second`;
let scratch: Awaited<ReturnType<typeof createScratchDatabases>>;

beforeAll(async () => {
  scratch = await createScratchDatabases([SECOND_DATABASE]);
});
afterAll(async () => {
  await scratch?.drop();
});

/** One database connection for everyone: what one client does, the next one sees on the same backend. */
describe("one database connection shared by many clients", () => {
  let t: TestProxy;
  beforeAll(async () => {
    t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1" });
  });
  afterAll(async () => t.close());

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
    // QueryRequests counts each Execute (20 here) and each Query (6 begin and commit, 1 select) as a query.
    expect(t.proxy.metrics.counters.QueryRequests).toBe(27);
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
      const b = await t.client({ database: SECOND_DATABASE });
      for (let i = 0; i < 5; i++) {
        const [ra, rb] = await Promise.all([a.query("select current_database() as db"), b.query("select current_database() as db")]);
        expect([ra.rows[0].db, rb.rows[0].db]).toEqual(["postgres", SECOND_DATABASE]);
      }
      expect(peak).toBe(1);
      expect(t.proxy.gauges().DatabaseConnections).toBe(1);
    } finally {
      clearInterval(sampler);
      await t.close();
    }
  });
});
