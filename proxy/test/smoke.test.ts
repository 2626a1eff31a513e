import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";

let t: TestProxy;
beforeAll(async () => {
  t = await startTestProxy({ debug_logging: "true" });
});
afterAll(async () => {
  console.log(t.logs.join("\n"));
  await t?.close();
});

test("simple and extended queries through the proxy", async () => {
  const c = await t.client();
  console.log("connected");
  const r = await c.query("select 1 as one");
  expect(r.rows).toEqual([{ one: 1 }]);
  const r2 = await c.query({ text: "select $1::int + 1 as two", values: [1] });
  expect(r2.rows).toEqual([{ two: 2 }]);
  const r3 = await c.query({ name: "named", text: "select $1::text as t", values: ["x"] });
  expect(r3.rows).toEqual([{ t: "x" }]);
  const r4 = await c.query({ name: "named", text: "select $1::text as t", values: ["y"] });
  expect(r4.rows).toEqual([{ t: "y" }]);
}, 5000);
