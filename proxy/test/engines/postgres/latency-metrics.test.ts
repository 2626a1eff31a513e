/**
 * The latency metrics measure what they say. Known latencies are driven through a proxy with one database connection:
 * a pg_sleep of 200 ms, a named statement prepared on a borrowed connection inside a transaction, and a borrow that
 * waits while another client holds the connection for a known time. Each metric is checked in Prometheus (the change
 * over the step) and in the EMF lines written during the step: never below what was driven, never above what the
 * client itself waited (the proxy runs in this process, on the same clock). A correctness check, not a speed one.
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadSettings, startProxy, type TrialProxy } from "../../../src/index.js";
import { TARGET } from "./support/harness.js";

const SLEEP_MS = 200;
const HOLD_MS = 300;
type Metric = "QueryResponseLatency" | "QueryDatabaseResponseLatency" | "DatabaseConnectionsBorrowLatency";
const METRICS: Metric[] = ["QueryResponseLatency", "QueryDatabaseResponseLatency", "DatabaseConnectionsBorrowLatency"];

let proxy: TrialProxy;
const emf: Array<Record<string, unknown>> = [];
let wakeEmf = () => {};
const clients: pg.Client[] = [];

beforeAll(async () => {
  proxy = await startProxy(
    loadSettings({
      flags: {
        target: TARGET,
        listen: "127.0.0.1:0",
        admin: "off",
        max_connections_percent: "1",
        max_idle_connections_percent: "1",
        emf: "true",
        emf_interval: "1",
      },
    }),
    {
      log: () => {},
      emf: (line) => {
        emf.push(JSON.parse(line));
        wakeEmf();
      },
    },
  );
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await proxy?.close();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ host: "127.0.0.1", port: proxy.address.port, user: "postgres", database: "postgres" });
  await c.connect();
  clients.push(c);
  return c;
}

/** Sum (µs) and count of each latency histogram, from the Prometheus text. */
function scrape(): Record<Metric, { sum: number; count: number }> {
  const text = proxy.prometheus();
  const read = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text)![1]);
  return Object.fromEntries(METRICS.map((m) => [m, { sum: read(`${m}_sum`), count: read(`${m}_count`) }])) as Record<Metric, { sum: number; count: number }>;
}

async function nextEmfLine(): Promise<void> {
  const seen = emf.length;
  while (emf.length === seen) await new Promise<void>((resolve) => (wakeEmf = resolve));
}

/**
 * Runs a step between two EMF lines (so the lines written meanwhile hold its observations and nothing else) and
 * returns the change in Prometheus and those lines.
 */
async function step(run: () => Promise<void>): Promise<{ prometheus: Record<Metric, { sum: number; count: number }>; lines: Array<Record<string, unknown>> }> {
  await nextEmfLine();
  const from = emf.length;
  const before = scrape();
  await run();
  const after = scrape();
  await nextEmfLine();
  const prometheus = Object.fromEntries(METRICS.map((m) => [m, { sum: after[m].sum - before[m].sum, count: after[m].count - before[m].count }])) as Record<
    Metric,
    { sum: number; count: number }
  >;
  return { prometheus, lines: emf.slice(from) };
}

/** The EMF values (µs, an interval's average) of one metric in the lines of a step. */
const emfValues = (lines: Array<Record<string, unknown>>, metric: Metric) => lines.filter((l) => metric in l).map((l) => l[metric] as number);

test("a 200 ms statement: both query latencies at least 200 ms and at most what the client waited", async () => {
  const c = await client();
  let waited = 0;
  const { prometheus, lines } = await step(async () => {
    const start = performance.now();
    await c.query(`select pg_sleep(${SLEEP_MS / 1000})`);
    waited = (performance.now() - start) * 1000;
  });
  for (const metric of ["QueryResponseLatency", "QueryDatabaseResponseLatency"] as const) {
    expect(prometheus[metric].count).toBe(1);
    expect(prometheus[metric].sum).toBeGreaterThanOrEqual(SLEEP_MS * 1000);
    expect(prometheus[metric].sum).toBeLessThanOrEqual(waited);
    const values = emfValues(lines, metric);
    expect(values).toHaveLength(1);
    expect(values[0]).toBeGreaterThanOrEqual(SLEEP_MS * 1000);
    expect(values[0]).toBeLessThanOrEqual(Math.ceil(waited));
  }
  // The connection was idle: the borrow did not wait.
  expect(prometheus.DatabaseConnectionsBorrowLatency.count).toBe(1);
  expect(prometheus.DatabaseConnectionsBorrowLatency.sum).toBeLessThanOrEqual(waited);
});

