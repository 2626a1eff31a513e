import { type ChildProcess, execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  cachedTemplate,
  exists,
  freePort,
  isTemplateMarker,
  keepAlive,
  spawnServer,
  startServer,
  stopOnExit,
} from "./server-process.js";

const execFileAsync = promisify(execFile);

/** Debian/Ubuntu layout; override with PROXYFIT_PG_BIN for another install. */
const PG_BIN = process.env.PROXYFIT_PG_BIN ?? "/usr/lib/postgresql/15/bin";
/** initdb and postgres refuse to run as root. */
const PG_OS_USER = "postgres";

export type PostgresSettingValue = string | number | boolean;

export interface StartPostgresOptions {
  /**
   * postgresql.conf settings (log_destination, log_line_prefix, log_statement, ...). Written to the instance's
   * postgresql.conf, so they survive restart(). logging_collector is always on.
   */
  settings?: Record<string, PostgresSettingValue>;
  /**
   * Also run a private rsyslogd and let the server see its socket as /dev/log (the server then runs in a private mount
   * namespace, so the machine's /dev is untouched). With log_destination = 'syslog' the lines land in the file that
   * logFiles("syslog") returns, written in rsyslog's traditional file format. Needs rsyslogd and unshare.
   */
  syslog?: boolean;
}

/**
 * Which log files: log_destination stderr writes *.log, csvlog *.csv, jsonlog *.json through the logging collector;
 * syslog is the private rsyslogd's file (option syslog).
 */
/**
 * The logging proxyfit's docs recommend: every statement with its duration, connections and disconnections, with the
 * Debian default prefix.
 */
export const STATEMENT_LOGGING: Readonly<Record<string, PostgresSettingValue>> = {
  log_destination: "stderr",
  log_line_prefix: "%m [%p] %q%u@%d ",
  log_connections: "on",
  log_disconnections: "on",
  log_min_duration_statement: 0,
};

export type PostgresLogKind = "stderr" | "csvlog" | "jsonlog" | "syslog";

const LOG_EXTENSION: Record<Exclude<PostgresLogKind, "syslog">, string> = {
  stderr: ".log",
  csvlog: ".csv",
  jsonlog: ".json",
};
const RSYSLOGD = "/usr/sbin/rsyslogd";

/** True when this machine can run the syslog option (rsyslogd installed: apt-get install rsyslog). */
export async function syslogAvailable(): Promise<boolean> {
  return exists(RSYSLOGD);
}

export interface PostgresInstance {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logDir: string;
  connectionString(database?: string): string;
  /** Absolute paths of the collector's log files of one kind (all kinds when omitted), oldest first. */
  logFiles(kind?: PostgresLogKind): Promise<string[]>;
  /** Concatenated content of the log files of one kind. Call shutdown() first to be sure every line is written. */
  readLogs(kind: PostgresLogKind): Promise<string>;
  /**
   * Stops the server (fast shutdown) and keeps its files. The logging collector writes every pending line before
   * it exits, including the disconnection lines of sessions that just closed, so logs are complete afterwards.
   */
  shutdown(): Promise<void>;
  /** shutdown(), then starts the server again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops the server and deletes its directory. Safe to call more than once. */
  stop(): Promise<void>;
}

interface RunningServer {
  child: ChildProcess;
  exited: Promise<void>;
  syslog?: RunningServer;
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]) || undefined;
  } catch {
    return undefined;
  }
}

/** initdb once per machine (see cachedTemplate), as the postgres OS user into a directory it owns. */
function templateDataDir(): Promise<string> {
  return cachedTemplate(
    `proxyfit-pg-template${PG_BIN}`,
    async (dataDir) => {
      await runAsPostgres(join(PG_BIN, "initdb"), [
        "-D",
        dataDir,
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
      ]);
    },
    () => ownedTempDir("proxyfit-pg-initdb-"),
  );
}

