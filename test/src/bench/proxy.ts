/**
 * The trial proxy against its anchors, in one run on one machine: pgbench select-only (simple and -M prepared; 50
 * and 500 clients) through proxyfit, through PgBouncer in transaction mode with the same pool size, and through a
 * bare Node socket-to-socket forwarder (no parsing, no pooling: the floor for any Node proxy); then the memory of
 * 10,000 idle clients. All against a throwaway PostgreSQL with max_connections 600, so the forwarder's 500 clients
 * fit. Reported: TPS, the proxy process's CPU time per transaction (from /proc), p99 latency (pgbench -l).
 *
 * On a shared 2-core machine one run's CPU per transaction swings by ±20% with what else the machine is doing, so
 * each case runs in several rounds, the subjects back to back in a rotating order within a round: the table shows
 * each subject's median, and the ratios are medians of the ratios within each round (runs a few seconds apart).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type PostgresInstance, startPostgres } from "../servers/postgres.js";
import { type BenchSection, ensureDebianPackages, quickMode } from "./measure.js";

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const MAX_CONNECTIONS = 600;
/** proxyfit sizes its pool as a share of max_connections, as RDS Proxy does: 4% of 600 = 24, PgBouncer's pool too. */
const POOL_PERCENT = 4;
const POOL_SIZE = (MAX_CONNECTIONS * POOL_PERCENT) / 100;
const CLOCK_TICKS = 100;
const IDLE_CLIENTS = 10_000;

interface Subject {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

interface RunResult {
  tps: number;
  transactions: number;
  cpuUsPerTx: number;
  p99Ms: number;
  error?: string;
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** utime + stime of a process, in microseconds. */
async function cpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function waitForPort(port: number, child: ChildProcess): Promise<void> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const attempt = () => {
      if (child.exitCode !== null) return fail(new Error(`exited with ${child.exitCode}`));
      const socket = connect({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        done();
      });
      socket.on("error", () => {
        if (Date.now() - started > 20_000) fail(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGINT");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    });
}

async function startProxyfit(db: PostgresInstance): Promise<Subject> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "cli/bin/proxyfit.js"),
      "proxy",
      "--target",
      `postgres://postgres@127.0.0.1:${db.port}/postgres`,
      "--listen",
      `127.0.0.1:${port}`,
      "--admin",
      "off",
      "--max-connections-percent",
      String(POOL_PERCENT),
      "--max-idle-connections-percent",
      String(POOL_PERCENT),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr!.on("data", () => {});
  await waitForPort(port, child);
  return { name: "proxyfit", port, pid: child.pid!, stop: stopper(child) };
}

async function startPgbouncer(db: PostgresInstance, dir: string): Promise<Subject> {
  const port = await freePort();
  const ini = join(dir, "pgbouncer.ini");
  await writeFile(
    ini,
    `[databases]
* = host=127.0.0.1 port=${db.port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, "userlist.txt")}
pool_mode = transaction
default_pool_size = ${POOL_SIZE}
max_client_conn = ${IDLE_CLIENTS + 1000}
max_db_connections = ${POOL_SIZE}
logfile = ${join(dir, "pgbouncer.log")}
`,
  );
  await writeFile(join(dir, "userlist.txt"), '"postgres" ""\n');
  await run("chown", ["-R", "postgres:", dir]);
  // setpriv execs pgbouncer itself (no intermediate process), so the pid is PgBouncer's; it refuses to run as root.
  const child = spawn("setpriv", ["--reuid", "postgres", "--regid", "postgres", "--init-groups", "pgbouncer", ini], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", () => {});
  await waitForPort(port, child);
  return { name: "PgBouncer (transaction mode)", port, pid: child.pid!, stop: stopper(child) };
}

const FORWARDER = `
const net = require("node:net");
const [port, target] = process.argv.slice(1).map(Number);
net.createServer({ noDelay: true }, (client) => {
  const server = net.connect({ host: "127.0.0.1", port: target, noDelay: true });
  client.pipe(server).on("error", () => {});
  server.pipe(client).on("error", () => {});
  client.on("error", () => server.destroy());
  server.on("error", () => client.destroy());
}).listen(port, "127.0.0.1");
process.on("SIGINT", () => process.exit(0));
`;

async function startForwarder(db: PostgresInstance): Promise<Subject> {
  const port = await freePort();
  const child = spawn(process.execPath, ["-e", FORWARDER, String(port), String(db.port)], { stdio: "ignore" });
  await waitForPort(port, child);
  return { name: "bare Node forwarder", port, pid: child.pid!, stop: stopper(child) };
}

type Mode = "simple" | "prepared";

/** Client backends the server has right now (pooled ones included). */
async function clientBackends(db: PostgresInstance): Promise<number> {
  const { stdout } = await run("psql", ["-h", "127.0.0.1", "-p", String(db.port), "-U", "postgres", "-XAtc", "select count(*) from pg_stat_activity where backend_type = 'client backend'", "postgres"]);
  return Number(stdout.trim());
}

/**
 * Waits until the previous run's server connections have exited: a backend ends after its client has gone, and the
 * forwarder's 500 backends of one run plus 500 of the next would not fit in max_connections.
 */
async function settleBackends(db: PostgresInstance, clients: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await clientBackends(db)) + clients > MAX_CONNECTIONS - 10 && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 200));
  }
}

