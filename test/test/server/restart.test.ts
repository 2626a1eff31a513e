import { readFile } from "node:fs/promises";
import { openStore, PROBLEM_TYPE_PREFIX } from "@proxyfit/assessor/server";
import { afterAll, beforeAll, expect, it } from "vitest";
import { comparable, halfUpload, type TestServer, startTestServer, waitUntilDone } from "./api-client.js";
import { produceRealLogs, type RealLogs } from "./real-logs.js";

let logs: RealLogs;
let first: TestServer | undefined;
let second: TestServer | undefined;

beforeAll(async () => {
  logs = await produceRealLogs(["temp-tables", "session-sets"]);
});

afterAll(async () => {
  await first?.stop(false);
  await second?.stop(true);
  await logs?.remove();
});

async function runningId(api: TestServer, name: string, bytesRead: number): Promise<string> {
  let id = "";
  await expect
    .poll(async () => {
      const list = (await (await api.call("/v1/assessments?limit=10")).json()) as {
        items: Array<{ id: string; files: Array<{ name: string }>; progress?: { bytesRead: number } }>;
      };
      const item = list.items.find((i) => i.files[0]?.name === name);
      id = item?.id ?? "";
      return item?.progress?.bytesRead;
    })
    .toBe(bytesRead);
  return id;
}

it("keeps reports across a restart; on shutdown lets uploads finish within the grace period and fails the rest cleanly", async () => {
  first = await startTestServer({ shutdownGraceMs: 1500 });
  const dataDir = first.dataDir;
  const small = logs.logs.find((log) => log.workload === "temp-tables" && log.kind === "stderr")!;
  const created = await first.call(`/v1/assessments?name=${small.name}`, {
    method: "POST",
    body: await readFile(small.path),
    headers: { "content-type": "text/plain" },
  });
  expect(created.status).toBe(201);
  const doneId = ((await created.json()) as { id: string }).id;
  const doneReport = await (await first.call(`/v1/assessments/${doneId}`)).json();

  const json = await readFile(logs.logs.find((log) => log.workload === "session-sets" && log.kind === "jsonlog")!.path);
  const finishing = halfUpload(first, "finishing.json", json);
  const finishingStatus = finishing.answer.then((response) => response.status);
  const finishingId = await runningId(first, "finishing.json", finishing.half);
  const abandoned = halfUpload(first, "abandoned.json", json);
  const abandonedStatus = abandoned.answer.then((response) => response.status).catch(() => "connection closed" as const);
  const abandonedId = await runningId(first, "abandoned.json", abandoned.half);

  const stopped = first.stop(false);
  finishing.sendRest();
  expect(await finishingStatus).toBe(202);
  expect(await abandonedStatus).toBe("connection closed");
  await stopped;
  first = undefined;

  // A server that crashed mid-assessment leaves a running row whose heartbeat stops.
  const store = await openStore({ dataDir });
  const longAgo = new Date(Date.now() - 10 * 60_000).toISOString();
  await store.create({ id: "crashed", createdAt: longAgo, files: [], options: {}, progress: { bytesRead: 10 } });
  await store.close();

  second = await startTestServer({ dataDir });
  expect(await (await second.call(`/v1/assessments/${doneId}`)).json()).toEqual(doneReport);
  const finished = await waitUntilDone(second, finishingId);
  expect(finished.status).toBe(200);
  expect(comparable(await finished.json())).toMatchObject({ inputs: [{ file: "finishing.json" }] });

  const failed = await second.call(`/v1/assessments/${abandonedId}`);
  expect(failed.status).toBe(503);
  expect(await failed.json()).toMatchObject({
    type: `${PROBLEM_TYPE_PREFIX}shutting-down`,
    assessment: { id: abandonedId, status: "failed" },
  });
  const interrupted = await second.call("/v1/assessments/crashed");
  expect(interrupted.status).toBe(500);
  expect(await interrupted.json()).toMatchObject({ type: `${PROBLEM_TYPE_PREFIX}interrupted` });
  const list = (await (await second.call("/v1/assessments")).json()) as { items: Array<{ id: string; status: string }> };
  expect(Object.fromEntries(list.items.map((item) => [item.id, item.status]))).toEqual({
    [doneId]: "done",
    [finishingId]: "done",
    [abandonedId]: "failed",
    crashed: "failed",
  });
});
