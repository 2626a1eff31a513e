/**
 * Pinning through the rulebook, on live traffic: every PostgreSQL rule pins and logs RDS Proxy's line, clean sessions
 * do not, and what a pinned session leaves behind is never visible to the next client of its connection. A SET, and
 * its isolation from a concurrent client, are cases of the shared conformance suite (test/test/proxy/conformance).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";

const SEQUENCE = `proxyfit_pin_seq_${process.pid}`;
let direct: pg.Client;
let t: TestProxy;

beforeAll(async () => {
  direct = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await direct.connect();
  await direct.query(`create sequence ${SEQUENCE}`);
  // One connection: the client after a pinned one always gets the connection the pinned one used.
  t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1" });
});
afterAll(async () => {
  await t.close();
  await direct.query(`drop sequence if exists ${SEQUENCE}`);
  await direct.end();
});

const PINNING: Array<[rule: string, sql: string]> = [
  ["pg.set", "set statement_timeout = '4321ms'"],
  ["pg.set_local", "begin; set local statement_timeout = '1s'; commit"],
  ["pg.set_config", "select set_config('proxyfit.marker', 'x', false)"],
  ["pg.reset", "reset statement_timeout"],
  ["pg.sql_prepare", "prepare proxyfit_p as select 1"],
  ["pg.discard", "discard plans"],
  ["pg.temp_object", "create temp table proxyfit_tmp (a int)"],
  ["pg.cursor", "declare proxyfit_c cursor with hold for select 1"],
  ["pg.listen", "listen proxyfit_channel"],
  ["pg.load", "load 'auto_explain'"],
  ["pg.sequence_fn", `select nextval('${SEQUENCE}')`],
  ["pg.advisory_lock", "select pg_advisory_lock(424242)"],
  ["any.statement_over_16kb", `select '${"x".repeat(17_000)}' as big`],
];

describe("every PostgreSQL pinning rule pins", () => {
  test.each(PINNING)("%s: %s", async (rule, sql) => {
    const c = await t.client();
    await c.query(sql);
    const me = t.proxy.clients().find((client) => client.pinRule !== undefined);
    expect(me?.pinRule).toBe(rule);
    expect(t.proxy.gauges().DatabaseConnectionsCurrentlySessionPinned).toBe(1);
    const line = t.logs.findLast((l) => l.includes("was pinned"));
    expect(line).toMatch(
      new RegExp(
        `\\[WARN\\] \\[proxyEndpoint=default\\] \\[clientConnection=${me?.id}\\] The client session was pinned to the database connection \\[dbConnection=\\d+\\] for the remainder of the session\\. The proxy can't reuse this connection until the session ends\\. Reason: `,
      ),
    );
    await c.end();
  });
});

test("clean sessions do not pin", async () => {
  const c = await t.client();
  await c.query("begin");
  await c.query("select pg_advisory_xact_lock(7)");
  await c.query("select count(*) from pg_class where relname like $1", ["pg_%"]);
  await c.query("commit");
  await c.query({ name: "named", text: "select $1::text as v", values: ["a"] });
  await c.query("select lastval() is null from (select 1) s where false");
  expect(t.proxy.clients().every((client) => client.pinRule === undefined)).toBe(true);
  await c.end();
});

describe("nothing a pinned session leaves behind reaches the next client", () => {
  async function afterPinnedSession(setup: string[], check: (next: pg.Client) => Promise<void>): Promise<void> {
    const first = await t.client();
    const pid = (await first.query("select pg_backend_pid() as pid")).rows[0].pid;
    for (const sql of setup) await first.query(sql);
    await first.end();
    const next = await t.client();
    expect((await next.query("select pg_backend_pid() as pid")).rows[0].pid).toBe(pid);
    await check(next);
    await next.end();
  }

  test("a temporary table", async () => {
    await afterPinnedSession(["create temp table proxyfit_secret (a int)", "insert into proxyfit_secret values (1)"], async (next) => {
      const r = await next.query("select count(*)::int as n from pg_class where relname = 'proxyfit_secret'");
      expect(r.rows).toEqual([{ n: 0 }]);
    });
  });

  test("a session advisory lock", async () => {
    await afterPinnedSession(["select pg_advisory_lock(515151)"], async () => {
      const r = await direct.query("select pg_try_advisory_lock(515151) as got");
      expect(r.rows).toEqual([{ got: true }]);
      await direct.query("select pg_advisory_unlock(515151)");
    });
  });

  test("a transaction left open by a pinned session", async () => {
    await afterPinnedSession(["set lock_timeout = '1s'", "begin", "select 1"], async (next) => {
      expect((await next.query("select now() = statement_timestamp() as fresh")).rows).toEqual([{ fresh: true }]);
    });
  });

  test("SQL-level prepared statements and cursors", async () => {
    await afterPinnedSession(["prepare proxyfit_leak as select 1", "declare proxyfit_cur cursor with hold for select 1"], async (next) => {
      expect((await next.query("select count(*)::int as n from pg_prepared_statements where name = 'proxyfit_leak'")).rows).toEqual([{ n: 0 }]);
      expect((await next.query("select count(*)::int as n from pg_cursors")).rows).toEqual([{ n: 0 }]);
    });
  });
});