/**
 * pgbench's own error line ("client 12 aborted ...", "connection ... failed") for a run that completed nothing, or,
 * when it printed none, the likely cause: pgbench counts the time its clients take to connect in -T.
 */
function pgbenchError(output: string, seconds: number): string {
  const line = output.split("\n").find((l) => /error|aborted|FATAL/i.test(l));
  return (line ?? `no transaction completed in ${seconds} s (the clients' connections took the whole run)`).trim().slice(0, 160);
}

async function pgbench(db: PostgresInstance, subject: Subject, mode: Mode, clients: number, seconds: number, dir: string): Promise<RunResult> {
  const logDir = await mkdtemp(join(dir, "pgbench-"));
  await settleBackends(db, clients);
  const before = await cpuMicros(subject.pid);
  try {
    const { stdout, stderr } = await run(
      "pgbench",
      ["-h", "127.0.0.1", "-p", String(subject.port), "-U", "postgres", "-n", "-S", "-M", mode, "-c", String(clients), "-j", "2", "-T", String(seconds), "-l", "--log-prefix", join(logDir, "tx"), "postgres"],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const cpu = (await cpuMicros(subject.pid)) - before;
    const transactions = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? 0);
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? 0);
    // pgbench exits 0 when every client aborted (for example, could not connect): a run without a rate is a failure.
    if (transactions === 0 || tps === 0) return { tps: 0, transactions: 0, cpuUsPerTx: 0, p99Ms: 0, error: pgbenchError(`${stderr}\n${stdout}`, seconds) };
    const latencies: number[] = [];
    for (const file of await readdir(logDir)) {
      for (const line of (await readFile(join(logDir, file), "utf8")).split("\n")) {
        const latency = Number(line.split(" ")[2]);
        if (line && Number.isFinite(latency)) latencies.push(latency);
      }
    }
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? 0;
    return { tps, transactions, cpuUsPerTx: transactions > 0 ? cpu / transactions : 0, p99Ms: p99 / 1000 };
  } catch (error) {
    return { tps: 0, transactions: 0, cpuUsPerTx: 0, p99Ms: 0, error: pgbenchError((error as { stderr?: string }).stderr ?? (error as Error).message, seconds) };
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }
}

/** Opens idle logged-in clients and returns the subject's resident memory with them and its growth. */
async function idleClientsMemory(subject: Subject, count: number): Promise<{ rssMb: number; growthMb: number; connected: number }> {
  const startup = (() => {
    const body = Buffer.from("user\0postgres\0database\0postgres\0\0");
    const out = Buffer.alloc(8 + body.length);
    out.writeInt32BE(out.length, 0);
    out.writeInt32BE(196608, 4);
    body.copy(out, 8);
    return out;
  })();
  const before = await rssMb(subject.pid);
  const sockets: Socket[] = [];
  let connected = 0;
  for (let batch = 0; batch < count; batch += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, count - batch) }, () =>
        new Promise<void>((done) => {
          const socket = connect({ host: "127.0.0.1", port: subject.port }, () => socket.write(startup));
          sockets.push(socket);
          // Logged in once ReadyForQuery ('Z') arrives.
          socket.on("data", (data) => {
            if (data.includes(0x5a)) {
              connected++;
              done();
            }
          });
          socket.on("error", () => done());
          setTimeout(done, 10_000).unref();
        }),
      ),
    );
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = await rssMb(subject.pid);
  for (const socket of sockets) socket.destroy();
  return { rssMb: after, growthMb: after - before, connected };
}

/** PgBouncer's version, for the note on prepared statements (protocol-level support arrived in 1.21). */
async function pgbouncerVersion(): Promise<string> {
  const { stdout } = await run("pgbouncer", ["--version"]);
  return /PgBouncer (\S+)/.exec(stdout)?.[1] ?? "unknown";
}

