import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { assess, bufferInput, type FormatId, InputError } from "@proxyfit/assessor";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realLog } from "../../src/corpus.js";
import { type TestServer, startTestServer, waitUntilDone } from "../server/api-client.js";

/**
 * Mutated real lines and random bytes through every format, by the library (the CLI's core) and by the API: the
 * answer is a report or a named InputError / 4xx problem, never a crash, an unhandled rejection or runaway memory.
 */
const MB = 1024 * 1024;
const SEED = 1303;

function lines(path: string, count = 300): string[] {
  const bytes = readFileSync(realLog(path));
  const text = (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
  return text.split("\n").slice(0, count);
}

const SOURCES: Array<{ format: FormatId; lines: string[] }> = [
  { format: "pg-stderr", lines: lines("pgbadger/stmt_type.log") },
  { format: "pg-stderr", lines: lines("pgbadger/multiline_param.log") },
  { format: "pg-csv", lines: lines("pgbadger/pg_rawcsv.log") },
  { format: "pg-json", lines: lines("pgbadger/pg_vacuums.json.gz", 200) },
  { format: "mysql-slow", lines: lines("percona/slow002.txt") },
  { format: "mysql-general", lines: lines("percona/genlog001.txt") },
];

type Mutation =
  | { kind: "truncate"; line: number; at: number }
  | { kind: "insert"; line: number; at: number; text: string }
  | { kind: "bytes"; line: number; bytes: Uint8Array }
  | { kind: "duplicate"; line: number }
  | { kind: "drop"; line: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), line: fc.nat(), at: fc.nat(200) }),
  fc.record({ kind: fc.constant("insert" as const), line: fc.nat(), at: fc.nat(200), text: fc.string({ unit: "binary" }) }),
  fc.record({ kind: fc.constant("bytes" as const), line: fc.nat(), bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("drop" as const), line: fc.nat() }),
);

/** A mutated log: real lines of one source, each mutation applied at a line chosen modulo its length. */
const mutatedLog = fc
  .record({ source: fc.nat(SOURCES.length - 1), mutations: fc.array(mutation, { maxLength: 12 }), forced: fc.boolean() })
  .map(({ source, mutations, forced }) => {
    const { format, lines: original } = SOURCES[source]!;
    const parts: Array<string | Uint8Array> = [...original];
    for (const m of mutations) {
      const index = m.line % parts.length;
      const line = parts[index]!;
      const text = typeof line === "string" ? line : Buffer.from(line).toString("latin1");
      if (m.kind === "truncate") parts[index] = text.slice(0, m.at);
      else if (m.kind === "insert") parts[index] = text.slice(0, m.at) + m.text + text.slice(m.at);
      else if (m.kind === "bytes") parts[index] = m.bytes;
      else if (m.kind === "duplicate") parts.splice(index, 0, line);
      else if (parts.length > 1) parts.splice(index, 1);
    }
    const bytes = Buffer.concat(parts.flatMap((p) => [typeof p === "string" ? Buffer.from(p) : Buffer.from(p), Buffer.from("\n")]));
    return { format, forced, bytes };
  });

const randomBytes = fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((bytes) => Buffer.from(bytes));

/** assess() as the CLI calls it: a report, or an InputError (exit code 2). Anything else is a bug (exit code 1). */
async function assessOrRefuse(bytes: Buffer, format?: FormatId): Promise<void> {
  try {
    const report = await assess([bufferInput("fuzz.log", bytes)], format === undefined ? {} : { logFormat: format });
    expect(JSON.stringify(report)).not.toMatch(/NaN|Invalid Date/);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let api: TestServer;
let rssBefore: number;

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  api = await startTestServer();
  rssBefore = process.memoryUsage().rss;
});
afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await api?.stop();
});

describe("fuzzed readers", () => {
  it("the library (the CLI's core): mutated real lines, detected and forced", async () => {
    await fc.assert(
      fc.asyncProperty(mutatedLog, async ({ format, forced, bytes }) => {
        await assessOrRefuse(bytes, forced ? format : undefined);
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, 120_000);

  it("the library: random bytes, as every format", async () => {
    const formats: Array<FormatId | undefined> = [undefined, ...new Set(SOURCES.map((s) => s.format))];
    await fc.assert(
      fc.asyncProperty(randomBytes, fc.nat(formats.length - 1), async (bytes, index) => {
        await assessOrRefuse(bytes, formats[index]);
      }),
      { seed: SEED, numRuns: 80 },
    );
  }, 120_000);

  it("the API: mutated real lines and random bytes get a report or a 4xx problem", async () => {
    const body = fc.oneof(
      mutatedLog.map(({ format, forced, bytes }) => ({ bytes, query: forced ? `&log-format=${format}` : "" })),
      randomBytes.map((bytes) => ({ bytes, query: "" })),
    );
    await fc.assert(
      fc.asyncProperty(body, async ({ bytes, query }) => {
        const response = await api.call(`/v1/assessments?name=fuzz.log${query}`, {
          method: "POST",
          body: bytes,
          headers: { "content-type": "application/octet-stream" },
        });
        expect([201, 400, 413, 415, 422]).toContain(response.status);
        if (response.status === 201) {
          const { id } = (await response.json()) as { id: string };
          expect((await waitUntilDone(api, id)).status).toBe(200);
        } else {
          expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
          await response.body?.cancel();
        }
      }),
      { seed: SEED, numRuns: 40 },
    );
  }, 120_000);

  it("left no unhandled rejection and no runaway memory", () => {
    expect(unhandled).toEqual([]);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(500 * MB);
  });
});
