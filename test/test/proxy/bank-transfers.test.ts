/**
 * 200 concurrent clients move money between accounts through a pool of 10 database connections; a quarter of them
 * drop their connection at random points (inside a transaction, right after sending COMMIT). The total never changes,
 * no acknowledged transfer is lost, and every account's balance matches the transfers that committed.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningProxy, runProxy, scratchDatabase } from "./support.js";

const DB = `proxyfit_bank_${process.pid}`;
const ACCOUNTS = 50;
const START_BALANCE = 1000;
const CLIENTS = 200;
const TRANSFERS_PER_CLIENT = 8;

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
