import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createGzip } from "node:zlib";
import { startPostgres } from "../servers/postgres.js";
import { type BenchSection, type Measurement, measure, quickMode } from "./measure.js";

const execFileAsync = promisify(execFile);
const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const PROXYFIT = join(ROOT, "cli/bin/proxyfit.js");

interface Row {
  path: string;
  bytes: number;
  result: Measurement;
  idleRssMb?: number;
  /** The stored report: its size and session count (one entry per session dominates memory, not the upload). */
  report?: { bytes: number; sessions: number };
}

/**
 * The assessor service against `proxyfit assess` on the same large log: upload throughput (until the report is
 * stored) and peak memory of the server process, raw and gzip. The server is restarted per upload so each peak is
 * that upload's own.
 */
export async function runApiBench(): Promise<BenchSection> {
  const work = await mkdtemp(join(tmpdir(), "proxyfit-bench-api-"));
  try {
    const log = await makeLambdaLog(work, quickMode() ? 8 : 100);
    const gz = join(work, "postgresql.log.gz");
    await pipeline(createReadStream(log), createGzip(), createWriteStream(gz));
    const bytes = (await stat(log)).size;
    // One database for every run, created beforehand: creating it is a first-start cost, not an upload's.
    const dataDir = await mkdtemp(join(work, "data-"));
    await withServer(dataDir, async () => {});
    const rows: Row[] = [
      {
        path: "`proxyfit assess --format json`",
        bytes,
        result: await measure(process.execPath, [PROXYFIT, "assess", "--format", "json", "-o", "/dev/null", log]),
      },
      { path: "`POST /v1/assessments`, raw body (streamed)", bytes, ...(await uploadToServer(dataDir, log, {})) },
      {
        path: `\`POST /v1/assessments\`, gzip body (${((await stat(gz)).size / 2 ** 20).toFixed(0)} MB sent)`,
        bytes,
        ...(await uploadToServer(dataDir, gz, { "content-encoding": "gzip" })),
      },
    ];
    return { title: "Assessor service: upload throughput and memory", markdown: render(rows) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** pgbench connecting for every transaction (a Lambda fleet's pattern) against a server logging every statement. */
async function makeLambdaLog(work: string, mb: number): Promise<string> {
  const pg = await startPostgres({
    settings: {
      log_statement: "all",
      log_connections: true,
      log_disconnections: true,
      log_line_prefix: "%m [%p] %q%u@%d ",
      log_rotation_size: 0,
    },
  });
  try {
    const url = pg.connectionString("postgres");
    await execFileAsync("pgbench", ["-i", "-q", "-s", "1", url]);
    const size = async () => {
      let total = 0;
      for (const file of await pg.logFiles("stderr")) total += (await stat(file)).size;
      return total;
    };
    while ((await size()) < mb * 2 ** 20) await execFileAsync("pgbench", ["-c", "8", "-j", "2", "-T", "5", "-n", "-C", url]);
    await pg.shutdown();
    const out = join(work, "postgresql.log");
    const target = createWriteStream(out);
    for (const file of await pg.logFiles("stderr")) await pipeline(createReadStream(file), target, { end: false });
    target.end();
    await once(target, "close");
    return out;
  } finally {
    await pg.stop();
  }
}

/** Runs `proxyfit serve` on a free port for the length of work, then stops it with SIGTERM. */
async function withServer<T>(dataDir: string, work: (url: string, pid: number) => Promise<T>): Promise<T> {
  const server = spawn(process.execPath, [PROXYFIT, "serve", "--port", "0", "--data-dir", dataDir, "--max-upload", "8G"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    return await work(await listeningUrl(server), server.pid!);
  } finally {
    server.kill("SIGTERM");
    await once(server, "exit");
  }
}

/** Uploads one file to a fresh server process, waits until its report is stored; returns time and the server's RSS. */
function uploadToServer(
  dataDir: string,
  file: string,
  headers: Record<string, string>,
): Promise<Pick<Row, "result" | "idleRssMb" | "report">> {
  return withServer(dataDir, async (url, pid) => {
    const idleRssMb = await rssMb(pid, "VmRSS");
    const started = performance.now();
    const response = await fetch(`${url}/v1/assessments?name=postgresql.log`, {
      method: "POST",
      body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
      duplex: "half",
      headers: { "content-type": "text/plain", ...headers },
    } as RequestInit);
    if (response.status !== 201 && response.status !== 202) {
      throw new Error(`upload answered ${response.status}: ${await response.text()}`);
    }
    const { id } = (await response.json()) as { id: string };
    for (;;) {
      const list = (await (await fetch(`${url}/v1/assessments?limit=1`)).json()) as {
        items: Array<{ id: string; status: string; problem?: { detail: string } }>;
      };
      const item = list.items.find((i) => i.id === id);
      if (item?.status === "failed") throw new Error(`assessment failed: ${item.problem?.detail}`);
      if (item?.status === "done") break;
      await new Promise((done) => setTimeout(done, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const peakRssMb = await rssMb(pid, "VmHWM");
    const report = await (await fetch(`${url}/v1/assessments/${id}`)).text();
    const sessions = (JSON.parse(report) as { summary: { sessions: number } }).summary.sessions;
    return { result: { seconds, peakRssMb }, idleRssMb, report: { bytes: Buffer.byteLength(report), sessions } };
  });
}

async function listeningUrl(server: ChildProcess): Promise<string> {
  for await (const line of createInterface({ input: server.stdout! })) {
    const entry = JSON.parse(line) as { msg: string; url?: string };
    if (entry.msg === "listening" && entry.url) {
      server.stdout!.resume();
      return entry.url;
    }
  }
  throw new Error("proxyfit serve exited before listening");
}

/** VmRSS (now) or VmHWM (peak so far) of a process, from /proc. */
async function rssMb(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return kb / 1024;
}

function render(rows: Row[]): string {
  const mb = (bytes: number) => bytes / 2 ** 20;
  const lines = [
    "| Path | Log (MB) | Time (s) | MB/s | Peak RSS (MB) | Idle RSS (MB) |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.path} | ${mb(r.bytes).toFixed(0)} | ${r.result.seconds.toFixed(2)} | ${(mb(r.bytes) / r.result.seconds).toFixed(1)} | ` +
        `${r.result.peakRssMb.toFixed(0)} | ${r.idleRssMb === undefined ? "" : r.idleRssMb.toFixed(0)} |`,
    ),
  ];
  const [cli, raw, gzip] = rows as [Row, Row, Row];
  lines.push("");
  lines.push(
    `- Through the API the log is assessed at ${((cli.result.seconds / raw.result.seconds) * 100).toFixed(0)}% of the CLI's speed ` +
      `(raw) and ${((cli.result.seconds / gzip.result.seconds) * 100).toFixed(0)}% (gzip); time runs from the first byte sent until the ` +
      "report is stored.",
  );
  const report = raw.report;
  lines.push(
    `- The server's memory grows by ${(raw.result.peakRssMb - (raw.idleRssMb ?? 0)).toFixed(0)} MB over idle for a ` +
      `${mb(raw.bytes).toFixed(0)} MB upload (the CLI peaks at ${cli.result.peakRssMb.toFixed(0)} MB for the whole process): ` +
      "the upload streams through the parser and is never held whole; what grows is the analysis (parser, rulebook, " +
      `sessions) and the report (${report ? `${report.sessions.toLocaleString("en-US")} sessions, ${mb(report.bytes).toFixed(0)} MB of JSON` : "one entry per session"}). ` +
      "Idle RSS is mostly the embedded PGlite database.",
  );
  return lines.join("\n");
}
