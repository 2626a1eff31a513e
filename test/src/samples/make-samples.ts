import { execFile } from "node:child_process";
import { copyFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startMariadb } from "../servers/mariadb.js";
import { STATEMENT_LOGGING, startPostgres } from "../servers/postgres.js";
import { runMysqlWorkload } from "../workload/mysql.js";
import { runPostgresWorkload } from "../workload/postgres.js";

const execFileAsync = promisify(execFile);
const SAMPLES = resolve(fileURLToPath(import.meta.url), "../../../../samples");

/**
 * Regenerates samples/ (`npm run samples`): real logs of throwaway servers running the workload generators plus
 * pgbench traffic: a fleet of mostly idle long-lived connections (each holding its own connection, as many app
 * instances with small pools do) and per-transaction connections (a Lambda's pattern), together taking a small server
 * close to its limit. max_connections is what RDS gives a db.t3.micro (85), so the README's command can name the class.
 */
export const SAMPLE_MAX_CONNECTIONS = 85;
async function postgresSample(): Promise<void> {
  const server = await startPostgres({
    settings: {
      ...STATEMENT_LOGGING,
      max_connections: SAMPLE_MAX_CONNECTIONS,
    },
  });
  try {
    const url = server.connectionString();
    await execFileAsync("pgbench", ["-i", "-q", "-s", "1", url]);
    await Promise.all([
      execFileAsync("pgbench", ["-n", "-c", "60", "-j", "2", "-T", "4", "-R", "300", url]),
      execFileAsync("pgbench", ["-n", "-c", "12", "-j", "2", "-T", "4", "-R", "150", "-C", url]),
      runPostgresWorkload({ connectionString: url, seed: 11 }),
    ]);
    await server.shutdown();
    await writeFile(join(SAMPLES, "postgresql.log"), await server.readLogs("stderr"));
  } finally {
    await server.stop();
  }
}

async function mysqlSample(): Promise<void> {
  const server = await startMariadb({ generalLog: true, slowLog: true });
  try {
    await runMysqlWorkload({ connection: server.connectionOptions(), seed: 11 });
    // restart() stops the server cleanly, so every log line is written; stop() deletes the files.
    await server.restart();
    await copyFile(server.generalLogPath, join(SAMPLES, "mariadb-general.log"));
    await copyFile(server.slowLogPath, join(SAMPLES, "mariadb-slow.log"));
  } finally {
    await server.stop();
  }
}

await postgresSample();
await mysqlSample();
process.stderr.write(`samples written to ${SAMPLES}\n`);