async function ownedTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await execFileAsync("chown", [`${PG_OS_USER}:`, dir]);
  return dir;
}

function runAsPostgres(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync("runuser", ["-u", PG_OS_USER, "--", command, ...args]);
}

function formatSetting(value: PostgresSettingValue): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") return String(value);
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/**
 * Starts a throwaway PostgreSQL server on 127.0.0.1 and a free port, with the logging collector on and the given
 * settings. The server runs as the `postgres` OS user from a copy of a per-process initdb template.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresInstance> {
  const templateDir = await templateDataDir();
  const root = await ownedTempDir("proxyfit-pg-");
  const dataDir = join(root, "data");
  const logDir = join(root, "log");
  const socketDir = join(root, "socket");
  await cp(templateDir, dataDir, { recursive: true, filter: (source) => !isTemplateMarker(source) });
  await mkdir(logDir);
  await mkdir(socketDir);
  await execFileAsync("chown", ["-R", `${PG_OS_USER}:`, root]);

  const host = "127.0.0.1";
  const port = await freePort();
  const settings: Record<string, PostgresSettingValue> = {
    listen_addresses: host,
    port,
    unix_socket_directories: socketDir,
    logging_collector: true,
    log_directory: logDir,
    fsync: false,
    ...options.settings,
  };
  const conf = Object.entries(settings)
    .map(([name, value]) => `${name} = ${formatSetting(value)}`)
    .join("\n");
  await appendFile(join(dataDir, "postgresql.conf"), `\n# proxyfit test harness\n${conf}\n`);

  const syslogDir = join(root, "syslog");
  if (options.syslog) await writeSyslogConfig(syslogDir);

  const state: { server: RunningServer | undefined } = { server: undefined };
  // The exit hook's handler is synchronous: SIGQUIT (immediate shutdown) the postmaster directly.
  const forget = stopOnExit({
    root,
    kill: () => {
      const pid = postmasterPid(dataDir);
      if (state.server && pid) process.kill(pid, "SIGQUIT");
    },
  });

  const shutdown = async (): Promise<void> => {
    const server = state.server;
    if (!server) return;
    state.server = undefined;
    // Closing the watchdog's stdin makes it send SIGINT (fast shutdown) to postgres; signalling runuser would not.
    server.child.stdin?.end();
    await keepAlive(server.exited);
    // rsyslogd writes what it has queued when it stops, after the server's last line.
    if (server.syslog) {
      server.syslog.child.stdin?.end();
      await keepAlive(server.syslog.exited);
    }
  };

  const start = async (): Promise<void> => {
    const syslog = options.syslog ? await launchSyslog(syslogDir) : undefined;
    try {
      state.server = { ...(await launch(dataDir, syslog ? { socket: join(syslogDir, "log.sock"), root } : undefined)), syslog };
    } catch (error) {
      syslog?.child.stdin?.end();
      throw error;
    }
  };

  const logFiles = async (kind?: PostgresLogKind): Promise<string[]> => {
    const files: string[] = [];
    if (kind === undefined || kind !== "syslog") {
      const names = (await readdir(logDir)).sort();
      const wanted = kind ? [LOG_EXTENSION[kind]] : Object.values(LOG_EXTENSION);
      files.push(...names.filter((name) => wanted.some((ext) => name.endsWith(ext))).map((name) => join(logDir, name)));
    }
    const syslogFile = join(syslogDir, SYSLOG_FILE);
    if ((kind === undefined || kind === "syslog") && (await exists(syslogFile))) files.push(syslogFile);
    return files;
  };

  const lifecycle = await startServer({ name: "PostgreSQL", root, forget, start, shutdown });

  return {
    host,
    port,
    dataDir,
    logDir,
    connectionString: (database = "postgres") => `postgresql://postgres@${host}:${port}/${database}`,
    logFiles,
    readLogs: async (kind) => {
      const files = await logFiles(kind);
      const contents = await Promise.all(files.map((file) => readFile(file, "utf8")));
      return contents.join("");
    },
    shutdown,
    restart: lifecycle.restart,
    stop: lifecycle.stop,
  };
}

/**
 * A small shell watchdog around a server in the foreground: when this Node process dies for any reason its end of
 * the stdin pipe closes and the watchdog sends the server its stop signal (SIGINT, a fast shutdown, for postgres;
 * SIGTERM for rsyslogd), so no server outlives the test run. Closing stdin is also how shutdown() stops it.
 */
