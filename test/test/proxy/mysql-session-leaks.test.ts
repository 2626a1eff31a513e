/**
 * The MySQL leak matrix: nothing of one client's session reaches another. A pool of one database connection, so the
 * observer always gets the connection the polluter used (checked by connection_id()). For each tracked variable, the
 * default schema, the character set, a user variable, a temporary table and a named lock, a polluter leaves it behind
 * and stays, quits cleanly, or has its socket destroyed; the observer must then see what a fresh direct connection
 * sees. Runs in a scratch database of its own on the shared MariaDB, with mysql2.
 */
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningProxy, runProxy } from "./support.js";

const DATABASE = `proxyfit_mysql_leaks_${process.pid}`;
const OTHER = `${DATABASE}_other`;

/** What the observer looks at, in one statement (reads of @@ variables do not pin; a user variable would). */
const OBSERVE_SQL = `select connection_id() as id, @@session.time_zone as time_zone, @@session.sql_mode as sql_mode,
  @@session.autocommit as autocommit, @@session.tx_isolation as tx_isolation, @@session.tx_read_only as tx_read_only,
  @@session.wait_timeout as wait_timeout, @@session.net_write_timeout as net_write_timeout,
  @@session.interactive_timeout as interactive_timeout, @@session.auto_increment_increment as auto_increment_increment,
  database() as db, @@session.character_set_client as character_set_client,
  @@session.character_set_results as character_set_results, @@session.collation_connection as collation_connection,
  @@session.lock_wait_timeout as lock_wait_timeout, is_free_lock('proxyfit_leak') as lock_free,
  (select count(*) from information_schema.processlist where id = connection_id() and info is not null) as running`;

interface Pollution {
  name: string;
  statements: string[];
}

/** Each kind of session state, as a client leaves it behind. */
const POLLUTIONS: Pollution[] = [
  { name: "time_zone", statements: ["set session time_zone = '+05:00'"] },
  { name: "sql_mode", statements: ["set session sql_mode = 'ANSI_QUOTES'"] },
  { name: "autocommit", statements: ["set autocommit = 0"] },
  { name: "transaction isolation", statements: ["set session transaction isolation level serializable"] },
  { name: "wait_timeout", statements: ["set session wait_timeout = 1234"] },
  { name: "net_write_timeout", statements: ["set session net_write_timeout = 77"] },
  { name: "interactive_timeout", statements: ["set session interactive_timeout = 99"] },
  { name: "auto_increment_increment", statements: ["set session auto_increment_increment = 7"] },
  { name: "default schema (USE)", statements: [`use ${OTHER}`] },
  { name: "character set (SET NAMES)", statements: ["set names latin1"] },
  { name: "collation (SET NAMES ... COLLATE)", statements: ["set names utf8mb4 collate utf8mb4_bin"] },
  { name: "untracked variable (pins)", statements: ["set session lock_wait_timeout = 33"] },
  { name: "user variable (pins)", statements: ["set @proxyfit_leak = 'leaked'"] },
  { name: "temporary table (pins)", statements: ["create temporary table proxyfit_leak_tmp (i int)", "insert into proxyfit_leak_tmp values (1)"] },
  { name: "named lock (pins)", statements: ["select get_lock('proxyfit_leak', 0)"] },
  // Last: the combined case below runs every statement in one session, and writes fail after it.
  { name: "transaction read only", statements: ["set session transaction read only"] },
];

const connect = (port: number, database = DATABASE) => mysql.createConnection({ host: "127.0.0.1", port, user: "root", database });

describe("MySQL: nothing of a client's session reaches the next client on its connection", () => {
  let proxy: RunningProxy;
  let fresh: Record<string, unknown>;
  beforeAll(async () => {
    const admin = await connect(3306, "mysql");
    for (const name of [DATABASE, OTHER]) {
      await admin.query(`drop database if exists ${name}`);
      await admin.query(`create database ${name}`);
    }
    const [rows] = await admin.query(OBSERVE_SQL.replace("database() as db", `'${DATABASE}' as db`));
    fresh = { ...(rows as Array<Record<string, unknown>>)[0] };
    delete fresh.id;
    await admin.end();
    // One database connection: the observer gets the polluter's.
    proxy = await runProxy({
      target: `mysql://root@127.0.0.1:3306/${DATABASE}`,
      max_connections_percent: "1",
      max_idle_connections_percent: "1",
      connection_borrow_timeout: "10",
    });
  });
  afterAll(async () => {
    await proxy?.close();
    const admin = await connect(3306, "mysql");
    for (const name of [DATABASE, OTHER]) await admin.query(`drop database if exists ${name}`);
    await admin.end();
  });

  async function observe(): Promise<{ id: unknown; seen: Record<string, unknown>; userVariable: unknown; tempTable: unknown }> {
    const observer = await connect(proxy.port);
    try {
      const [rows] = await observer.query(OBSERVE_SQL);
      const { id, ...seen } = (rows as Array<Record<string, unknown>>)[0]!;
      const [variable] = await observer.query("select @proxyfit_leak as v");
      const tempTable = await observer.query("select * from proxyfit_leak_tmp").then(
        () => "exists",
        (error: { errno?: number }) => error.errno,
      );
      return { id, seen, userVariable: (variable as Array<Record<string, unknown>>)[0]!.v, tempTable };
    } finally {
      await observer.end();
    }
  }

  for (const pollution of POLLUTIONS) {
    for (const leaves of ["stays", "quits", "is destroyed"] as const) {
      const pins = pollution.name.endsWith("(pins)");
      // A pinned polluter that stays keeps the only connection: that case is the concurrent one below.
      if (pins && leaves === "stays") continue;
      test(`${pollution.name}: the polluter ${leaves}`, async () => {
        const polluter = await connect(proxy.port);
        polluter.on("error", () => {});
        const [before] = await polluter.query("select connection_id() as id");
        for (const statement of pollution.statements) await polluter.query(statement);
        if (leaves === "quits") await polluter.end();
        if (leaves === "is destroyed") polluter.destroy();
        const { id, seen, userVariable, tempTable } = await observe();
        expect(id).toBe((before as Array<{ id: unknown }>)[0]!.id);
        expect(seen).toEqual(fresh);
        expect(userVariable).toBeNull();
        expect(tempTable).toBe(1146);
        if (leaves === "stays") {
          // The polluter keeps what it set, on whichever connection it gets next.
          const [rows] = await polluter.query(OBSERVE_SQL);
          const { id: _id, ...own } = (rows as Array<Record<string, unknown>>)[0]!;
          expect(own).not.toEqual(fresh);
          await polluter.end();
        }
      });
    }
  }

  test("pinned polluters that stay: a concurrent client on another connection sees none of it", async () => {
    const wide = await runProxy({ target: `mysql://root@127.0.0.1:3306/${DATABASE}`, max_connections_percent: "3", max_idle_connections_percent: "3" });
    const polluter = await connect(wide.port);
    try {
      for (const pollution of POLLUTIONS) for (const statement of pollution.statements) await polluter.query(statement);
      const observer = await connect(wide.port);
      const [rows] = await observer.query(OBSERVE_SQL);
      const { id, ...seen } = (rows as Array<Record<string, unknown>>)[0]!;
      const [mine] = await polluter.query("select connection_id() as id");
      expect(id).not.toBe((mine as Array<{ id: unknown }>)[0]!.id);
      expect(seen).toEqual({ ...fresh, lock_free: 0 });
      await observer.end();
    } finally {
      await polluter.end();
      await wide.close();
    }
  });
});