function versionBelow(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  return a < major || (a === major && b < minor);
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** "median (lowest–highest)" of the values, or just the value when there is one. */
function spread(values: readonly number[], digits: number): string {
  if (values.length === 1) return fmt(values[0]!, digits);
  return `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;
}

/** Per round, proxyfit's value over the anchor's; none when either failed in any round (its table row says why). */
function roundRatios(ours: readonly RunResult[], anchor: readonly RunResult[], pick: (r: RunResult) => number): number[] {
  if ([...ours, ...anchor].some((r) => r.error || pick(r) <= 0)) return [];
  return ours.map((r, round) => pick(r) / pick(anchor[round]!));
}

export async function runProxyBench(): Promise<BenchSection> {
  await ensureDebianPackages({ pgbouncer: "pgbouncer", pgbench: "postgresql-contrib" });
  const quick = quickMode();
  const seconds = quick ? 2 : 8;
  const rounds = quick ? 1 : 5;
  const dir = await mkdtemp(join(tmpdir(), "proxyfit-bench-proxy-"));
  const db = await startPostgres({ settings: { max_connections: MAX_CONNECTIONS, shared_buffers: "256MB" } });
  const subjects: Subject[] = [];
  try {
    await run("pgbench", ["-h", "127.0.0.1", "-p", String(db.port), "-U", "postgres", "-i", "-q", "-s", quick ? "1" : "10", "postgres"]);
    subjects.push(await startProxyfit(db), await startPgbouncer(db, dir), await startForwarder(db));
    // Unmeasured warm-up: JIT compilation and opening the pool are not what the runs compare.
    for (const subject of subjects) await pgbench(db, subject, "simple", 50, 2, dir);
    const [proxyfit, bouncer, forwarder] = subjects as [Subject, Subject, Subject];
    const rows: string[] = [];
    const ratios: string[] = [];
    for (const mode of ["simple", "prepared"] as const) {
      for (const clients of [50, 500]) {
        // pgbench counts connecting in -T: the forwarder's 500 clients each start a server backend first.
        const runSeconds = clients > 100 ? seconds * 2 : seconds;
        const results = new Map<Subject, RunResult[]>(subjects.map((subject) => [subject, []]));
        for (let round = 0; round < rounds; round++) {
          // A rotating order, so no subject always runs first (or right after the same neighbour).
          for (let i = 0; i < subjects.length; i++) {
            const subject = subjects[(round + i) % subjects.length]!;
            results.get(subject)!.push(await pgbench(db, subject, mode, clients, runSeconds, dir));
          }
        }
        for (const subject of subjects) {
          const runs = results.get(subject)!;
          const failed = runs.find((r) => r.error);
          rows.push(
            failed
              ? `| ${mode} | ${clients} | ${subject.name} | failed: ${failed.error} | | |`
              : `| ${mode} | ${clients} | ${subject.name} | ${fmt(median(runs.map((r) => r.tps)))} | ${spread(runs.map((r) => r.cpuUsPerTx), 1)} | ${fmt(median(runs.map((r) => r.p99Ms)), 2)} |`,
          );
        }
        const ours = results.get(proxyfit)!;
        const tpsRatios = roundRatios(ours, results.get(bouncer)!, (r) => r.tps);
        const cpuRatios = roundRatios(ours, results.get(forwarder)!, (r) => r.cpuUsPerTx);
        ratios.push(
          `| ${mode} | ${clients} | ${tpsRatios.length ? spread(tpsRatios, 2) : "n/a"} (target ≥ 0.60) | ${cpuRatios.length ? spread(cpuRatios, 2) : "n/a"} (target ≤ 1.25) |`,
        );
      }
    }
    const memory: string[] = [];
    for (const subject of subjects.slice(0, 2)) {
      const idle = await idleClientsMemory(subject, quick ? 2000 : IDLE_CLIENTS);
      memory.push(`| ${subject.name} | ${fmt(idle.connected)} | ${fmt(idle.rssMb, 1)} MB | ${fmt(idle.growthMb, 1)} MB |`);
    }
    const bouncerVersion = await pgbouncerVersion();
    const preparedNote = versionBelow(bouncerVersion, 1, 21)
      ? `PgBouncer ${bouncerVersion} fails \`-M prepared\` in transaction mode by design: protocol-level prepared statements
(\`max_prepared_statements\`) arrived in PgBouncer 1.21, so its prepared rows show the error pgbench got and have no
ratio. proxyfit multiplexes named prepared statements as PgBouncer 1.21+ does.\n\n`
      : "";
    const markdown = `pgbench select-only (\`-S\`), \`-j 2\`, ${rounds} round${rounds === 1 ? "" : "s"} of ${seconds} s per case (${seconds * 2} s with 500
clients: pgbench's -T includes connecting, and each of the forwarder's clients starts a server backend) after a 2 s warm-up of each subject, the three subjects back to back in a rotating order within each round; pool size ${POOL_SIZE} for
proxyfit and PgBouncer (the forwarder does not pool: each client is a server connection). CPU is the proxy
process's user + system time over a run divided by the transactions pgbench completed; p99 from pgbench's
per-transaction log. On this shared 2-core machine one run's CPU per transaction moves by about ±20% with what
else the machine is doing, so the tables give medians, with the lowest and highest of the rounds in brackets.

| protocol | clients | through | TPS | proxy CPU µs / tx | p99 latency ms |
|---|---:|---|---:|---:|---:|
${rows.join("\n")}

${preparedNote}Ratios (proxyfit / anchor), the median of the ${rounds} rounds' ratios, each taken between runs seconds apart:

| protocol | clients | TPS vs PgBouncer | CPU per tx vs bare forwarder |
|---|---:|---:|---:|
${ratios.join("\n")}

Memory of idle logged-in clients (resident set of the proxy process with them connected, and its growth from before
they connected; target for proxyfit: 10,000 idle clients in at most 500 MB):

| through | idle clients | RSS | RSS growth |
|---|---:|---:|---:|
${memory.join("\n")}
`;
    return { title: "Trial proxy (PostgreSQL) against PgBouncer and a bare Node forwarder", markdown };
  } finally {
    for (const subject of subjects) await subject.stop().catch(() => {});
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
