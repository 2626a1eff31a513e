/**
 * client_message_timeout: five clients that BEGIN and then send a message one byte a second hold a pool of five.
 * Without a bound everyone else waits forever (53300 once the borrow times out); with one, the drippers are closed
 * once the timeout has passed, their connections are cleaned up, and everyone else is served again.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";
import { frame, WireClient } from "./support/wire.js";

let t: TestProxy;
beforeAll(async () => {
  t = await startTestProxy({ connection_borrow_timeout: "1", client_message_timeout: "3" });
});
afterAll(async () => t.close());

test("clients that drip a message while in a transaction are closed after client_message_timeout; the rest are served again", async () => {
  expect(t.proxy.maxConnections).toBe(5);
  const drippers = await Promise.all(Array.from({ length: 5 }, () => WireClient.connect(t.port)));
  for (const dripper of drippers) {
    dripper.send(frame("Q", Buffer.from("begin\0")));
    await dripper.readUntil((m) => m.type === "Z");
  }
  const slow = frame("Q", Buffer.from("select 1\0"));
  let sent = 0;
  const drip = setInterval(() => {
    if (sent < slow.length) for (const dripper of drippers) dripper.send(slow.subarray(sent, sent + 1));
    sent++;
  }, 1000);
  try {
    const other: pg.Client = await t.client();
    // The pool is held: a borrow times out.
    const starved = await other.query("select 1").catch((error: pg.DatabaseError) => error);
    expect((starved as pg.DatabaseError).code).toBe("53300");
    const errors = await Promise.all(drippers.map((d) => d.fatalError()));
    for (const error of errors) {
      expect(error).toMatchObject({ S: "FATAL", C: "08P01" });
      expect(error?.M).toMatch(/client_message_timeout \(3 s\)/);
    }
    // Every query from now on is served: no 53300.
    for (let i = 0; i < 10; i++) expect((await other.query("select $1::int as n", [i])).rows).toEqual([{ n: i }]);
    const many = await Promise.all(Array.from({ length: 5 }, () => t.client()));
    await Promise.all(many.map(async (c) => expect((await c.query("select 2 as n")).rows).toEqual([{ n: 2 }])));
    expect(t.logs.filter((l) => l.includes("took longer than client_message_timeout")).length).toBe(5);
  } finally {
    clearInterval(drip);
  }
});
