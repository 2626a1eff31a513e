import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { access, cp, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ConnectionOptions } from "mysql2/promise";
import { keepAlive } from "./keep-alive.js";

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

interface InstanceState {
  root: string;
  pidFile: string;
  server: RunningServer | undefined;
}

/** Servers still running, so that a test run that ends without calling stop() does not leave them behind. */
const live = new Set<InstanceState>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const instance of live) {
      // Synchronous handler: kill mariadbd outright (the process is going away), then remove its files.
      const pid = serverPid(instance.pidFile);
      if (instance.server && pid) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      rmSync(instance.root, { recursive: true, force: true });
    }
  });
}

function serverPid(pidFile: string): number | undefined {
  try {
    return Number(readFileSync(pidFile, "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
}

let template: Promise<string> | undefined;
const TEMPLATE_COMPLETE = "proxyfit-template-complete";

/**
 * mariadb-install-db runs once per machine into a template data directory that every instance copies (a few ms
 * instead of ~0.5 s). Built under a temporary name and renamed into place, so concurrent test workers never see half
 * of one; keyed by the server binary and left in place for the next run.
 */
function templateDataDir(): Promise<string> {
  template ??= (async () => {
    const key = MARIADBD.replace(/[^A-Za-z0-9]+/g, "-");
    const dataDir = join(tmpdir(), `proxyfit-mariadb-template${key}-uid${process.getuid?.() ?? 0}`);
    if (await exists(join(dataDir, TEMPLATE_COMPLETE))) return dataDir;
    const root = await mkdtemp(join(tmpdir(), "proxyfit-mariadb-install-"));
    const building = join(root, "data");
    try {
      await execFileAsync(INSTALL_DB, [
        ...BASE_OPTIONS,
        `--datadir=${building}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
      ]);
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      const output = error as { stdout?: string; stderr?: string };
      throw new Error(`mariadb-install-db failed: ${output.stderr ?? ""}${output.stdout ?? ""}`.trim());
    }
    await writeFile(join(building, TEMPLATE_COMPLETE), "");
    try {
      await rename(building, dataDir);
    } catch (error) {
      // Another worker won the race; its template is complete because rename is atomic.
      if (!(await exists(join(dataDir, TEMPLATE_COMPLETE)))) throw error;
    }
    await rm(root, { recursive: true, force: true });
    return dataDir;
  })();
  return template;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("startMariadb: no free port"));
      });
    });
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
  await cp(templateDir, dataDir, { recursive: true, filter: (source) => !source.endsWith(TEMPLATE_COMPLETE) });

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

  const state: InstanceState = { root, pidFile, server: undefined };
  live.add(state);
  installExitHook();
  let stopped = false;
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

  try {
    await start();
  } catch (error) {
    live.delete(state);
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  return {
    host,
    port,
    dataDir,
    generalLogPath,
    slowLogPath,
    errorLogPath,
    connectionOptions: (overrides = {}) => ({ ...connection, ...overrides }),
    restart: async () => {
      if (stopped) throw new Error("restart(): this MariaDB instance was stopped");
      await shutdown();
      await start();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await shutdown();
      live.delete(state);
      await rm(root, { recursive: true, force: true });
    },
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
  const child = spawn("sh", ["-c", WATCHDOG, "mariadbd-watchdog", root, MARIADBD, ...args], {
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Neither the process nor its pipes may keep a test worker alive; the exit hook and the watchdog clean up.
  child.unref();
  for (const stream of [child.stdin, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  await waitUntilReady(child, errorLogPath, errorLogOffset, () => stderr);
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
