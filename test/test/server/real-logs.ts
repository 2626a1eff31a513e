import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startPostgres } from "../../src/servers/postgres.js";

/** One client session of a workload: statements to send and pauses (ms, client side) in order; a leading pause delays the connect. */
type Session = Array<string | number>;

/**
 * Small workloads that pin in different ways, so that their logs give different reports. Each runs its sessions
 * concurrently against a real server that logs every statement.
 */
export const WORKLOADS: Record<string, Session[]> = {
  "plain-selects": sessions(6, (i) => ["SELECT 1", `SELECT ${i} + 1`, "SELECT now()"]),
  "session-sets": sessions(5, (i) => [
    "SET application_name = 'billing'",
    `SET search_path TO public`,
    `SELECT ${i}`,
    ...(i % 2 === 0 ? ["RESET search_path"] : []),
  ]),
  "temp-tables": sessions(4, (i) => [
    "BEGIN",
    `CREATE TEMP TABLE scratch_${i} (id int) ON COMMIT DROP`,
    `INSERT INTO scratch_${i} VALUES (${i})`,
    "COMMIT",
  ]),
  "advisory-locks": sessions(7, (i) => [
    `SELECT pg_advisory_lock(${i})`,
    "SELECT 42",
    `SELECT pg_advisory_unlock(${i})`,
    `SELECT pg_advisory_xact_lock(${i + 100})`,
  ]),
  "sql-prepare": sessions(3, (i) => [`PREPARE q${i} AS SELECT $1::int + 1`, `EXECUTE q${i}(${i})`, "DEALLOCATE ALL"]),
  "transactions-listen": sessions(8, (i) => [
    "BEGIN",
    `SELECT ${i} AS n`,
    "COMMIT",
    ...(i % 3 === 0 ? ["LISTEN jobs"] : []),
  ]),
  // Clients arriving over about five seconds, mostly idle between short bursts: what a web fleet looks like.
  "web-traffic": sessions(30, (i) => [
    i * 150,
    "SELECT 1",
    200,
    i % 4 === 0 ? "SET application_name = 'report'" : "SELECT 2",
    300,
    "BEGIN",
    "SELECT pg_sleep(0.05)",
    "COMMIT",
    400 + (i % 5) * 100,
    ...(i % 6 === 0 ? ["SELECT pg_advisory_lock(1)", "SELECT pg_advisory_unlock(1)"] : []),
    "SELECT 3",
  ]),
  "cursors-sequences": sessions(5, (i) => [
    // One sequence per session: concurrent CREATE ... IF NOT EXISTS of one name can collide.
    `CREATE SEQUENCE IF NOT EXISTS ticket_${i}`,
    `SELECT nextval('ticket_${i}')`,
    "BEGIN",
    `DECLARE c${i} CURSOR FOR SELECT generate_series(1, 3)`,
    `FETCH 2 FROM c${i}`,
    "COMMIT",
  ]),
};

/** The quick ones (web-traffic takes seconds: only the report page test wants it). */
export const DEFAULT_WORKLOADS = Object.keys(WORKLOADS).filter((name) => name !== "web-traffic");

function sessions(count: number, statements: (i: number) => Session): Session[] {
  return Array.from({ length: count }, (_, i) => statements(i));
}

export interface RealLog {
  /** File name: the workload and the kind, e.g. "temp-tables.csv". */
  name: string;
  path: string;
  workload: string;
  kind: LogKind;
}

export interface RealLogs {
  logs: RealLog[];
  dir: string;
  remove(): Promise<void>;
}

/** The log destinations written at once, and the extension each one's copy gets. */
const KINDS = { stderr: "log", csvlog: "csv", jsonlog: "json" } as const;
type LogKind = keyof typeof KINDS;

/**
 * Runs each workload on a throwaway PostgreSQL 15 that logs in stderr, csvlog and jsonlog at once, rotating the log
 * between workloads: one real log per workload and kind.
 */
export async function produceRealLogs(workloads: string[] = DEFAULT_WORKLOADS): Promise<RealLogs> {
  const server = await startPostgres({
    settings: {
      log_destination: "stderr,csvlog,jsonlog",
      log_statement: "all",
      log_connections: true,
      log_disconnections: true,
      log_line_prefix: "%m [%p] %q%u@%d ",
    },
  });
  const dir = await mkdtemp(join(tmpdir(), "proxyfit-real-logs-"));
  try {
    for (const workload of workloads) {
      // The collector names files by the second: a new second gives each workload its own files.
      await pause(1100);
      await rotate(server.connectionString());
      await run(server.connectionString(), WORKLOADS[workload]!);
    }
    await server.shutdown();
    const logs: RealLog[] = [];
    for (const kind of Object.keys(KINDS) as LogKind[]) {
      // The first file holds the server's start; the rest follow the workloads in order.
      const files = (await server.logFiles(kind)).slice(-workloads.length);
      for (const [index, file] of files.entries()) {
        const workload = workloads[index]!;
        const name = `${workload}.${KINDS[kind]}`;
        const path = join(dir, name);
        await copyFile(file, path);
        logs.push({ name, path, workload, kind });
      }
    }
    return { logs, dir, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await server.stop();
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function rotate(connectionString: string): Promise<void> {
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  await admin.query("SELECT pg_rotate_logfile()");
  await admin.end();
}

async function run(connectionString: string, workload: Session[]): Promise<void> {
  await Promise.all(
    workload.map(async (steps, index) => {
      const [first] = steps;
      if (typeof first === "number") await pause(first);
      const client = new pg.Client({ connectionString, application_name: `worker-${index}` });
      await client.connect();
      try {
        for (const step of typeof first === "number" ? steps.slice(1) : steps) {
          if (typeof step === "number") await pause(step);
          else await client.query(step);
        }
      } finally {
        await client.end();
      }
    }),
  );
  // Disconnection lines are written as the backends exit, just after the clients hang up.
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  for (;;) {
    const { rows } = await admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    if (rows[0].n === 0) break;
    await pause(20);
  }
  await admin.end();
}
