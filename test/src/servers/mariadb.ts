import { type ChildProcess, execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ConnectionOptions } from "mysql2/promise";
import { cachedTemplate, freePort, isTemplateMarker, keepAlive, spawnServer, startServer, stopOnExit } from "./server-process.js";

const execFileAsync = promisify(execFile);

/** Debian/Ubuntu layout; override with PROXYFIT_MARIADBD / PROXYFIT_MARIADB_INSTALL_DB for another install. */
const MARIADBD = process.env.PROXYFIT_MARIADBD ?? "/usr/sbin/mariadbd";
const INSTALL_DB = process.env.PROXYFIT_MARIADB_INSTALL_DB ?? "mariadb-install-db";

/**
 * Server options shared by mariadb-install-db and every start: no option files (the machine's my.cnf points at the
 * shared server's directories), small InnoDB files, nothing synced to disk. A throwaway server needs no durability.
 */
const BASE_OPTIONS = [
  "--no-defaults",
  "--user=root",
  "--skip-name-resolve",
  "--innodb-buffer-pool-size=16M",
  "--innodb-log-file-size=4M",
  "--innodb-temp-data-file-path=ibtmp1:1M:autoextend",
  "--innodb-flush-log-at-trx-commit=0",
  "--innodb-doublewrite=0",
];

export interface StartMariadbOptions {
  /** general_log=ON into `generalLogPath`. */
  generalLog?: boolean;
  /**
   * slow_query_log=ON into `slowLogPath` with long_query_time=0 (every statement) and log_slow_verbosity=query_plan,
   * explain (the extra `#` lines production servers often have).
   */
  slowLog?: boolean;
  /** More mariadbd options, e.g. "--log-slow-verbosity=query_plan" or "--max-connections=20". Kept by restart(). */
  extraArgs?: string[];
}

export interface MariadbInstance {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Where the general log is written (exists only with `generalLog`). */
  readonly generalLogPath: string;
  /** Where the slow query log is written (exists only with `slowLog`). */
  readonly slowLogPath: string;
  readonly errorLogPath: string;
  /** mysql2 options for this server: root without a password unless overridden. */
  connectionOptions(overrides?: ConnectionOptions): ConnectionOptions;
  /**
   * Stops the server (SIGTERM: it finishes writing its logs) and starts it again on the same port, data directory
   * and log files; each log gets the server's start-up header lines again, as after a real restart.
   */
  restart(): Promise<void>;
  /** Stops the server and deletes its directory. Safe to call more than once. */
  stop(): Promise<void>;
}

interface RunningServer {
  child: ChildProcess;
  exited: Promise<void>;
}

