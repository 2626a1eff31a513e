import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cliReport, comparable, type TestServer, startTestServer, waitUntilDone } from "./api-client.js";
import { produceRealLogs, type RealLogs } from "./real-logs.js";

let logs: RealLogs;
let api: TestServer;

beforeAll(async () => {
  logs = await produceRealLogs();
  api = await startTestServer();
});

afterAll(async () => {
  await api?.stop();
  await logs?.remove();
});

it("assesses 20 different real logs uploaded at once, each exactly as the CLI does", async () => {
  const uploads = logs.logs.slice(0, 20);
  expect(uploads).toHaveLength(20);
  expect(new Set(uploads.map((log) => log.workload)).size).toBe(7);
  const expected = await Promise.all(uploads.map(async (log) => comparable(await cliReport([log.path]))));

  // Every other one gzip, every third one asynchronous: the mix a busy service sees.
  const reports = await Promise.all(
    uploads.map(async (log, index) => {
      const bytes = await readFile(log.path);
      const gzip = index % 2 === 1;
      const response = await api.call(`/v1/assessments?name=${log.name}&keep-samples=true`, {
        method: "POST",
        body: gzip ? gzipSync(bytes) : bytes,
        headers: {
          "content-type": "text/plain",
          ...(gzip ? { "content-encoding": "gzip" } : {}),
          ...(index % 3 === 0 ? { prefer: "respond-async" } : {}),
        },
      });
      expect(response.status).toBe(index % 3 === 0 ? 202 : 201);
      const { id } = (await response.json()) as { id: string };
      const done = await waitUntilDone(api, id);
      expect(done.status).toBe(200);
      return { gzip, report: comparable(await done.json()) as { inputs: Array<Record<string, unknown>> } };
    }),
  );
  for (const [index, { gzip, report }] of reports.entries()) {
    const cli = expected[index] as { inputs: Array<Record<string, unknown>> };
    // Compression changes only the input's compressed flag and byte count.
    if (gzip) {
      expect(report.inputs[0]).toMatchObject({ compressed: true });
      report.inputs[0] = { ...report.inputs[0], compressed: false, bytes: cli.inputs[0]!.bytes };
    }
    expect(report, uploads[index]!.name).toEqual(cli);
  }
  const list = (await (await api.call("/v1/assessments?limit=100")).json()) as { items: Array<{ status: string }> };
  expect(list.items.filter((item) => item.status === "done")).toHaveLength(20);
});
