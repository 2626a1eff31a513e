import { PROBLEM_TYPE_PREFIX } from "@proxyfit/assessor/server";
import { Readable } from "node:stream";
import { createGzip, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN, type TestServer, startTestServer, waitUntilDone } from "./api-client.js";
import { rawRequest } from "./raw-request.js";

/**
 * The service on inputs built to take the machine: gzip bombs, one session of millions of statements, form parts by
 * the hundred. Every limit answers 413 as soon as it is passed, and the server's memory comes back.
 */
const MB = 1024 * 1024;
const MAX_LOG = 64 * MB;
let api: TestServer;

beforeAll(async () => {
  api = await startTestServer({ maxLogBytes: MAX_LOG, maxConfigFiles: 5, maxConfigBytes: 256 * 1024 });
});
afterAll(async () => {
  await api?.stop();
});

/** One session's statements, all at the same millisecond (what a bomb made of one repeated line looks like). */
function oneSession(statements: number): Buffer {
  const open = "2026-11-24 23:00:00.000 UTC [4242] LOG:  connection authorized: user=app database=shop\n";
  const line = Buffer.from("2026-11-24 23:00:00.001 UTC [4242] LOG:  duration: 0.050 ms  statement: SELECT 1\n");
  return Buffer.concat([Buffer.from(open), Buffer.alloc(line.byteLength * statements).fill(line)]);
}

/**
 * One session's statements as a gzip stream made while the upload is read (nothing made ahead of what is sent):
 * lines that differ (times, ids), so the gzip is a realistic tenth of the text, not a thousandth.
 */
function streamedBomb(textBytes: number): { gzip: Readable; made(): number } {
  let made = 0;
  function* text(): Generator<Buffer> {
    let n = 0;
    yield Buffer.from("2026-11-24 23:00:00.000 UTC [4242] LOG:  connection authorized: user=app database=shop\n");
    while (made < textBytes) {
      const lines: string[] = [];
      for (let i = 0; i < 1000; i++, n++) {
        const at = new Date(Date.UTC(2026, 10, 24, 23) + n).toISOString().replace("T", " ").slice(0, -1);
        lines.push(`${at} UTC [4242] LOG:  duration: 0.0${n % 90} ms  statement: SELECT * FROM orders WHERE id = ${n}\n`);
      }
      const chunk = Buffer.from(lines.join(""));
      made += chunk.byteLength;
      yield chunk;
    }
  }
  return { gzip: Readable.from(text(), { objectMode: false }).pipe(createGzip()), made: () => made };
}

async function problem(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}

