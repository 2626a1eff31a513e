/**
 * A protocol fuzzer (fast-check, fixed seed: a failure reproduces). Every frontend message type, valid or with a
 * mutated length, a missing terminator, a flipped byte or a random body, cut short or not, is sent as a connection's
 * first bytes, together with its startup packet (held while logging in), after login, and inside a transaction, while
 * the pool is empty (a database whose connections were all closed), busy (every connection held in a transaction,
 * released just after the bytes arrive) or warm. Throughout: no uncaught exception, a steady client is served, no
 * server connection stays with a closed client, and memory stays bounded.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createScratchDatabases, startTestProxy, type TestProxy } from "./support/harness.js";
import { cstr, frame, int16, int32, startupPacket, WireClient } from "./support/wire.js";

const SEED = 20261203;
const RUNS = 100;
const POOL = 4;
const DATABASES = [`proxyfit_fuzz_a_${process.pid}`, `proxyfit_fuzz_b_${process.pid}`] as const;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const processFaults: unknown[] = [];
const onFault = (error: unknown) => processFaults.push(error);
let direct: pg.Client;
let t: TestProxy;
let steady: pg.Client;
let scratch: Awaited<ReturnType<typeof createScratchDatabases>>;
let steadyQueries = 0;
let steadyFailure: Error | undefined;
let steadyPaused = false;
let steadyRunning: Promise<void> = Promise.resolve();

beforeAll(async () => {
  process.on("uncaughtException", onFault);
  process.on("unhandledRejection", onFault);
  scratch = await createScratchDatabases(DATABASES);
  direct = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await direct.connect();
  t = await startTestProxy({
    max_connections_percent: String(POOL),
    max_idle_connections_percent: String(POOL),
    connection_borrow_timeout: "20",
  });
  steady = await t.client({ database: DATABASES[0] });
  const tick = async (): Promise<void> => {
    while (!steadyPaused) {
      try {
        const r = await steady.query("select $1::int as n", [steadyQueries]);
        if (r.rows[0].n !== steadyQueries) throw new Error("wrong answer");
        steadyQueries++;
      } catch (error) {
        steadyFailure ??= error as Error;
        return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  steadyRunning = tick();
});

afterAll(async () => {
  steadyPaused = true;
  await steadyRunning;
  await t?.close();
  await direct.end();
  await scratch?.drop();
  process.off("uncaughtException", onFault);
  process.off("unhandledRejection", onFault);
});

// Messages: each type well formed, with fields drawn at random.

const name = fc.constantFrom("", "s1", "p1", "x".repeat(70));
const sql = fc.oneof(
  fc.constantFrom("select 1", "select $1::int", "begin", "commit", "rollback", "select pg_sleep(0.005)", "", "select 1; select 2"),
  fc.string({ maxLength: 80 }),
);
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
const values = fc.array(fc.option(bytes(8), { nil: undefined }), { maxLength: 3 });
const encodeValues = (vs: (Buffer | undefined)[]) => [int16(vs.length), ...vs.flatMap((v) => (v === undefined ? [int32(-1)] : [int32(v.length), v]))];
const formats = fc.array(fc.constantFrom(0, 1), { maxLength: 3 }).map((fs) => [int16(fs.length), ...fs.map(int16)]);

// The types that start a transaction (and so reach the pool) come up most.
const wellFormed: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: sql.map((q) => frame("Q", cstr(q))), weight: 2 },
  {
    arbitrary: fc
      .tuple(name, sql, fc.array(fc.constantFrom(0, 23, 25), { maxLength: 3 }))
      .map(([n, q, oids]) => frame("P", cstr(n), cstr(q), int16(oids.length), ...oids.map(int32))),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(name, name, formats, values, formats)
      .map(([portal, statement, f, v, r]) => frame("B", cstr(portal), cstr(statement), ...f, ...encodeValues(v), ...r)),
    weight: 3,
  },
  { arbitrary: fc.tuple(fc.constantFrom("S", "P"), name).map(([target, n]) => frame("D", Buffer.from(target), cstr(n))), weight: 3 },
  fc.tuple(fc.constantFrom("S", "P"), name).map(([target, n]) => frame("C", Buffer.from(target), cstr(n))),
  fc.tuple(name, fc.integer({ min: 0, max: 10 })).map(([portal, rows]) => frame("E", cstr(portal), int32(rows))),
  fc.constantFrom(frame("S"), frame("H"), frame("c"), frame("X")),
  fc.string({ maxLength: 20 }).map((s) => frame("f", cstr(s))),
  // Function oids far above any the server has: the call is refused, never run.
  fc
    .tuple(fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }), formats, values, fc.constantFrom(0, 1))
    .map(([oid, f, v, result]) => frame("F", int32(oid), ...f, ...encodeValues(v), int16(result))),
  bytes(40).map((b) => frame("d", b)),
  // Any type byte at all, with a random body.
  fc.tuple(fc.integer({ min: 0, max: 255 }), bytes(20)).map(([type, body]) => Buffer.concat([Buffer.from([type]), int32(body.length + 4), body])),
);

type Mutation = "none" | "length" | "terminator" | "no-terminators" | "flip" | "random-body" | "truncate";

function mutate(message: Buffer, mutation: Mutation, r: number, delta: number, noise: Buffer): Buffer {
  const out = Buffer.from(message);
  switch (mutation) {
    case "none":
      return out;
    case "length":
      out.writeInt32BE(r % 3 === 0 ? r | 0 : Math.max(-2147483648, Math.min(2147483647, out.length - 1 + delta)), 1);
      return out;
    case "terminator": {
      const nuls = [...out.subarray(5).keys()].filter((i) => out[5 + i] === 0);
      if (nuls.length === 0) return out;
      const at = 5 + nuls[Math.abs(r) % nuls.length]!;
      const cut = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
      cut.writeInt32BE(cut.length - 1, 1);
      return cut;
    }
    case "no-terminators": {
      const body = Buffer.from(out.subarray(5).filter((b) => b !== 0));
      return Buffer.concat([out.subarray(0, 1), int32(body.length + 4), body]);
    }
    case "flip":
      if (out.length > 5) out[5 + (Math.abs(r) % (out.length - 5))]! ^= 1 << (Math.abs(delta) % 8);
      return out;
    case "random-body":
      return Buffer.concat([out.subarray(0, 1), int32(noise.length + 4), noise]);
    case "truncate":
      return out.subarray(0, Math.abs(r) % out.length);
  }
}

const message = fc
  .tuple(wellFormed, fc.constantFrom<Mutation>("none", "length", "terminator", "no-terminators", "flip", "random-body", "truncate"), fc.integer(), fc.integer({ min: -8, max: 8 }), bytes(24))
  .map(([m, mutation, r, delta, noise]) => mutate(m, mutation, r, delta, noise));

const startup = fc
  .tuple(fc.constantFrom<Mutation>("none", "none", "none", "length", "flip", "truncate"), fc.integer(), fc.integer({ min: -8, max: 8 }), fc.boolean())
  .map(([mutation, r, delta, second]) => {
    const packet = startupPacket({ user: "postgres", database: DATABASES[second ? 1 : 0] });
    // The startup packet has no type byte: mutate it as if the length were at offset 1 by prefixing and stripping one.
    return mutate(Buffer.concat([Buffer.from([0]), packet]), mutation === "terminator" ? "none" : mutation, r, delta, Buffer.alloc(0)).subarray(1);
  });

type Phase = "first-bytes" | "with-startup" | "after-login" | "in-transaction";
const client = fc.record({
  phase: fc.constantFrom<Phase>("first-bytes", "with-startup", "after-login", "in-transaction"),
  secondDatabase: fc.boolean(),
  startup,
  messages: fc.array(message, { minLength: 1, maxLength: 5 }),
  // After the fuzz, a well-formed request (a client the proxy kept talks to it again), a Terminate (it leaves, maybe
  // while the request runs), both, or nothing (it goes quiet, maybe in the middle of a message).
  trailer: fc.constantFrom(
    Buffer.alloc(0),
    frame("Q", cstr("select 1")),
    Buffer.concat([frame("Q", cstr("select 1")), frame("X")]),
    frame("X"),
  ),
});
const run = fc.record({
  pool: fc.constantFrom("empty", "busy", "warm"),
  clients: fc.array(client, { minLength: 1, maxLength: 3 }),
});

/** Closes every connection the proxy has to `database` and waits until its pool group has none. */
async function emptyPool(database: string): Promise<void> {
  const connections = () => t.proxy.pools().find((g) => g.database === database)?.connections ?? 0;
  // A connection still being opened for a client that has left arrives after the first pass: repeat.
  for (let pass = 0; pass < 100 && connections() > 0; pass++) {
    await direct.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [database]);
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(connections()).toBe(0);
}

