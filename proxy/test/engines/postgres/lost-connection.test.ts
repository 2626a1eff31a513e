/**
 * A client's database connection dies under it (pg_terminate_backend on the backend it runs on). Inside a
 * transaction, with requests in flight, or pinned, the client hears the database's own FATAL and is disconnected, as
 * it would be directly, so nothing it pipelined after can run on another connection; between transactions it keeps
 * its connection and its next transaction runs on a new one.
 */
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { spawn } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";
import { errorFields, msg, summary, WireClient } from "./support/wire.js";

const TABLE = `proxyfit_lost_${process.pid}`;
let t: TestProxy;
let direct: pg.Client;

beforeAll(async () => {
  direct = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await direct.connect();
  await direct.query(`create table ${TABLE} (id int primary key, balance int not null)`);
  t = await startTestProxy({ max_connections_percent: "2", max_idle_connections_percent: "2" });
});
beforeEach(async () => {
  await direct.query(`truncate ${TABLE}`);
  await direct.query(`insert into ${TABLE} values (1, 1000), (2, 1000)`);
});
afterAll(async () => {
  await t?.close();
  await direct.query(`drop table if exists ${TABLE}`);
  await direct.end();
});

/** Ends a backend and waits until it is gone. */
async function terminate(pid: number): Promise<void> {
  const r = await direct.query("select pg_terminate_backend($1, 10000) as done", [pid]);
  expect(r.rows[0].done).toBe(true);
}

async function balances(): Promise<number[]> {
  return (await direct.query(`select balance from ${TABLE} order by id`)).rows.map((r: { balance: number }) => r.balance);
}

/** The backend pid a raw client's transaction runs on, read inside it. */
async function backendPid(c: WireClient): Promise<number> {
  c.send(msg.query("select pg_backend_pid()"));
  const row = (await c.readUntil((m) => m.type === "D")).at(-1)!;
  await c.untilReady();
  return Number(row.body.toString("utf8", 6));
}

function expectTerminated(received: Array<{ type: string; body: Buffer }>): void {
  const error = received.find((m) => m.type === "E");
  expect(error).toBeDefined();
  const f = errorFields(error!.body);
  expect([f.V, f.C, f.M]).toEqual(["FATAL", "57P01", "terminating connection due to administrator command"]);
}

