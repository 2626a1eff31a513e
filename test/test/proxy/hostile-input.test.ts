/**
 * Hostile and broken clients never crash the proxy or disturb well-behaved clients: lying length fields, a startup
 * packet one byte a second, garbage after login, and 5,000 connections opened at once. Random bytes instead of a
 * login are a case of the shared conformance suite (conformance/suite.ts).
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import type pg from "pg";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { type PostgresInstance, startPostgres } from "../../src/servers/postgres.js";
import { type RunningProxy, runProxyInFront } from "./support.js";

// A server of its own: on the shared one, anyone's pg_terminate_backend would end the steady client's backend, and
// the tests that check it kept working would fail for a reason that has nothing to do with the proxy.
let server: PostgresInstance;
let proxy: RunningProxy;
let steady: pg.Client;
let steadyQueries = 0;
let steadyTimer: NodeJS.Timeout;
let steadyFailure: Error | undefined;

beforeAll(async () => {
  server = await startPostgres();
  proxy = await runProxyInFront(server, { max_connections_percent: "3", max_idle_connections_percent: "3", connection_borrow_timeout: "120" });
  // A well-behaved client querying throughout every test.
  steady = proxy.pgClient();
  await steady.connect();
  const tick = async () => {
    try {
      const r = await steady.query("select $1::int as n", [steadyQueries]);
      if (r.rows[0].n !== steadyQueries) throw new Error("wrong answer");
      steadyQueries++;
    } catch (error) {
      steadyFailure = error as Error;
    }
    steadyTimer = setTimeout(tick, 5);
  };
  void tick();
});
afterAll(async () => {
  clearTimeout(steadyTimer);
  await steady?.end();
  await proxy?.close();
  await server?.stop();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: proxy.port }, () => resolve(socket));
    socket.on("error", reject);
  });
}

/** Everything the proxy sends until it closes the socket (or until `ms`). */
function answer(socket: Socket, ms = 3000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => resolve(Buffer.concat(chunks));
    socket.on("data", (d) => chunks.push(d));
    socket.on("close", done);
    socket.on("error", () => {});
    setTimeout(() => {
      socket.destroy();
      done();
    }, ms).unref();
  });
}

function startup(user = "postgres"): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0postgres\0\0`);
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(out.length, 0);
  out.writeInt32BE(196608, 4);
  body.copy(out, 8);
  return out;
}

async function stillHealthy(): Promise<void> {
  const before = steadyQueries;
  // Progress, however long a loaded machine takes to show it: a fixed 100 ms window failed under load.
  await expect.poll(() => steadyQueries, { timeout: 20_000 }).toBeGreaterThan(before);
  expect(steadyFailure).toBeUndefined();
  const fresh = proxy.pgClient();
  await fresh.connect();
  expect((await fresh.query("select 42 as n")).rows).toEqual([{ n: 42 }]);
  await fresh.end();
}

test("a startup packet that claims 2 GB is dropped at once, without a reply, as PostgreSQL does", async () => {
  const socket = await open();
  socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0]));
  const reply = await answer(socket);
  expect(reply.length).toBe(0);
  expect(proxy.logs.some((line) => line.includes("invalid length of startup packet: 2147483647"))).toBe(true);
  await stillHealthy();
});

test("after login: a Query whose length lies, random bytes, an unknown message type", async () => {
  for (const payload of [
    Buffer.from([0x51, 0, 0, 0, 2]), // length below 4
    Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff, 0x61]), // claims 2 GB, sends one byte, then goes quiet
    Buffer.concat([Buffer.from([0x51, 0, 0, 0, 9]), Buffer.from("sel\0")]), // length says 9, NUL inside: read short
    randomBytes(4096),
    Buffer.from([0x01, 0, 0, 0, 4]), // no such message type
  ]) {
    const socket = await open();
    socket.write(startup());
    await new Promise((r) => setTimeout(r, 50));
    socket.write(payload);
    await answer(socket, 300);
  }
  await stillHealthy();
  expect(proxy.proxy.gauges().DatabaseConnectionsCurrentlyBorrowed).toBeLessThanOrEqual(1);
});

test("a client that sends its startup one byte a second does not hold anyone up", async () => {
  const socket = await open();
  const packet = startup();
  let i = 0;
  const drip = setInterval(() => {
    if (i < 4) socket.write(packet.subarray(i, ++i));
  }, 1000);
  await stillHealthy();
  await new Promise((r) => setTimeout(r, 2500));
  await stillHealthy();
  clearInterval(drip);
  socket.destroy();
});

test("5,000 connections opened at once", async () => {
  // Each socket counts once the proxy has logged it in (its ReadyForQuery arrived): no assumption about how fast.
  const readyForQuery = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
  const sockets = await Promise.all(
    Array.from({ length: 5000 }, () =>
      new Promise<Socket | undefined>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port: proxy.port }, () => socket.write(startup()));
        let received = Buffer.alloc(0);
        socket.on("data", (data) => {
          received = Buffer.concat([received, data]);
          if (received.subarray(-6).equals(readyForQuery)) resolve(socket);
        });
        socket.on("error", () => resolve(undefined));
        socket.on("close", () => resolve(undefined));
      }),
    ),
  );
  const connected = sockets.filter((s): s is Socket => s !== undefined);
  expect(connected.length).toBe(5000);
  expect(proxy.proxy.gauges().ClientConnections).toBeGreaterThanOrEqual(5000);
  await stillHealthy();
  for (const socket of connected) socket.destroy();
  await vi.waitFor(() => expect(proxy.proxy.gauges().ClientConnections).toBeLessThan(10), { timeout: 30_000, interval: 100 });
  await stillHealthy();
});
