import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { runAssess } from "@proxyfit/assessor/cli";
import { type RunningServer, type ServerOptions, startServer } from "@proxyfit/assessor/server";

export interface Exchange {
  method: string;
  /** The route as the OpenAPI description names it, e.g. /v1/assessments/{id}. */
  route: string;
  status: number;
}

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  /** Every structured log line the server wrote. */
  logLines: Array<Record<string, unknown>>;
  /** fetch against the server, with the bearer token unless the init sets Authorization. */
  call(path: string, init?: RequestInit & { duplex?: "half" }): Promise<Response>;
  exchanges: Exchange[];
  /** Stops the server; with removeData, deletes its database too. */
  stop(removeData?: boolean): Promise<void>;
}

export const TOKEN = "test-token-0123456789";

/** Starts `proxyfit serve` in this process on a free port, with an embedded database in a fresh directory. */
export async function startTestServer(options: Partial<ServerOptions> & { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "proxyfit-api-")));
  const logLines: Array<Record<string, unknown>> = [];
  const exchanges: Exchange[] = [];
  const server = await startServer({
    port: 0,
    token: TOKEN,
    ...options,
    dataDir,
    logger: {
      info: (msg, fields) => logLines.push({ level: "info", msg, ...fields }),
      warn: (msg, fields) => logLines.push({ level: "warn", msg, ...fields }),
      error: (msg, fields) => logLines.push({ level: "error", msg, ...fields }),
    },
  });
  return {
    server,
    dataDir,
    logLines,
    exchanges,
    async call(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`);
      const response = await fetch(server.url + path, { ...init, headers });
      exchanges.push({
        method: (init.method ?? "GET").toLowerCase(),
        route: path.split("?")[0]!.replace(/^\/v1\/assessments\/[^/]+/, "/v1/assessments/{id}"),
        status: response.status,
      });
      return response;
    },
    async stop(removeData = true) {
      await server.shutdown();
      if (removeData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** What `proxyfit assess --format json` writes for the same files. */
export async function cliReport(paths: string[], args: string[] = []): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), "proxyfit-cli-"));
  try {
    const out = join(dir, "report.json");
    const code = await runAssess([...paths, ...args, "--format", "json", "--output", out]);
    if (code !== 0) throw new Error(`proxyfit assess exited ${code}`);
    return JSON.parse(await readFile(out, "utf8")) as Record<string, unknown>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A report without what differs between two runs on the same files: when it was made, and the directories of the
 * file names (the CLI names inputs by path, an upload by file name).
 */
export function comparable(report: unknown): unknown {
  return JSON.parse(JSON.stringify(report), (key, value) => {
    if (key === "generatedAt" || key === "generated_at") return undefined;
    if (key === "file" && typeof value === "string") return basename(value);
    return value;
  });
}

/** Polls an assessment until it is no longer running. */
export async function waitUntilDone(server: TestServer, id: string): Promise<Response> {
  for (;;) {
    const response = await server.call(`/v1/assessments/${id}`);
    if (response.status !== 202) return response;
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts an upload of unknown length (chunked) that sends the first half of a log, up to a line end, and holds the
 * rest until sendRest(). The answer arrives once the whole body is in.
 */
export function halfUpload(api: TestServer, name: string, bytes: Buffer) {
  const half = bytes.indexOf(10, bytes.byteLength / 2) + 1;
  let sendRest: () => void = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.subarray(0, half));
      sendRest = () => {
        controller.enqueue(bytes.subarray(half));
        controller.close();
      };
    },
  });
  const answer = api.call(`/v1/assessments?name=${name}`, { method: "POST", body, duplex: "half", headers: { "content-type": "text/plain" } });
  return { answer, half, sendRest: () => sendRest() };
}
