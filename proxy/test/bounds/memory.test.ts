/**
 * Memory stays bounded however many distinct large statements clients send: the statement-text caches and memos of
 * the proxy and of the assessor's rulebook and trial report keep nothing of a 50 MB text once it has run.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, expect, test } from "vitest";
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
