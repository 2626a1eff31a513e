import { execFile } from "node:child_process";
import { mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { startMariadb } from "../servers/mariadb.js";
import { startPostgres } from "../servers/postgres.js";
import { type BenchSection, ensureDebianPackages, type Measurement, measure, quickMode } from "./measure.js";

const execFileAsync = promisify(execFile);
const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const PROXYFIT = join(ROOT, "cli/bin/proxyfit.js");
const DEBIAN_PREFIX = "%m [%p] %q%u@%d ";

interface Row {
  tool: string;
  input: string;
  bytes: number;
  result: Measurement;
  /** Sessions in proxyfit's report: what the report (and so memory) grows with. */
  sessions?: number;
}

/**
 * `proxyfit assess` against pgBadger (PostgreSQL) and pt-query-digest (MySQL) on the same files in one run: MB/s and
 * peak memory of each; proxyfit's memory on a log ~12x larger to show it does not grow with the log; and what it
 * grows with instead, the sessions the report lists, from the bundled sample (a connection per transaction) repeated
 * to two sizes.
 */
export async function runAssessorBench(): Promise<BenchSection> {
  await ensureDebianPackages({ pgbadger: "pgbadger", "pt-query-digest": "percona-toolkit" });
  const work = await mkdtemp(join(tmpdir(), "proxyfit-bench-"));
  try {
    const quick = quickMode();
    const pgLog = await makePostgresLog(work, quick ? 8 : 85);
    const slowLog = await makeMariadbSlowLog(work, quick ? 4 : 40);
    const bigLog = await repeatFile(pgLog, join(work, "big.log"), quick ? 3 : 12);
    // The sample is gzipped in the repository; repeated as plain text, so the rows measure parsing, not gunzip.
    const sample = join(work, "sample.log");
    await writeFile(sample, gunzipSync(await readFile(join(ROOT, "samples/postgresql.log.gz"))));
    const fewSessions = await repeatFile(sample, join(work, "sample-a.log"), quick ? 3 : 25);
    const manySessions = await repeatFile(sample, join(work, "sample-b.log"), quick ? 6 : 100);
    const size = async (path: string) => (await stat(path)).size;
    const report = join(work, "report.json");
    const assess = async (input: string, file: string): Promise<Row> => {
      const result = await measure(process.execPath, [PROXYFIT, "assess", "--format", "json", "-o", report, file]);
      const { summary } = JSON.parse(await readFile(report, "utf8")) as { summary: { sessions: number } };
      return { tool: "proxyfit assess", input, bytes: await size(file), result, sessions: summary.sessions };
    };

    const rows: Row[] = [];
    rows.push(await assess("PostgreSQL stderr log (pgbench)", pgLog));
    rows.push({
      tool: "pgbadger 12",
      input: "PostgreSQL stderr log (pgbench)",
      bytes: await size(pgLog),
      result: await measure("pgbadger", ["-q", "-f", "stderr", "--prefix", DEBIAN_PREFIX, "-o", join(work, "out.html"), pgLog]),
    });
    rows.push(await assess("MariaDB slow log", slowLog));
    rows.push({
      tool: "pt-query-digest 3.2",
      input: "MariaDB slow log",
      bytes: await size(slowLog),
      result: await measure("pt-query-digest", ["--output", "report", slowLog]),
    });
    rows.push(await assess("PostgreSQL stderr log (pgbench), repeated", bigLog));
    rows.push(await assess("samples/postgresql.log.gz, repeated", fewSessions));
    rows.push(await assess("samples/postgresql.log.gz, repeated", manySessions));
    return { title: "Assessor: log throughput and memory", markdown: render(rows) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** pgbench against a throwaway server that logs every statement with its duration, until the log reaches `mb`. */
async function makePostgresLog(work: string, mb: number): Promise<string> {
  const pg = await startPostgres({
    settings: {
      log_min_duration_statement: 0,
      log_connections: "on",
      log_disconnections: "on",
      log_line_prefix: DEBIAN_PREFIX,
      log_rotation_size: 0,
      max_connections: 100,
    },
  });
  try {
    const url = pg.connectionString("postgres");
    await execFileAsync("pgbench", ["-i", "-q", "-s", "2", url]);
    const size = async () => {
      let total = 0;
      for (const file of await pg.logFiles("stderr")) total += (await stat(file)).size;
      return total;
    };
    // Mostly long-lived clients (a connection pool), some connecting per transaction (Lambda-like).
    while ((await size()) < mb * 1024 * 1024) {
      await execFileAsync("pgbench", ["-c", "8", "-j", "2", "-T", "5", "-n", url]);
      await execFileAsync("pgbench", ["-c", "4", "-j", "2", "-T", "1", "-n", "-C", url]);
    }
    await pg.shutdown();
    const out = join(work, "postgresql.log");
    await execFileAsync("sh", ["-c", `cat ${(await pg.logFiles("stderr")).map((f) => `'${f}'`).join(" ")} > '${out}'`]);
    return out;
  } finally {
    await pg.stop();
  }
}

/** mariadb-slap against a throwaway server with the slow log on for every statement, until it reaches `mb`. */
async function makeMariadbSlowLog(work: string, mb: number): Promise<string> {
  const db = await startMariadb({ slowLog: true });
  try {
    while ((await stat(db.slowLogPath).catch(() => ({ size: 0 }))).size < mb * 1024 * 1024) {
      await execFileAsync("mariadb-slap", [
        `--host=${db.host}`,
        `--port=${db.port}`,
        "--user=root",
        "--concurrency=8",
        "--iterations=1",
        "--number-of-queries=20000",
        "--auto-generate-sql",
        "--auto-generate-sql-load-type=mixed",
      ]);
    }
    const out = join(work, "mariadb-slow.log");
    await execFileAsync("cp", [db.slowLogPath, out]);
    return out;
  } finally {
    await db.stop();
  }
}

async function repeatFile(source: string, target: string, times: number): Promise<string> {
  const data = await readFile(source);
  const out = await open(target, "w");
  try {
    for (let i = 0; i < times; i++) await out.write(data);
  } finally {
    await out.close();
  }
  return target;
}

function render(rows: Row[]): string {
  const mb = (bytes: number) => bytes / 1024 / 1024;
  const speed = (r: Row) => mb(r.bytes) / r.result.seconds;
  const lines = [
    "| Tool | Input | Size (MB) | Sessions | Time (s) | MB/s | Peak RSS (MB) |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.tool} | ${r.input} | ${mb(r.bytes).toFixed(0)} | ${r.sessions?.toLocaleString("en-US") ?? ""} | ${r.result.seconds.toFixed(2)} | ${speed(r).toFixed(1)} | ${r.result.peakRssMb.toFixed(0)} |`,
    ),
  ];
  const [pf, badger, pfMy, digest, big, few, many] = rows as [Row, Row, Row, Row, Row, Row, Row];
  const perSession = ((many.result.peakRssMb - few.result.peakRssMb) * 1024 * 1024) / (many.sessions! - few.sessions!);
  lines.push("");
  lines.push(`- proxyfit vs pgBadger on the PostgreSQL log: **${(speed(pf) / speed(badger)).toFixed(1)}x** the throughput, ${(pf.result.peakRssMb / badger.result.peakRssMb).toFixed(2)}x the memory.`);
  lines.push(`- proxyfit vs pt-query-digest on the slow log: **${(speed(pfMy) / speed(digest)).toFixed(1)}x** the throughput, ${(pfMy.result.peakRssMb / digest.result.peakRssMb).toFixed(2)}x the memory.`);
  lines.push(`- Memory vs log size: ${mb(big.bytes).toFixed(0)} MB of log peaked at ${big.result.peakRssMb.toFixed(0)} MB, ${mb(pf.bytes).toFixed(0)} MB at ${pf.result.peakRssMb.toFixed(0)} MB (${(big.result.peakRssMb / pf.result.peakRssMb).toFixed(2)}x the memory for ${(big.bytes / pf.bytes).toFixed(1)}x the log).`);
  lines.push(`- Memory vs sessions: the report lists every session, so memory grows with them, not with the log. The bundled sample (a new connection for most transactions) repeated from ${few.sessions!.toLocaleString("en-US")} to ${many.sessions!.toLocaleString("en-US")} sessions: **${Math.round(perSession).toLocaleString("en-US")} bytes of peak RSS per session** (the session in the report, its JSON text and the written copy). pgbench's log has ${(pf.sessions! / mb(pf.bytes)).toFixed(0)} sessions per MB, the sample ${(many.sessions! / mb(many.bytes)).toFixed(0)}.`);
  lines.push(`- Targets: ≥ 100 MB/s on the PostgreSQL log (measured ${speed(pf).toFixed(0)} MB/s); ≤ 200 MB peak on a 1 GB log (measured ${big.result.peakRssMb.toFixed(0)} MB on ${mb(big.bytes).toFixed(0)} MB).`);
  return lines.join("\n");
}
