import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import mysql from "mysql2/promise";
import { expect, it } from "vitest";
import { startMariadb } from "../../src/servers/mariadb.js";

/** The throwaway MariaDB the MySQL format tests write their logs with. */
it("starts a MariaDB with its own logs, restarts it in place and removes it on stop", async () => {
  const server = await startMariadb({ generalLog: true, slowLog: true });
  try {
    const query = async (sql: string) => {
      const client = await mysql.createConnection(server.connectionOptions());
      const [rows] = await client.query(sql);
      await client.end();
      return rows as Array<Record<string, unknown>>;
    };
    expect(await query("SELECT @@port AS port, @@general_log AS general, @@long_query_time AS threshold")).toEqual([
      { port: server.port, general: 1, threshold: 0 },
    ]);
    await server.restart();
    expect(await query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    for (const path of [server.generalLogPath, server.slowLogPath]) {
      const starts = (await readFile(path, "utf8")).split("\n").filter((l) => l.endsWith(" started with:"));
      expect(starts, path).toHaveLength(2);
    }
    // Only the tests' own connections are in the log: the harness waits for readiness without logging in.
    const general = await readFile(server.generalLogPath, "utf8");
    expect(general.match(/ Connect\t/g)).toHaveLength(2);
  } finally {
    await server.stop();
    await server.stop();
  }
  expect(existsSync(server.dataDir)).toBe(false);
});
