/**
 * The MySQL engine's fixture for the conformance suite: mysql2, the shared MariaDB (a scratch database per run) and
 * throwaway MariaDB servers.
 */
import mysql from "mysql2/promise";
import { startMariadb } from "../../../src/servers/mariadb.js";
import type { EngineClient, EngineFixture, ErrorFacts } from "./fixture.js";

async function mysqlClient(options: mysql.ConnectionOptions): Promise<EngineClient> {
  const connection = await mysql.createConnection({ host: "127.0.0.1", user: "root", ...options });
  const lost = new Promise<Error>((resolve) => connection.on("error", resolve));
  return {
    query: async (sql) => (await connection.query(sql))[0] as Array<Record<string, unknown>>,
    destroy: () => connection.destroy(),
    end: () => connection.end().catch(() => {}),
    lost,
  };
}

/** A scratch database on the shared MariaDB 127.0.0.1:3306, and the fixture that uses it. */
export async function mysqlFixture(): Promise<{ fixture: EngineFixture; drop(): Promise<void> }> {
  const database = `proxyfit_conformance_${process.pid}`;
  const admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
  await admin.query(`drop database if exists ${database}`);
  await admin.query(`create database ${database}`);
  await admin.end();
  const fixture: EngineFixture = {
    name: "MySQL (MariaDB)",
    sharedTarget: `mysql://root@127.0.0.1:3306/${database}`,
    // The tracked setting is set by the client after it connects, as MySQL drivers do (there are no startup parameters).
    async connect(port, options = {}) {
      const client = await mysqlClient({
        port,
        database,
        ...(options.application !== undefined ? { connectAttributes: { program_name: options.application } } : {}),
      });
      if (options.tracked !== undefined) await client.query(`set session time_zone = '${options.tracked}'`);
      return client;
    },
    direct: () => mysqlClient({ port: 3306, database }),
    async startServer() {
      const server = await startMariadb();
      // Clients connect to the same database name wherever they are.
      const setup = await mysql.createConnection(server.connectionOptions());
      await setup.query(`create database ${database}`);
      await setup.end();
      return {
        target: `mariadb://root@127.0.0.1:${server.port}/${database}`,
        restart: () => server.restart(),
        stop: () => server.stop(),
        direct: () => mysqlClient({ port: server.port, database }),
      };
    },
    errorFacts(error: unknown): ErrorFacts {
      // The error number when the server (or the proxy in its place) sent one; else mysql2's own code.
      const { errno, code, message } = error as { errno?: number; code?: string; message: string };
      return { code: errno !== undefined ? String(errno) : code, message };
    },
    sql: {
      backendId: "select connection_id() as id",
      outsideTransaction: "select @@in_transaction = 0 as outside",
      sleep: (seconds) => `select sleep(${seconds})`,
      sleepersRunning: "select count(*) as n from information_schema.processlist where command = 'Query' and info like 'select sleep%'",
    },
    pinning: {
      sql: "set session lock_wait_timeout = 4321",
      rule: "mysql.system_variable",
      probe: "select cast(@@session.lock_wait_timeout as char) as value",
      pinnedValue: "4321",
      defaultValue: "86400",
    },
    tracked: {
      probe: "select @@session.time_zone as value",
      values: [
        { set: "+01:00", shows: "+01:00" },
        { set: "+02:00", shows: "+02:00" },
      ],
      defaultValue: "SYSTEM",
    },
    borrowTimeout: { code: "9501", message: /Timed-out waiting to acquire database connection/ },
    // MariaDB closes its sessions without a word when it shuts down; through the proxy alike.
    serverShutdown: { code: "PROTOCOL_CONNECTION_LOST", message: "Connection lost: The server closed the connection." },
  };
  return {
    fixture,
    async drop() {
      const c = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
      await c.query(`drop database if exists ${database}`);
      await c.end();
    },
  };
}
