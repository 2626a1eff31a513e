/**
 * Memory stays bounded however many distinct large statements clients send: the statement-text caches and memos of
 * the proxy and of the assessor's rulebook and trial report keep nothing of a 50 MB text once it has run.
 */
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { query, startupMessage } from "../../../../src/engines/postgres/protocol/serialize.js";
import { startTestProxy, type TestProxy } from "../support/harness.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Heap and external memory (buffers, the parser's WebAssembly memory) after full collections. */
function memoryInUse(): number {
  for (let i = 0; i < 3; i++) gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

const MB = 1024 * 1024;

describe("distinct large statements", () => {
let t: TestProxy;
beforeAll(async () => {
  t = await startTestProxy();
});
afterAll(async () => t.close());

/** One client, one distinct 50 MB statement: simple protocol, unnamed or named extended protocol by turns. */
async function runLargeStatement(i: number): Promise<void> {
  const client = await t.client();
  const text = `select length('${String(i).padStart(4, "0")}${"x".repeat(50 * MB)}') as n`;
  const config = i % 3 === 0 ? { text } : i % 3 === 1 ? { text, values: [] } : { name: `large_${i}`, text, values: [] };
  const result = await client.query(config);
  expect(result.rows[0].n).toBe(50 * MB + 4);
  await client.end();
}

test("ten distinct 50 MB statements leave memory close to where it was", async () => {
  await runLargeStatement(-1);
  const before = memoryInUse();
  for (let i = 0; i < 10; i++) await runLargeStatement(i);
  // 500 MB went through; before the bounds about 50 MB of it stayed per statement.
  expect((memoryInUse() - before) / MB).toBeLessThan(100);
}, 300_000);
});

/** A logged-in client speaking raw protocol: counts the ReadyForQuery messages it gets. */
async function rawClient(port: number): Promise<{ socket: Socket; ready(): number }> {
  const socket = connect({ host: "127.0.0.1", port });
  let ready = 0;
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 5 && buffered.length >= 1 + buffered.readUInt32BE(1)) {
      if (buffered[0] === 0x5a) ready++;
      buffered = buffered.subarray(1 + buffered.readUInt32BE(1));
    }
  });
  await new Promise((connected) => socket.once("connect", connected));
  socket.write(startupMessage(new Map([["user", "postgres"], ["database", "postgres"]])));
  while (ready === 0) await sleep(10);
  return { socket, ready: () => ready - 1 };
}

describe("a client that keeps sending while it waits for a connection", () => {
  let t: TestProxy;
  beforeAll(async () => {
    t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1" });
  });
  afterAll(async () => t.close());

  test("is read no further until it has one: the proxy does not hold what it pipelines", async () => {
    const holder = await t.client();
    await holder.query("begin");
    const sender = await rawClient(t.port);
    const before = memoryInUse();
    const count = 200;
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < count; i++) {
        if (!sender.socket.write(query(`select length('${String(i).padStart(4, "0")}${"x".repeat(MB)}')`))) {
          await new Promise((drained) => sender.socket.once("drain", drained));
        }
        written++;
      }
    })();
    // Until the writer stops making progress: socket buffers fill, then nothing more is read.
    for (let last = -1; written !== last && written < count; ) {
      last = written;
      await sleep(500);
    }
    expect(written).toBeLessThan(count);
    expect((memoryInUse() - before) / MB).toBeLessThan(64);
    await holder.query("commit");
    await writer;
    for (let i = 0; i < 600 && sender.ready() < count; i++) await sleep(100);
    expect(sender.ready()).toBe(count);
    sender.socket.destroy();
  }, 300_000);
});
