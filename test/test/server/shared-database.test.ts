import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type TestServer, startTestServer, waitUntilDone } from "./api-client.js";
import { produceRealLogs, type RealLogs } from "./real-logs.js";

/** The shared local PostgreSQL server; this test works in a database of its own, dropped afterwards. */
const SERVER = "postgres://postgres@127.0.0.1:5432";
const database = `proxyfit_api_${randomBytes(6).toString("hex")}`;

let logs: RealLogs;
const servers: TestServer[] = [];

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  logs = await produceRealLogs(["sql-prepare"]);
  await admin(`CREATE DATABASE ${database} TEMPLATE template0`);
});

afterAll(async () => {
  for (const server of servers) await server.stop();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await logs?.remove();
});

it("lets several instances share one PostgreSQL (DATABASE_URL): what one stores, the others serve, across restarts", async () => {
  const databaseUrl = `${SERVER}/${database}`;
  const [a, b] = await Promise.all([startTestServer({ databaseUrl }), startTestServer({ databaseUrl })]);
  servers.push(a!, b!);
  const ready = (await (await b!.call("/readyz")).json()) as { storage: string };
  expect(ready.storage).toBe(`PostgreSQL ${databaseUrl}`);

  const log = logs.logs.find((l) => l.kind === "csvlog")!;
  const created = await a!.call(`/v1/assessments?name=${log.name}`, {
    method: "POST",
    body: await readFile(log.path),
    headers: { "content-type": "text/plain", prefer: "respond-async" },
  });
  expect(created.status).toBe(202);
  const location = created.headers.get("location")!;
  const { id } = (await created.json()) as { id: string };
  // The other instance sees the job (running, then done) and serves its report.
  const fromB = await waitUntilDone(b!, id);
  expect(fromB.status).toBe(200);
  const report = await fromB.json();

  await a!.stop();
  servers.splice(servers.indexOf(a!), 1);
  const c = await startTestServer({ databaseUrl });
  servers.push(c);
  expect(await (await c.call(location)).json()).toEqual(report);
  expect((await c.call(`${location}/report.html`)).status).toBe(200);
});