/** Waits until the socket closes, or until it has been quiet for a while; then closes it. */
async function settle(wire: WireClient): Promise<void> {
  let seen = -1;
  while (wire.isOpen && wire.messages.length !== seen) {
    seen = wire.messages.length;
    await Promise.race([wire.closed, new Promise((r) => setTimeout(r, 100))]);
  }
  wire.destroy();
}

type ClientSpec = typeof client extends fc.Arbitrary<infer T> ? T : never;

async function play(spec: ClientSpec, database: string): Promise<void> {
  const payload = Buffer.concat(spec.messages);
  const trailer = spec.trailer;
  if (spec.phase === "first-bytes" || spec.phase === "with-startup") {
    const wire = await WireClient.open(t.port);
    wire.send(Buffer.concat([spec.phase === "with-startup" ? spec.startup : Buffer.alloc(0), payload, trailer]));
    await settle(wire);
    return;
  }
  const wire = await WireClient.connect(t.port, { user: "postgres", database });
  if (spec.phase === "in-transaction") {
    wire.send(frame("Q", cstr("begin")));
    await wire.readUntil((m) => m.type === "Z");
  }
  wire.send(Buffer.concat([payload, trailer]));
  await settle(wire);
}

/** Waits until only the steady client is connected and no connection is borrowed but possibly its. */
async function quiet(): Promise<void> {
  await expect.poll(() => t.proxy.clients().length, { timeout: 15_000 }).toBe(1);
  await expect.poll(() => t.proxy.pools().every((g) => g.borrowed <= (g.database === DATABASES[0] ? 1 : 0) && g.opening === 0), { timeout: 15_000 }).toBe(true);
}