test("a named statement prepared on the borrowed connection inside a transaction: no more than the client waited", async () => {
  const c = await client();
  await c.query("begin");
  let waited = 0;
  const { prometheus, lines } = await step(async () => {
    const start = performance.now();
    await c.query({ name: "sleepy", text: "select pg_sleep($1)", values: [SLEEP_MS / 1000] });
    waited = (performance.now() - start) * 1000;
  });
  await c.query("commit");
  for (const metric of ["QueryResponseLatency", "QueryDatabaseResponseLatency"] as const) {
    const { sum, count } = prometheus[metric];
    expect(count).toBeGreaterThanOrEqual(1);
    expect(sum).toBeGreaterThanOrEqual(SLEEP_MS * 1000);
    // Each observation is at most the client's wait (before the fix one was the proxy's uptime).
    expect(sum).toBeLessThanOrEqual(count * waited);
    for (const value of emfValues(lines, metric)) expect(value).toBeLessThanOrEqual(Math.ceil(waited));
  }
});

test("a borrow that waits while another client holds the only connection: the wait is in the borrow and response latencies, not the database's", async () => {
  const holder = await client();
  const waiter = await client();
  await holder.query("begin");
  await holder.query("select 1");
  const times = { sent: 0, queued: 0, released: 0, answered: 0, commitTook: 0 };
  const { prometheus, lines } = await step(async () => {
    times.sent = performance.now();
    const query = waiter.query(`select pg_sleep(${SLEEP_MS / 1000})`);
    while (proxy.pools()[0]!.waiting === 0) await new Promise((r) => setTimeout(r, 5));
    times.queued = performance.now();
    await new Promise((r) => setTimeout(r, HOLD_MS));
    times.released = performance.now();
    await holder.query("commit");
    times.commitTook = performance.now() - times.released;
    await query;
    times.answered = performance.now();
  });
  const us = (ms: number) => ms * 1000;
  // One borrow, the waiter's: at least the hold after it queued, at most its whole wait.
  const borrow = prometheus.DatabaseConnectionsBorrowLatency;
  expect(borrow.count).toBe(1);
  expect(borrow.sum).toBeGreaterThanOrEqual(us(times.released - times.queued));
  expect(borrow.sum).toBeLessThanOrEqual(us(times.answered - times.sent));
  const borrowLines = emfValues(lines, "DatabaseConnectionsBorrowLatency");
  expect(borrowLines).toHaveLength(1);
  expect(borrowLines[0]).toBeGreaterThanOrEqual(Math.floor(us(times.released - times.queued)));
  expect(borrowLines[0]).toBeLessThanOrEqual(Math.ceil(us(times.answered - times.sent)));
  // The holder's COMMIT and the waiter's statement. The response latency includes the wait; the database's does not.
  const response = prometheus.QueryResponseLatency;
  expect(response.count).toBe(2);
  expect(response.sum).toBeGreaterThanOrEqual(us(times.released - times.queued + SLEEP_MS));
  expect(response.sum).toBeLessThanOrEqual(us(times.answered - times.sent + times.commitTook));
  const database = prometheus.QueryDatabaseResponseLatency;
  expect(database.count).toBe(2);
  expect(database.sum).toBeGreaterThanOrEqual(us(SLEEP_MS));
  expect(database.sum).toBeLessThanOrEqual(us(times.answered - times.released + times.commitTook));
  for (const value of emfValues(lines, "QueryResponseLatency")) expect(value).toBeLessThanOrEqual(Math.ceil(us(times.answered - times.sent)));
  for (const value of emfValues(lines, "QueryDatabaseResponseLatency")) expect(value).toBeLessThanOrEqual(Math.ceil(us(times.answered - times.released)));
});