describe("a client in a transaction whose backend is terminated, then pipelines a transfer", () => {
  test("simple protocol: disconnected with 57P01, nothing pipelined runs", async () => {
    const c = await WireClient.connect(t.port);
    c.send(msg.query("begin"));
    expect(await c.untilReady()).toEqual(["C:BEGIN", "Z:T"]);
    await terminate(await backendPid(c));
    c.send(
      msg.query(`update ${TABLE} set balance = balance - 100 where id = 1`),
      msg.query(`update ${TABLE} set balance = balance + 100 where id = 2`),
      msg.query("commit"),
    );
    const received = await c.untilClosed();
    expectTerminated(received);
    expect(received.map(summary)).not.toContain("C:COMMIT");
    expect(await balances()).toEqual([1000, 1000]);
  });

  test("extended protocol: disconnected with 57P01, nothing pipelined runs", async () => {
    const c = await WireClient.connect(t.port);
    c.send(msg.query("begin"));
    await c.untilReady();
    await terminate(await backendPid(c));
    const update = (sign: string, id: number) => [
      msg.parse("", `update ${TABLE} set balance = balance ${sign} 100 where id = $1`),
      msg.bind("", "", [String(id)]),
      msg.execute(),
    ];
    c.send(...update("-", 1), msg.sync(), ...update("+", 2), msg.sync(), msg.parse("", "commit"), msg.bind("", ""), msg.execute(), msg.sync());
    const received = await c.untilClosed();
    expectTerminated(received);
    expect(await balances()).toEqual([1000, 1000]);
  });

  test("terminated while a statement of the transaction runs: the same", async () => {
    const c = await WireClient.connect(t.port);
    c.send(msg.query("begin"));
    await c.untilReady();
    const pid = await backendPid(c);
    c.send(msg.query(`update ${TABLE} set balance = balance - 100 where id = 1; select pg_sleep(30)`));
    await waitUntil(async () => (await direct.query("select state from pg_stat_activity where pid = $1", [pid])).rows[0]?.state === "active");
    await terminate(pid);
    c.send(msg.query(`update ${TABLE} set balance = balance + 100 where id = 2`), msg.query("commit"));
    expectTerminated(await c.untilClosed());
    expect(await balances()).toEqual([1000, 1000]);
  });

  test.each(["before", "during"])("postgres.js sql.begin with pipelined queries (Promise.all), terminated %s them: rejects, nothing is applied", async (when) => {
    // In a process of its own: when its connection closes under a transaction, postgres.js 3.4 writes its ROLLBACK to
    // a socket it has already dropped (a TypeError on a timer), directly as through the proxy.
    const script = `
      import postgres from "postgres";
      process.on("uncaughtException", () => {});
      const go = new Promise((resolve) => process.stdin.once("data", resolve));
      const sql = postgres({ host: "127.0.0.1", port: ${t.port}, user: "postgres", database: "postgres", max: 1 });
      const outcome = await sql.begin(async (tx) => {
        const [{ pid }] = await tx\`select pg_backend_pid() as pid\`;
        process.stdout.write(JSON.stringify({ pid }) + "\\n");
        await go;
        return Promise.all([
          tx\`update ${TABLE} set balance = balance - 100 where id = 1\`,
          tx\`select pg_sleep(${when === "during" ? 30 : 0})\`,
          tx\`update ${TABLE} set balance = balance + 100 where id = 2\`,
        ]);
      }).then(() => "committed", (e) => e.code);
      process.stdout.write(JSON.stringify({ outcome }) + "\\n");
      process.exit(0);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: process.cwd(), stdio: ["pipe", "pipe", "inherit"] });
    const lines: Array<{ pid?: number; outcome?: string }> = [];
    const exited = new Promise((resolve) => child.on("exit", resolve));
    let text = "";
    child.stdout.on("data", (d: Buffer) => {
      text += d.toString();
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n")) {
        lines.push(JSON.parse(text.slice(0, nl)));
        text = text.slice(nl + 1);
      }
    });
    await waitUntil(async () => lines.length > 0);
    const pid = lines[0]!.pid!;
    if (when === "before") await terminate(pid);
    child.stdin.end("go\n");
    if (when === "during") {
      await waitUntil(async () => (await direct.query("select 1 from pg_stat_activity where pid = $1 and query like '%pg_sleep%' and state = 'active'", [pid])).rowCount === 1);
      await terminate(pid);
    }
    await exited;
    expect(["57P01", "CONNECTION_CLOSED"]).toContain(lines[1]?.outcome);
    expect(await balances()).toEqual([1000, 1000]);
  });

  test("node-postgres: the query after the termination fails with 57P01 and the client is disconnected", async () => {
    const c = await t.client();
    await c.query("begin");
    const { pid } = (await c.query("select pg_backend_pid() as pid")).rows[0];
    await terminate(pid);
    const error = (await c.query(`update ${TABLE} set balance = balance - 100 where id = 1`).catch((e) => e)) as pg.DatabaseError;
    expect(error).toBeInstanceOf(Error);
    expect(await balances()).toEqual([1000, 1000]);
    expect(await c.query("select 1").catch((e) => e)).toBeInstanceOf(Error);
  });
});

test("a client idle between transactions keeps its connection; its next transaction runs on a new backend", async () => {
  const c = await WireClient.connect(t.port);
  const before = await backendPid(c);
  // Between transactions the backend sits in the pool: terminate every idle one of this proxy's.
  await terminate(before);
  c.send(msg.query("begin"), msg.query(`update ${TABLE} set balance = balance - 100 where id = 1`));
  c.send(msg.query(`update ${TABLE} set balance = balance + 100 where id = 2`), msg.query("commit"));
  expect(await c.untilReady(4)).toEqual(["C:BEGIN", "Z:T", "C:UPDATE 1", "Z:T", "C:UPDATE 1", "Z:T", "C:COMMIT", "Z:I"]);
  expect(await backendPid(c)).not.toBe(before);
  expect(await balances()).toEqual([900, 1100]);
  c.close();
});

test("a pinned client is disconnected with the database's FATAL", async () => {
  const c = await WireClient.connect(t.port);
  c.send(msg.query("set work_mem = '9MB'"));
  await c.untilReady();
  await terminate(await backendPid(c));
  c.send(msg.query("show work_mem"));
  expectTerminated(await c.untilClosed());
});

test("a dropped socket (no word from the database): FATAL 08006", async () => {
  // A TCP relay between the proxy and the database, whose sockets the test can cut.
  const relayed = new Set<Socket>();
  const relay = createServer((inbound) => {
    const outbound = connect({ host: "127.0.0.1", port: 5432 });
    for (const s of [inbound, outbound]) {
      relayed.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const port = (relay.address() as AddressInfo).port;
  const relayedProxy = await startTestProxy({ target: `postgres://postgres@127.0.0.1:${port}/postgres` });
  try {
    const c = await WireClient.connect(relayedProxy.port);
    c.send(msg.query("begin"));
    await c.untilReady();
    const pid = await backendPid(c);
    for (const s of relayed) s.destroy();
    const received = await c.untilClosed();
    const f = errorFields(received.find((m) => m.type === "E")!.body);
    expect([f.V, f.C, f.M]).toEqual(["FATAL", "08006", "terminating connection because the database connection was lost"]);
    // The backend sees its client go and rolls back.
    await waitUntil(async () => (await direct.query("select 1 from pg_stat_activity where pid = $1", [pid])).rowCount === 0);
  } finally {
    await relayedProxy.close();
    relay.close();
  }
});

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}