function serverPid(pidFile: string): number | undefined {
  try {
    return Number(readFileSync(pidFile, "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** mariadb-install-db once per machine (see cachedTemplate). */
function templateDataDir(): Promise<string> {
  return cachedTemplate(`proxyfit-mariadb-template${MARIADBD}`, async (dataDir) => {
    try {
      await execFileAsync(INSTALL_DB, [
        ...BASE_OPTIONS,
        `--datadir=${dataDir}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
      ]);
    } catch (error) {
      const output = error as { stdout?: string; stderr?: string };
      throw new Error(`mariadb-install-db failed: ${output.stderr ?? ""}${output.stdout ?? ""}`.trim());
    }
  });
}

/**
 * Starts a throwaway MariaDB server on 127.0.0.1 and a free port from a copy of a template data directory, with root
 * (no password) as its only account; tests create the users their workload needs.
 */
export async function startMariadb(options: StartMariadbOptions = {}): Promise<MariadbInstance> {
  const templateDir = await templateDataDir();
  const root = await mkdtemp(join(tmpdir(), "proxyfit-mariadb-"));
  const dataDir = join(root, "data");
  await cp(templateDir, dataDir, { recursive: true, filter: (source) => !isTemplateMarker(source) });

  const host = "127.0.0.1";
  const port = await freePort();
  const generalLogPath = join(root, "general.log");
  const slowLogPath = join(root, "slow.log");
  const errorLogPath = join(root, "error.log");
  const pidFile = join(root, "mariadbd.pid");
  const args = [
    ...BASE_OPTIONS,
    `--datadir=${dataDir}`,
    `--port=${port}`,
    `--bind-address=${host}`,
    `--socket=${join(root, "mariadbd.sock")}`,
    `--pid-file=${pidFile}`,
    `--log-error=${errorLogPath}`,
    "--log-output=FILE",
    "--character-set-server=utf8mb4",
    ...(options.generalLog ? ["--general-log=1", `--general-log-file=${generalLogPath}`] : []),
    ...(options.slowLog
      ? [
          "--slow-query-log=1",
          `--slow-query-log-file=${slowLogPath}`,
          "--long-query-time=0",
          "--log-slow-verbosity=query_plan,explain",
        ]
      : []),
    ...(options.extraArgs ?? []),
  ];

  const state: { server: RunningServer | undefined } = { server: undefined };
  // The exit hook's handler is synchronous: kill mariadbd outright (the process is going away).
  const forget = stopOnExit({
    root,
    kill: () => {
      const pid = serverPid(pidFile);
      if (state.server && pid) process.kill(pid, "SIGKILL");
    },
  });
  const connection = { host, port, user: "root" };

  const shutdown = async (): Promise<void> => {
    const server = state.server;
    if (!server) return;
    state.server = undefined;
    // The watchdog sends SIGTERM to mariadbd, which then writes its logs out and exits.
    server.child.stdin?.end("stop\n");
    await keepAlive(server.exited);
  };
  const start = async (): Promise<void> => {
    state.server = await launch(root, args, errorLogPath);
  };

  const lifecycle = await startServer({ name: "MariaDB", root, forget, start, shutdown });

  return {
    host,
    port,
    dataDir,
    generalLogPath,
    slowLogPath,
    errorLogPath,
    connectionOptions: (overrides = {}) => ({ ...connection, ...overrides }),
    restart: lifecycle.restart,
    stop: lifecycle.stop,
  };
}

/**
 * Runs mariadbd under a small shell watchdog. shutdown() writes "stop" to the watchdog's stdin and it sends mariadbd
 * SIGTERM. When this Node process dies instead, the pipe just closes: the watchdog then stops mariadbd and deletes the
 * instance directory, so a crashed test run leaves neither a server nor its files. The reader runs in a subshell that
 * is killed when mariadbd exits by itself, so it never signals a recycled pid.
 */
const WATCHDOG = `root=$1; shift
exec 3<&0
"$@" </dev/null & pid=$!
(while read -r line <&3; do [ "$line" = stop ] && break; done
 [ "$line" = stop ] || : > "$root/.orphaned"
 kill -TERM $pid 2>/dev/null) & reader=$!
wait $pid; status=$?
if [ -e "$root/.orphaned" ]; then rm -rf "$root"; else kill $reader 2>/dev/null; fi
exit $status`;

async function launch(root: string, args: string[], errorLogPath: string): Promise<RunningServer> {
  const errorLogOffset = (await readFile(errorLogPath, "utf8").catch(() => "")).length;
  const { child, exited, stderr } = spawnServer("sh", ["-c", WATCHDOG, "mariadbd-watchdog", root, MARIADBD, ...args]);
  await waitUntilReady(child, errorLogPath, errorLogOffset, stderr);
  return { child, exited };
}

/**
 * mariadbd writes "ready for connections" to its error log once it accepts clients. Only the part of the log written
 * by this start counts (a restart appends to the same file). Polling the log rather than logging in keeps the
 * harness's own connections out of the general log the tests read.
 */
async function waitUntilReady(
  child: ChildProcess,
  errorLogPath: string,
  errorLogOffset: number,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  const thisStart = async () => (await readFile(errorLogPath, "utf8").catch(() => "")).slice(errorLogOffset);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const reason = `${stderr()}${await thisStart()}`.trim();
      throw new Error(`mariadbd exited during startup (${child.exitCode ?? child.signalCode}): ${reason}`);
    }
    if ((await thisStart()).includes("ready for connections")) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.stdin?.end("stop\n");
  throw new Error(`mariadbd did not become ready within 30 s: ${`${stderr()}${await thisStart()}`.trim()}`);
}