test("no frontend bytes crash the proxy, disturb a steady client, strand a connection or grow memory", async () => {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(run, async ({ pool, clients }) => {
      runs++;
      const blockers: pg.Client[] = [];
      const inTransaction = clients.filter((c) => c.phase === "in-transaction").length;
      if (pool === "empty") await emptyPool(DATABASES[1]);
      const plays = clients.map((spec) => async () => play(spec, pool === "empty" || spec.secondDatabase ? DATABASES[1] : DATABASES[0]));
      if (pool === "busy") {
        // Every connection but those the fuzz clients' own transactions need is held, and let go once their bytes are in.
        for (let i = 0; i < POOL - inTransaction; i++) {
          const blocker = await t.client({ database: DATABASES[i % 2] });
          blockers.push(blocker);
          await blocker.query("begin; select 1").catch((error: Error) => {
            // The shared server may be refusing connections (other suites): say so rather than only "53300".
            const state = JSON.stringify({ pools: t.proxy.pools(), clients: t.proxy.clients() });
            throw new Error(`${error.message}; the proxy: ${state}; its last log lines:\n${t.logs.slice(-10).join("\n")}`);
          });
        }
      }
      const playing = Promise.all(plays.map((p) => p()));
      if (blockers.length > 0) {
        await new Promise((r) => setTimeout(r, 30));
        await Promise.all(blockers.map(async (b) => b.query("commit").then(() => b.end())));
      }
      await playing;
      expect(processFaults).toEqual([]);
      expect(steadyFailure).toBeUndefined();
      if (runs % 20 === 0) await quiet();
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  await quiet();
  const before = steadyQueries;
  await expect.poll(() => steadyQueries, { timeout: 10_000 }).toBeGreaterThan(before);
  expect(steadyFailure).toBeUndefined();
  expect(processFaults).toEqual([]);
  steadyPaused = true;
  await steadyRunning;
  await expect.poll(() => t.proxy.pools().every((g) => g.borrowed === 0 && g.waiting === 0), { timeout: 15_000 }).toBe(true);
  gc();
  // What the fuzz left behind (held messages, statement maps, buffers) must not pile up: a generous bound.
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
}, 180_000);
