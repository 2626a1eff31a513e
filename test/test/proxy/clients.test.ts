/**
 * Real clients through the trial proxy: psql (simple protocol, COPY in and out, notices, errors), pgbench (simple and
 * prepared) and porsager's `postgres` (pipelined extended protocol, COPY).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningProxy, runProxy, scratchDatabase } from "./support.js";

const run = promisify(execFile);
const DB = `proxyfit_clients_${process.pid}`;
let proxy: RunningProxy;
let db: Awaited<ReturnType<typeof scratchDatabase>>;

beforeAll(async () => {
  db = await scratchDatabase(DB);
  proxy = await runProxy({ max_connections_percent: "4", max_idle_connections_percent: "4" });
});
afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

const psql = (sql: string, extra: string[] = []) =>
  run("psql", ["-X", "-h", "127.0.0.1", "-p", String(proxy.port), "-U", "postgres", "-d", DB, "-v", "ON_ERROR_STOP=1", ...extra, "-c", sql], {
    env: { ...process.env, PGCONNECT_TIMEOUT: "5" },
  });

describe("psql", () => {
  test("queries, COPY FROM STDIN and COPY TO STDOUT", async () => {
    await psql("create table words (id int, word text)");
    const input = Array.from({ length: 5000 }, (_, i) => `${i}\tword ${i}`).join("\n");
    const child = execFile("psql", ["-X", "-h", "127.0.0.1", "-p", String(proxy.port), "-U", "postgres", "-d", DB, "-c", "copy words from stdin"]);
    child.stdin!.end(`${input}\n`);
    const copied = await new Promise<string>((resolve) => {
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      child.on("close", () => resolve(out));
    });
    expect(copied.trim()).toBe("COPY 5000");
    const { stdout } = await psql("copy (select * from words order by id) to stdout");
    expect(stdout).toBe(`${input}\n`);
    expect((await psql("select count(*) from words", ["-At"])).stdout.trim()).toBe("5000");
  });

  test("notices and errors come through as PostgreSQL wrote them", async () => {
    const notice = await psql("do $$ begin raise notice 'careful: %', 42; end $$");
    expect(notice.stderr).toContain("NOTICE:  careful: 42");
    const failed = await psql("select * from no_such_table").catch((e: { stderr: string }) => e);
    expect((failed as { stderr: string }).stderr).toContain('ERROR:  relation "no_such_table" does not exist');
  });

  test("a failed COPY leaves the connection usable", async () => {
    const bad = execFile("psql", ["-X", "-h", "127.0.0.1", "-p", String(proxy.port), "-U", "postgres", "-d", DB, "-c", "copy words from stdin"]);
    bad.stdin!.end("not-a-number\tx\n");
    const stderr = await new Promise<string>((resolve) => {
      let err = "";
      bad.stderr!.on("data", (d) => (err += d));
      bad.on("close", () => resolve(err));
    });
    expect(stderr).toContain("invalid input syntax for type integer");
    expect((await psql("select 1", ["-At"])).stdout.trim()).toBe("1");
  });
});

describe("pgbench", () => {
  test("simple, extended and prepared protocols, 8 clients over a pool of 4", async () => {
    const pgbench = (args: string[]) =>
      run("pgbench", ["-h", "127.0.0.1", "-p", String(proxy.port), "-U", "postgres", ...args, DB], { env: { ...process.env } });
    await pgbench(["-i", "-s", "1", "-q"]);
    // TPC-B in simple mode; select-only for the extended modes: pgbench prepares with a blocking PQprepare, which under
    // any transaction pooler with fewer connections than clients can wait on a transaction its own thread holds open.
    for (const [mode, script] of [["simple", "-b tpcb-like"], ["prepared", "-S"], ["extended", "-S"]] as const) {
      const { stdout } = await pgbench(["-c", "8", "-j", "2", "-t", "50", "-M", mode, ...script.split(" ")]);
      expect(stdout).toContain("number of transactions actually processed: 400/400");
      expect(stdout).toContain("number of failed transactions: 0");
    }
    expect(proxy.proxy.gauges().DatabaseConnections).toBeLessThanOrEqual(4);
    expect(proxy.logs.some((l) => l.includes("was pinned"))).toBe(false);
  });
});

describe("porsager postgres", () => {
  test("pipelined queries on one connection, transactions and COPY", async () => {
    const sql = postgres({ host: "127.0.0.1", port: proxy.port, user: "postgres", database: DB, max: 1, onnotice: () => {} });
    try {
      // max: 1 makes postgres.js pipeline these on one socket.
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => sql`select ${i}::int as i, ${`text ${i}`}::text as t`));
      expect(results.map((r) => r[0]!.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      await sql`create table porsager (id int primary key, v text)`;
      await sql.begin(async (tx) => {
        await tx`insert into porsager values (1, 'a')`;
        await tx`insert into porsager values (2, 'b')`;
      });
      const failed = await sql`insert into porsager values (1, 'dup')`.catch((e: { code: string }) => e.code);
      expect(failed).toBe("23505");
      const writable = await sql`copy porsager from stdin`.writable();
      await new Promise<void>((resolve, reject) => {
        writable.on("error", reject);
        writable.end("3\tc\n4\td\n", () => resolve());
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(await sql`select id, v from porsager order by id`).toEqual([
        { id: 1, v: "a" },
        { id: 2, v: "b" },
        { id: 3, v: "c" },
        { id: 4, v: "d" },
      ]);
    } finally {
      await sql.end();
    }
  });
});
