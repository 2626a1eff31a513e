/**
 * 200 concurrent clients move money between accounts through a pool of 10 database connections; a quarter of them
 * drop their connection at random points (inside a transaction, right after sending COMMIT). The total never changes,
 * no acknowledged transfer is lost, and every account's balance matches the transfers that committed. Then the same
 * books on a throwaway server whose backends are terminated at random and which restarts twice, with clients that
 * pipeline their transactions.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startPostgres } from "../../src/servers/postgres.js";
import { type RawClient, type RunningProxy, rawClient, runProxy, runProxyInFront, scratchDatabase } from "./support.js";

const DB = `proxyfit_bank_${process.pid}`;
const ACCOUNTS = 50;
const START_BALANCE = 1000;
const CLIENTS = 200;
const TRANSFERS_PER_CLIENT = 8;

/** The total never changed, no acknowledged transfer is lost, every balance matches the transfers that committed. */
async function expectExactBooks(check: pg.Client, acknowledged: string[]): Promise<void> {
  const total = await check.query("select sum(balance)::int as total from accounts");
  expect(total.rows[0].total).toBe(ACCOUNTS * START_BALANCE);
  const committed = new Set((await check.query("select id from transfers")).rows.map((r: { id: string }) => r.id));
  expect(acknowledged.filter((id) => !committed.has(id))).toEqual([]);
  const mismatched = await check.query(`
    select a.id from accounts a
    where a.balance <> ${START_BALANCE}
      - coalesce((select sum(amount) from transfers where from_id = a.id), 0)
      + coalesce((select sum(amount) from transfers where to_id = a.id), 0)`);
  expect(mismatched.rows).toEqual([]);
}

let proxy: RunningProxy;
let db: Awaited<ReturnType<typeof scratchDatabase>>;

beforeAll(async () => {
  db = await scratchDatabase(DB);
  const setup = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: DB });
  await setup.connect();
  await setup.query("create table accounts (id int primary key, balance bigint not null)");
  await setup.query("create table transfers (id uuid primary key, from_id int, to_id int, amount int)");
  await setup.query(`insert into accounts select g, ${START_BALANCE} from generate_series(1, ${ACCOUNTS}) g`);
  await setup.end();
  proxy = await runProxy({ max_connections_percent: "10", max_idle_connections_percent: "10" });
});
afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

const random = (n: number) => Math.floor(Math.random() * n);
const crash = (client: pg.Client) => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

test("200 clients transferring with random disconnects keep the books balanced", async () => {
  const acknowledged: string[] = [];
  let crashes = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, n) => {
      const flaky = n % 4 === 0;
      let client = proxy.pgClient({ database: DB });
      await client.connect();
      for (let i = 0; i < TRANSFERS_PER_CLIENT; i++) {
        const a = 1 + random(ACCOUNTS);
        const b = 1 + ((a + random(ACCOUNTS - 1)) % ACCOUNTS);
        const amount = 1 + random(50);
        const id = randomUUID();
        const [first, second] = a < b ? [a, b] : [b, a];
        const crashAt = flaky && Math.random() < 0.4 ? random(3) : -1;
        try {
          await client.query("begin");
          // Lock in id order: no deadlocks between transfers.
          await client.query("select 1 from accounts where id in ($1, $2) order by id for update", [first, second]);
          await client.query("update accounts set balance = balance - $2 where id = $1", [a, amount]);
          if (crashAt === 0) throw crash(client);
          await client.query("update accounts set balance = balance + $2 where id = $1", [b, amount]);
          await client.query("insert into transfers values ($1, $2, $3, $4)", [id, a, b, amount]);
          if (crashAt === 1) throw crash(client);
          if (crashAt === 2) {
            // COMMIT sent, answer never read: the transfer may or may not have committed, both are fine.
            client.query("commit").catch(() => {});
            await new Promise((r) => setImmediate(r));
            throw crash(client);
          }
          await client.query("commit");
          acknowledged.push(id);
        } catch {
          crashes++;
          await client.end().catch(() => {});
          client = proxy.pgClient({ database: DB });
          await client.connect();
        }
      }
      await client.end();
    }),
  );
  expect(crashes).toBeGreaterThan(10);

  const check = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: DB });
  await check.connect();
  try {
    await expectExactBooks(check, acknowledged);
    // Nothing was left holding a transaction open.
    const idleInTransaction = await check.query(
      "select count(*)::int as n from pg_stat_activity where datname = $1 and state like 'idle in transaction%'",
      [DB],
    );
    expect(idleInTransaction.rows[0].n).toBe(0);
  } finally {
    await check.end();
  }
  expect(proxy.proxy.gauges().DatabaseConnections).toBeLessThanOrEqual(10);
});

