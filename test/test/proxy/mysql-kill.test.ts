/**
 * KILL through the MySQL engine, with mysql2 against the shared MariaDB: clients see the proxy's connection ids, may
 * kill only the clients of their own user, and no KILL statement reaches the server with an id the client chose.
 * A second MariaDB user (no password, on 127.0.0.1) is created for the test and dropped after it.
 */
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningProxy, runProxy } from "./support.js";

const DATABASE = `proxyfit_mysql_kill_${process.pid}`;
const OTHER_USER = `proxyfit_kill_${process.pid}`;

const connect = (port: number, user = "root") => mysql.createConnection({ host: "127.0.0.1", port, user, database: DATABASE });

async function failure(promise: Promise<unknown>): Promise<{ errno?: number; message?: string }> {
  return promise.then(
    () => ({}),
    (error: { errno?: number; message?: string }) => ({ errno: error.errno, message: error.message }),
  );
}

describe("MySQL: KILL with the proxy's connection ids", () => {
  let proxy: RunningProxy;
  let admin: mysql.Connection;
  beforeAll(async () => {
    admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
    await admin.query(`drop database if exists ${DATABASE}`);
    await admin.query(`create database ${DATABASE}`);
    await admin.query(`drop user if exists '${OTHER_USER}'@'127.0.0.1'`);
    await admin.query(`create user '${OTHER_USER}'@'127.0.0.1'`);
    await admin.query(`grant all on ${DATABASE}.* to '${OTHER_USER}'@'127.0.0.1'`);
    proxy = await runProxy({ target: `mysql://root@127.0.0.1:3306/${DATABASE}`, max_connections_percent: "5", max_idle_connections_percent: "5" });
  });
  afterAll(async () => {
    await proxy?.close();
    await admin.query(`drop user if exists '${OTHER_USER}'@'127.0.0.1'`);
    await admin.query(`drop database if exists ${DATABASE}`);
    await admin.end();
  });

  /** Waits until the database runs `text` (a statement sent through the proxy). */
  async function running(text: string): Promise<number> {
    for (;;) {
      const [rows] = await admin.query("select id from information_schema.processlist where info = ?", [text]);
      const row = (rows as Array<{ id: number }>)[0];
      if (row) return row.id;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  test("the handshake's connection id is the proxy's client id; CONNECTION_ID() is the database's", async () => {
    const a = await connect(proxy.port);
    try {
      const [rows] = await a.query("select connection_id() as id");
      const databaseId = (rows as Array<{ id: number }>)[0]!.id;
      const clients = (await (await fetch(`http://127.0.0.1:${proxy.proxy.adminAddress!.port}/clients`)).json()) as Array<{ id: number }>;
      expect(clients.map((client) => client.id)).toContain(a.threadId);
      expect(typeof databaseId).toBe("number");
    } finally {
      await a.end();
    }
  });

  test("a client of the same user cancels another's running statement with KILL QUERY; the client goes on", async () => {
    const a = await connect(proxy.port);
    const b = await connect(proxy.port);
    try {
      const sleeping = a.query("select sleep(10) as slept /* kill-a */");
      await running("select sleep(10) as slept /* kill-a */");
      const [ok] = await b.query(`kill query ${a.threadId}`);
      expect((ok as { affectedRows: number }).affectedRows).toBe(0);
      expect(await failure(sleeping)).toEqual({ errno: 1317, message: "Query execution was interrupted" });
      const [after] = await a.query("select 2 as two");
      expect((after as Array<{ two: number }>)[0]!.two).toBe(2);
    } finally {
      await a.end();
      await b.end();
    }
  });

  test("a client of another user cannot kill (1095); an unknown id is 1094; the statement runs on", async () => {
    const a = await connect(proxy.port);
    const other = await connect(proxy.port, OTHER_USER);
    try {
      const sleeping = a.query("select sleep(1) as slept /* kill-b */");
      const backendId = await running("select sleep(1) as slept /* kill-b */");
      expect(await failure(other.query(`kill query ${a.threadId}`))).toEqual({ errno: 1095, message: `You are not owner of thread ${a.threadId}` });
      expect(await failure(other.query(`KILL CONNECTION ${a.threadId}`))).toMatchObject({ errno: 1095 });
      expect(await failure(other.query(`kill ${a.threadId}`))).toMatchObject({ errno: 1095 });
      // The database's id is not a client id of the proxy (ids of either kind may coincide: pick one that is not).
      const unknown = 900_000_000 + backendId;
      expect(await failure(other.query(`kill ${unknown}`))).toEqual({ errno: 1094, message: `Unknown thread id: ${unknown}` });
      const [rows] = await sleeping;
      expect((rows as Array<{ slept: number }>)[0]!.slept).toBe(0);
    } finally {
      await a.end();
      await other.end();
    }
  });

  test("KILL CONNECTION closes the target client and rolls back its transaction; KILL of itself closes the caller", async () => {
    const a = await connect(proxy.port);
    a.on("error", () => {});
    const b = await connect(proxy.port);
    b.on("error", () => {});
    await b.query("create table if not exists t (i int) engine = innodb");
    await a.query("begin");
    await a.query("insert into t values (1)");
    const [ok] = await b.query(`/* by b */ KILL   connection ${a.threadId} ;`);
    expect((ok as { affectedRows: number }).affectedRows).toBe(0);
    expect(await failure(a.query("select 1"))).not.toEqual({});
    const [rows] = await b.query("select count(*) as n from t");
    expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(0);
    expect(await failure(b.query(`kill ${b.threadId}`))).toEqual({ errno: 1927, message: "Connection was killed" });
    expect(await failure(b.query("select 1"))).not.toEqual({});
  });

  test("other KILL forms are refused, not forwarded (1235 / 1295)", async () => {
    const a = await connect(proxy.port);
    const victim = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
    try {
      const id = victim.threadId;
      for (const text of [
        `kill ${id}; select 1`,
        `select 1; kill ${id}`,
        `/*!kill ${id}*/`,
        `kill hard ${id}`,
        `kill query id ${id}`,
        "kill user root",
        `prepare s from 'kill ${id}'`,
        `create procedure p() kill ${id}`,
      ]) {
        expect(await failure(a.query(text)), text).toMatchObject({ errno: 1235 });
      }
      expect(await failure(a.prepare(`kill ${id}`))).toMatchObject({ errno: 1295 });
      // Words that only look like it still reach the database.
      const [rows] = await a.query("select 'kill 1' as `kill`, 'skill' as s");
      expect((rows as Array<Record<string, string>>)[0]).toEqual({ kill: "kill 1", s: "skill" });
      const [alive] = await victim.query("select 1 as one");
      expect((alive as Array<{ one: number }>)[0]!.one).toBe(1);
    } finally {
      await a.end();
      await victim.end();
    }
  });
});