const WATCHDOG =
  'sig=$1; shift; exec 3<&0; "$@" </dev/null & pid=$!; (cat <&3 >/dev/null; kill -$sig $pid 2>/dev/null) & wait $pid';

/**
 * A private mount namespace where /dev is a fresh tmpfs holding the few devices postgres opens, /dev/shm, and /dev/log
 * pointing at the private rsyslogd's socket.
 */
const PRIVATE_DEV_LOG =
  'sock=$1; root=$2; shift 2; mkdir -p "$root/host-dev" && mount --bind /dev "$root/host-dev" && ' +
  "mount -t tmpfs -o mode=755 tmpfs /dev && " +
  'for f in null zero random urandom full; do touch /dev/$f && mount --bind "$root/host-dev/$f" /dev/$f; done && ' +
  'mkdir -m 1777 /dev/shm && ln -s "$sock" /dev/log && exec "$@"';

async function launch(dataDir: string, devLog?: { socket: string; root: string }): Promise<RunningServer> {
  const postgres = ["runuser", "-u", PG_OS_USER, "--", "sh", "-c", WATCHDOG, "watchdog", "INT", join(PG_BIN, "postgres"), "-D", dataDir];
  const [command, ...args] = devLog
    ? ["unshare", "-m", "sh", "-c", PRIVATE_DEV_LOG, "private-dev", devLog.socket, devLog.root, ...postgres]
    : postgres;
  const { child, exited, stderr } = spawnServer(command!, args);
  await waitUntilReady(dataDir, child, stderr);
  return { child, exited };
}

const SYSLOG_FILE = "postgresql.log";

async function writeSyslogConfig(dir: string): Promise<void> {
  await mkdir(dir);
  const config = [
    `global(workDirectory="${dir}")`,
    'module(load="imuxsock" SysSock.Use="off")',
    `input(type="imuxsock" Socket="${join(dir, "log.sock")}")`,
    `*.* action(type="omfile" file="${join(dir, SYSLOG_FILE)}" template="RSYSLOG_TraditionalFileFormat")`,
  ];
  await writeFile(join(dir, "rsyslog.conf"), `${config.join("\n")}\n`);
}

async function launchSyslog(dir: string): Promise<RunningServer> {
  const socket = join(dir, "log.sock");
  await rm(socket, { force: true });
  const { child, exited, stderr } = spawnServer("sh", [
    "-c",
    WATCHDOG,
    "watchdog",
    "TERM",
    RSYSLOGD,
    "-n",
    "-f",
    join(dir, "rsyslog.conf"),
    "-i",
    join(dir, "rsyslogd.pid"),
  ]);
  for (let attempt = 0; attempt < 500; attempt++) {
    if (await exists(socket)) return { child, exited };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.stdin?.end();
  throw new Error(`rsyslogd did not create ${socket}: ${stderr().trim()}`);
}

/** The postmaster writes "ready" as the status line of postmaster.pid once it accepts connections. */
async function waitUntilReady(dataDir: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  for (let attempt = 0; attempt < 1500; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited during startup (${child.exitCode ?? child.signalCode}): ${stderr().trim()}`);
    }
    try {
      const lines = (await readFile(pidFile, "utf8")).split("\n");
      if (lines[7]?.trim() === "ready") return;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.stdin?.end();
  throw new Error(`postgres did not become ready within 30 s: ${stderr().trim()}`);
}