describe("decompressed bytes", () => {
  it("answers 413 to a gzip bomb as soon as its text passes the limit, and lets its memory go", async () => {
    const bomb = gzipSync(oneSession(2_000_000)); // ~160 MB of text in ~0.5 MB
    expect(bomb.byteLength).toBeLessThan(4 * MB);
    const before = process.memoryUsage().rss;
    const response = await api.call("/v1/assessments?name=bomb.log.gz", {
      method: "POST",
      body: bomb,
      headers: { "content-type": "application/gzip" },
    });
    expect(response.status).toBe(413);
    expect(await problem(response)).toMatchObject({
      type: `${PROBLEM_TYPE_PREFIX}too-large`,
      file: "bomb.log.gz",
      limitBytes: MAX_LOG,
      detail: expect.stringContaining("decompressed"),
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * MB);
  });

  it("answers an asynchronous bomb with 413 too, naming the assessment it stored as failed", async () => {
    const response = await api.call("/v1/assessments?name=async-bomb.log.gz", {
      method: "POST",
      body: gzipSync(oneSession(2_000_000)),
      headers: { "content-type": "application/gzip", prefer: "respond-async" },
    });
    expect(response.status).toBe(413);
    const answered = await problem(response);
    expect(answered).toMatchObject({ limitBytes: MAX_LOG, assessment: { status: "failed" } });
    const { id } = answered.assessment as { id: string };
    const failed = await waitUntilDone(api, id);
    expect(failed.status).toBe(413);
    expect(await problem(failed)).toMatchObject({ limitBytes: MAX_LOG, assessment: { id, status: "failed" } });
  });

  it("stops reading a streamed bomb at the limit, still answers, and holds none of it afterwards", async () => {
    const BOMB_TEXT = 1024 * MB;
    const upload = async () => {
      const bomb = streamedBomb(BOMB_TEXT);
      const response = await rawRequest(
        `${api.server.url}/v1/assessments?name=streamed.log.gz`,
        { headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/gzip" } },
        async (write, _abort, over) => {
          for await (const chunk of bomb.gzip) {
            if (over()) break;
            await write(chunk as Buffer);
          }
        },
      );
      bomb.gzip.destroy();
      return { response, made: bomb.made() };
    };
    await upload();
    const baseline = process.memoryUsage().heapUsed;
    for (let i = 0; i < 3; i++) {
      const { response, made } = await upload();
      expect(response).not.toBe("connection-closed");
      if (response === "connection-closed") return;
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body)).toMatchObject({ file: "streamed.log.gz", limitBytes: MAX_LOG });
      // Answered once the limit was passed: what the client made beyond it is what the sockets buffered.
      expect(made).toBeLessThan(BOMB_TEXT / 4);
    }
    expect((await api.call("/healthz")).status).toBe(200);
    const small = await api.call("/v1/assessments?name=small.log", {
      method: "POST",
      body: oneSession(10),
      headers: { "content-type": "text/plain" },
    });
    expect(small.status).toBe(201);
    // Three bombs read 192 MB of text past the baseline: had any of it stayed, the heap would hold it.
    expect(process.memoryUsage().heapUsed - baseline).toBeLessThan(128 * MB);
  }, 300_000);

  it("assesses one session of 700,000 statements at one instant within the limit, in bounded memory", async () => {
    const before = process.memoryUsage().rss;
    const response = await api.call("/v1/assessments?name=one-session.log.gz", {
      method: "POST",
      body: gzipSync(oneSession(700_000)),
      headers: { "content-type": "application/gzip" },
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const report = (await (await api.call(`/v1/assessments/${id}`)).json()) as {
      summary: { sessions: number; statements: number };
      replay: { peaks: { databaseConnections: number } };
    };
    expect(report.summary).toMatchObject({ sessions: 1, statements: 700_000 });
    expect(report.replay.peaks.databaseConnections).toBe(1);
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * MB);
  });
});

describe("form parts held in memory", () => {
  const log = new Blob(["2026-11-24 23:00:00.000 UTC [1] LOG:  statement: SELECT 1\n"]);

  it("answers 413 past the number of config parts", async () => {
    const form = new FormData();
    form.append("log", log, "a.log");
    for (let i = 0; i < 6; i++) form.append("config", new Blob([`DATABASE_URL=postgres://h/db${i}\n`]), `${i}.env`);
    const response = await api.call("/v1/assessments", { method: "POST", body: form });
    expect(response.status).toBe(413);
    expect(await problem(response)).toMatchObject({ file: "5.env", detail: expect.stringContaining("more than 5") });
  });

  it("answers 413 past the config parts' bytes together, for eight uploads at once, and memory comes back", async () => {
    const before = process.memoryUsage().rss;
    const upload = async () => {
      const form = new FormData();
      form.append("log", log, "a.log");
      for (let i = 0; i < 3; i++) form.append("config", new Blob([Buffer.alloc(100 * 1024, "#")]), `${i}.env`);
      return api.call("/v1/assessments", { method: "POST", body: form });
    };
    const responses = await Promise.all(Array.from({ length: 8 }, upload));
    for (const response of responses) {
      expect(response.status).toBe(413);
      expect(await problem(response)).toMatchObject({ file: "2.env", limitBytes: 256 * 1024 });
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * MB);
  });
});