test("pipelined transfers while backends are terminated at random and the database restarts twice: the books stay exact", async () => {
  const server = await startPostgres();
  const setup = new pg.Client({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres" });
  await setup.connect();
  await setup.query("create table accounts (id int primary key, balance bigint not null)");
  await setup.query("create table transfers (id uuid primary key, from_id int, to_id int, amount int)");
  await setup.query(`insert into accounts select g, ${START_BALANCE} from generate_series(1, ${ACCOUNTS}) g`);
  await setup.end();
  const chaosProxy = await runProxyInFront(server);
  const port = chaosProxy.port;
  const acknowledged: string[] = [];
  let failures = 0;
  let terminations = 0;
  let restarts = 0;
  let running = true;
  try {
    // Terminates a random client backend every few tens of milliseconds; restarts the database twice.
    const chaos = (async () => {
      let killer: pg.Client | undefined;
      for (let round = 0; running; round++) {
        try {
          if (round === 15 || round === 45) {
            await killer?.end().catch(() => {});
            killer = undefined;
            await server.restart();
            restarts++;
          }
          if (!killer) {
            killer = new pg.Client({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres" });
            killer.on("error", () => {});
            await killer.connect();
          }
          const r = await killer.query(
            "select pg_terminate_backend(pid) as done from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() order by random() limit 1",
          );
          terminations += r.rowCount ?? 0;
        } catch {
          killer = undefined;
        }
        await new Promise((r) => setTimeout(r, 20 + random(60)));
      }
      await killer?.end().catch(() => {});
    })();

    const transfer = async (client: RawClient, splitAt: number): Promise<"acknowledged" | "failed"> => {
      const a = 1 + random(ACCOUNTS);
      const b = 1 + ((a + random(ACCOUNTS - 1)) % ACCOUNTS);
      const amount = 1 + random(50);
      const id = randomUUID();
      const [first, second] = a < b ? [a, b] : [b, a];
      const statements = [
        "begin",
        `select 1 from accounts where id in (${first}, ${second}) order by id for update`,
        `update accounts set balance = balance - ${amount} where id = ${a}`,
        `update accounts set balance = balance + ${amount} where id = ${b}`,
        `insert into transfers values ('${id}', ${a}, ${b}, ${amount})`,
        "commit",
      ];
      const before = client.received().length;
      const readyBefore = client.readyCount();
      // The first part, answered; a pause inside the transaction; then the rest pipelined, with no wait in between.
      client.send(...statements.slice(0, splitAt));
      await client.ready(readyBefore + splitAt);
      await new Promise((r) => setTimeout(r, random(30)));
      client.send(...statements.slice(splitAt));
      await client.ready(readyBefore + statements.length);
      const answer = client.received().slice(before);
      if (client.readyCount() === readyBefore + statements.length && answer.includes("COMMIT\0") && !answer.includes("E\0")) {
        acknowledged.push(id);
        return "acknowledged";
      }
      return "failed";
    };

    await Promise.all(
      Array.from({ length: 40 }, async () => {
        let client: RawClient | undefined;
        // At least 25 transfers each, and on until both restarts happened.
        for (let i = 0; i < 25 || restarts < 2; i++) {
          try {
            client ??= await rawClient(port);
            if ((await transfer(client, 1 + random(5))) === "failed") {
              failures++;
              if (client.isClosed()) client = undefined;
              else client.send("rollback");
            }
          } catch {
            failures++;
            client?.destroy();
            client = undefined;
          }
        }
        client?.destroy();
      }),
    );
    running = false;
    await chaos;
    expect(restarts).toBe(2);
    expect(terminations).toBeGreaterThan(10);
    expect(failures).toBeGreaterThan(10);

    const check = new pg.Client({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres" });
    await check.connect();
    try {
      expect(acknowledged.length).toBeGreaterThan(100);
      await expectExactBooks(check, acknowledged);
    } finally {
      await check.end();
    }
  } finally {
    running = false;
    await chaosProxy.close();
    await server.stop();
  }
});
