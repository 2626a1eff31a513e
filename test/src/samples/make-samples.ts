import { execFile } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { startMariadb } from "../servers/mariadb.js";
import { STATEMENT_LOGGING, startPostgres } from "../servers/postgres.js";
import { runMysqlWorkload } from "../workload/mysql.js";
import { runPostgresWorkload } from "../workload/postgres.js";

const execFileAsync = promisify(execFile);
const SAMPLES = resolve(fileURLToPath(import.meta.url), "../../../../samples");

/**
 * Regenerates samples/ (`npm run samples`): real logs of throwaway servers. The PostgreSQL sample is ten and a half
 * minutes of a real server's log (long enough to decide: docs/recommendation.md) telling one story:
 * - a steady app-server pool: 20 long-lived connections, a light read load all along;
 * - Lambda-style functions: a new connection per invocation, a dozen a second all along, each living a fraction of
 *   a second, and every two minutes a burst asking for 250 a second that takes the server past 80% of max_connections
 *   (as many as this shared two-core machine can fork: the log says how many it got);
 * - a driver whose connect-time SETs pin: a worker connecting every other second that sets statement_timeout and the
 *   time zone on every new connection;
 * - the workload generator's sessions, among them advisory locks and temporary tables.
 * max_connections is what RDS gives a db.t3.micro (85), so the README's command can name the class. The log is gzipped
 * (the assessor reads gzip) to keep the repository light.
 */
export const SAMPLE_MAX_CONNECTIONS = 85;
const SAMPLE_SECONDS = 630;
const BURST_EVERY_SECONDS = 120;
const BURST_SECONDS = 12;

const lambdaScript = (sleepSeconds: number) =>
  `\\set aid random(1, 100000)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\nSELECT pg_sleep(${sleepSeconds});\n`;
const PINNING_DRIVER_SCRIPT =
  "\\set aid random(1, 100000)\nSET statement_timeout = '30s';\nSET TIME ZONE 'UTC';\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n";

async function lambdaBursts(url: string, script: string): Promise<void> {
  const bursts: Promise<unknown>[] = [];
  for (let at = 60; at + BURST_SECONDS < SAMPLE_SECONDS; at += BURST_EVERY_SECONDS) {
    bursts.push(
      new Promise((r) => setTimeout(r, at * 1000)).then(() =>
        execFileAsync("pgbench", ["-n", "-C", "-c", "45", "-j", "2", "-T", String(BURST_SECONDS), "-R", "250", "-f", script, url]),
      ),
    );
  }
  await Promise.all(bursts);
}

async function postgresSample(): Promise<void> {
  const server = await startPostgres({
    settings: {
      ...STATEMENT_LOGGING,
      max_connections: SAMPLE_MAX_CONNECTIONS,
    },
  });
  const scripts = await mkdtemp(join(tmpdir(), "proxyfit-samples-"));
  try {
    const url = server.connectionString();
    const lambda = join(scripts, "lambda.sql");
    const burst = join(scripts, "lambda-burst.sql");
    const driver = join(scripts, "pinning-driver.sql");
    await writeFile(lambda, lambdaScript(0.05));
    await writeFile(burst, lambdaScript(0.2));
    await writeFile(driver, PINNING_DRIVER_SCRIPT);
    await execFileAsync("pgbench", ["-i", "-q", "-s", "1", url]);
    const seconds = String(SAMPLE_SECONDS);
    await Promise.all([
      execFileAsync("pgbench", ["-n", "-b", "select-only", "-c", "20", "-j", "1", "-T", seconds, "-R", "20", url]),
      execFileAsync("pgbench", ["-n", "-C", "-c", "10", "-j", "1", "-T", seconds, "-R", "12", "-f", lambda, url]),
      execFileAsync("pgbench", ["-n", "-C", "-c", "1", "-j", "1", "-T", seconds, "-R", "0.5", "-f", driver, url]),
      lambdaBursts(url, burst),
      runPostgresWorkload({ connectionString: url, seed: 11 }),
    ]);
    await server.shutdown();
    await writeFile(join(SAMPLES, "postgresql.log.gz"), gzipSync(await server.readLogs("stderr")));
  } finally {
    await server.stop();
    await rm(scripts, { recursive: true, force: true });
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
