/**
 * Malformed frontend messages are the client's problem, never the process's: the offender gets FATAL 08P01 and is
 * closed, the server connection it held or waited for goes back clean, and nobody else notices. Exact bytes from
 * the reproductions in issue 12, sent where the borrow is asynchronous (an empty pool, and a pool whose only
 * connection is busy, so the hand-over comes from another client's ReadyForQuery).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";
import { frame, hex, WireClient } from "./support/wire.js";

const processFaults: unknown[] = [];
const onFault = (error: unknown) => processFaults.push(error);
beforeAll(() => {
  process.on("uncaughtException", onFault);
  process.on("unhandledRejection", onFault);
});
afterAll(() => {
  process.off("uncaughtException", onFault);
  process.off("unhandledRejection", onFault);
});
afterEach(() => {
  expect(processFaults).toEqual([]);
});

const MALFORMED = [
  { name: "Parse whose strings lack their NUL", bytes: hex("50 00000008 61626364"), type: "Parse" },
  { name: "Bind without its NUL", bytes: hex("42 00000007 616263"), type: "Bind" },
  { name: "Describe with target byte 'X'", bytes: hex("44 00000006 58 00"), type: "Describe" },
];

/** Waits until no server connection is borrowed or waited for. */
export async function poolSettles(t: TestProxy): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (t.proxy.pools().every((g) => g.borrowed === 0 && g.waiting === 0 && g.opening === 0)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(t.proxy.pools()).toEqual([]);
}

async function expectRefused(offender: WireClient, type: string): Promise<void> {
  const error = await offender.fatalError();
  expect(error).toMatchObject({ S: "FATAL", C: "08P01" });
  expect(error?.M).toContain(`invalid ${type} message`);
  expect(offender.isOpen).toBe(false);
}

describe("the first message of a transaction, malformed, while the pool is empty", () => {
  let t: TestProxy;
  afterEach(async () => t.close());

  test.each(MALFORMED)("$name", async ({ bytes, type }) => {
    t = await startTestProxy();
    expect(t.proxy.gauges().DatabaseConnections).toBe(0);
    const offender = await WireClient.connect(t.port);
    offender.send(bytes);
    await expectRefused(offender, type);
    const other = await t.client();
    expect((await other.query("select 42 as n")).rows).toEqual([{ n: 42 }]);
    await poolSettles(t);
    expect(t.logs.some((l) => l.includes(`invalid ${type} message`))).toBe(true);
  });
});

describe("the first message of a transaction, malformed, while the only connection is busy in another transaction", () => {
  let t: TestProxy;
  beforeAll(async () => {
    t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1" });
  });
  afterAll(async () => t.close());

  test.each(MALFORMED)("$name: the hand-over comes from the other client's ReadyForQuery", async ({ bytes, type }) => {
    const holder = await t.client();
    await holder.query("begin");
    const pid = (await holder.query("select pg_backend_pid() as pid")).rows[0].pid;
    const offender = await WireClient.connect(t.port);
    // Valid messages ahead of the malformed one, in the same write: they must not run either.
    offender.send(Buffer.concat([frame("Q", Buffer.from("select 1\0")), bytes]));
    await expectRefused(offender, type);
    await holder.query("commit");
    expect((await holder.query("select pg_backend_pid() as pid")).rows[0].pid).toBe(pid);
    const other = await t.client();
    expect((await other.query("select pg_backend_pid() as pid")).rows[0].pid).toBe(pid);
    await holder.end();
    await other.end();
    await poolSettles(t);
  });

  test.each(MALFORMED)("$name inside a transaction: the offender's connection is cleaned up and reused", async ({ bytes, type }) => {
    const offender = await WireClient.connect(t.port);
    offender.send(frame("Q", Buffer.from("begin; select pg_backend_pid()\0")));
    const answer = await offender.readUntil((m) => m.type === "Z");
    const pid = Number(answer.find((m) => m.type === "D")!.body.toString("utf8", 6));
    offender.send(bytes);
    await expectRefused(offender, type);
    const other = await t.client();
    const row = (await other.query("select pg_backend_pid() as pid, now() = statement_timestamp() as fresh")).rows[0];
    expect(row).toEqual({ pid, fresh: true });
    await other.end();
    await poolSettles(t);
  });
});
