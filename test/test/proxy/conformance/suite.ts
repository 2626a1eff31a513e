/**
 * The conformance suite every engine of the trial proxy passes, with a real server and the engine's real client
 * library: pooling, pinning, isolation, the borrow timeout, a client that disconnects mid-transaction, a database
 * restart, hostile bytes, and metrics (Prometheus, admin views, EMF, the trial report). An engine takes part with
 * one fixture (fixture.ts) and one test file calling describeEngine.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { type RunningProxy, runProxy } from "../support.js";
import type { EngineClient, EngineFixture, ThrowawayServer } from "./fixture.js";

const firstRow = async (client: EngineClient, sql: string): Promise<Record<string, unknown>> => (await client.query(sql))[0]!;
const settingValue = async (client: EngineClient, sql: string): Promise<unknown> => (await firstRow(client, sql)).value;
const backendId = async (fixture: EngineFixture, client: EngineClient): Promise<number> => Number((await firstRow(client, fixture.sql.backendId)).id);
const pinnedLine = (clientId: number | undefined) =>
  new RegExp(
    `\\[WARN\\] \\[proxyEndpoint=default\\] \\[clientConnection=${clientId}\\] The client session was pinned to the database connection \\[dbConnection=\\d+\\] for the remainder of the session\\. The proxy can't reuse this connection until the session ends\\. Reason: `,
  );

export function describeEngine(fixture: EngineFixture): void {
  describe(`${fixture.name}: one database connection shared by many clients`, () => {
    const table = `proxyfit_conformance_${process.pid}`;
    let proxy: RunningProxy;
    let direct: EngineClient;
    const opened: EngineClient[] = [];
    const client = async (options?: { tracked?: string }) => {
      const c = await fixture.connect(proxy.port, options);
      opened.push(c);
      return c;
    };
    beforeAll(async () => {
      direct = await fixture.direct();
      await direct.query(`create table ${table} (id int primary key, note text)`);
      proxy = await runProxy({
        target: fixture.sharedTarget,
        max_connections_percent: "1",
        max_idle_connections_percent: "1",
        connection_borrow_timeout: "1",
      });
    });
    afterAll(async () => {
      await Promise.all(opened.map((c) => c.end()));
      await proxy?.close();
      await direct?.query(`drop table if exists ${table}`);
      await direct?.end();
    });

    test("pooling: clients take turns on the same backend, one transaction at a time", async () => {
      const clients = await Promise.all([client(), client(), client()]);
      const ids = new Set<number>();
      for (let round = 0; round < 3; round++) for (const c of clients) ids.add(await backendId(fixture, c));
      expect(ids.size).toBe(1);
      expect(proxy.proxy.gauges().DatabaseConnections).toBe(1);
      expect(proxy.proxy.gauges().ClientConnections).toBe(3);
      await Promise.all(clients.map((c) => c.end()));
    });

    test("isolation: each client's tracked setting travels with it across the shared connection, and back again", async () => {
      const [first, second] = fixture.tracked.values;
      const a = await client({ tracked: first.set });
      const b = await client({ tracked: second.set });
      const alsoA = await client({ tracked: first.set });
      const plain = await client();
      for (let round = 0; round < 2; round++) {
        expect(await settingValue(a, fixture.tracked.probe)).toBe(first.shows);
        expect(await settingValue(b, fixture.tracked.probe)).toBe(second.shows);
        expect(await settingValue(alsoA, fixture.tracked.probe)).toBe(first.shows);
        expect(await settingValue(plain, fixture.tracked.probe)).toBe(fixture.tracked.defaultValue);
      }
      expect(proxy.proxy.gauges().DatabaseConnections).toBe(1);
      await Promise.all([a.end(), b.end(), alsoA.end(), plain.end()]);
    });

    test("borrow timeout: a transaction holds the connection; a borrow that waits past connection_borrow_timeout gets an error", async () => {
      const a = await client();
      const b = await client();
      await a.query("begin");
      await a.query("select 1");
      const error = fixture.errorFacts(await b.query("select 2").catch((e: unknown) => e));
      expect(error.code).toBe(fixture.borrowTimeout.code);
      expect(error.message).toMatch(fixture.borrowTimeout.message);
      await a.query("commit");
      // The connection is free again and b carries on.
      expect(await b.query("select 3 as n")).toEqual([{ n: 3 }]);
      await a.end();
      await b.end();
    });

    test("client disconnect mid-transaction: its work is rolled back before anyone else gets the connection", async () => {
      const a = await client();
      await a.query("begin");
      await a.query(`insert into ${table} values (1, 'uncommitted')`);
      a.destroy();
      const b = await client();
      expect(Number((await firstRow(b, `select count(*) as n from ${table}`)).n)).toBe(0);
      expect(Boolean((await firstRow(b, fixture.sql.outsideTransaction)).outside)).toBe(true);
      await b.end();
    });

    test("pinning: the statement pins with RDS Proxy's log line, and what it set never reaches the next client", async () => {
      const first = await client();
      const id = await backendId(fixture, first);
      await first.query(fixture.pinning.sql);
      const me = proxy.proxy.clients().find((c) => c.pinRule !== undefined);
      expect(me?.pinRule).toBe(fixture.pinning.rule);
      expect(proxy.proxy.gauges().DatabaseConnectionsCurrentlySessionPinned).toBe(1);
      expect(proxy.logs.findLast((l) => l.includes("was pinned"))).toMatch(pinnedLine(me?.id));
      expect(await settingValue(first, fixture.pinning.probe)).toBe(fixture.pinning.pinnedValue);
      await first.end();
      const next = await client();
      expect(await backendId(fixture, next)).toBe(id);
      expect(await settingValue(next, fixture.pinning.probe)).toBe(fixture.pinning.defaultValue);
      await next.end();
    });
  });

  test(`${fixture.name}: isolation: what a pinning statement sets is never visible to a concurrent client`, async () => {
    const proxy = await runProxy({ target: fixture.sharedTarget, max_connections_percent: "2", max_idle_connections_percent: "2" });
    const a = await fixture.connect(proxy.port);
    const b = await fixture.connect(proxy.port);
    try {
      await a.query(fixture.pinning.sql);
      for (let i = 0; i < 5; i++) {
        expect(await settingValue(b, fixture.pinning.probe)).toBe(fixture.pinning.defaultValue);
        expect(await settingValue(a, fixture.pinning.probe)).toBe(fixture.pinning.pinnedValue);
      }
    } finally {
      await Promise.all([a.end(), b.end()]);
      await proxy.close();
    }
  });

  describe(`${fixture.name}: the database restarts`, () => {
    let server: ThrowawayServer;
    let proxy: RunningProxy;
    beforeAll(async () => {
      server = await fixture.startServer();
      // Clients that arrive while the database is down wait up to 30 s for the proxy to reconnect.
      proxy = await runProxy({ target: server.target, admin: "off", max_connections_percent: "10", connection_borrow_timeout: "30" });
    });
    afterAll(async () => {
      await proxy?.close();
      await server?.stop();
    });

    async function waitForSleeper(): Promise<void> {
      const direct = await server.direct();
      try {
        await vi.waitFor(async () => expect(Number((await firstRow(direct, fixture.sql.sleepersRunning)).n)).toBeGreaterThan(0), {
          timeout: 30_000,
          interval: 20,
        });
      } finally {
        await direct.end();
      }
    }

    test("idle clients carry on; a client in a transaction or running a statement gets the server's error and is disconnected", async () => {
      const idle = await fixture.connect(proxy.port);
      const inTransaction = await fixture.connect(proxy.port);
      const busy = await fixture.connect(proxy.port);
      const before = await backendId(fixture, idle);
      await inTransaction.query("begin");
      await inTransaction.query("select 1");
      // A statement running when the server goes down fails with the server's own error.
      const running = busy.query(fixture.sql.sleep(30)).catch((e: unknown) => e);
      await waitForSleeper();
      const restart = server.restart();
      expect(fixture.errorFacts(await running)).toEqual(fixture.serverShutdown);
      // Arrives while the server is down: waits for the proxy to reconnect.
      const during = idle.query(fixture.sql.backendId);
      await restart;
      expect(Number((await during)[0]!.id)).not.toBe(before);
      // The open transaction is gone, and its client with it, as a direct connection would be.
      expect(fixture.errorFacts(await inTransaction.lost).code).toBe(fixture.serverShutdown.code);
      expect(await inTransaction.query("select 2").catch((e: unknown) => e)).toBeInstanceOf(Error);
      expect(proxy.proxy.gauges().ClientConnections).toBe(1);
      expect(proxy.logs.some((l) => /cannot connect to the database .* retrying in \d+ ms/.test(l))).toBe(true);
      await Promise.all([idle.end(), busy.end()]);
    });
  });

  test(`${fixture.name}: hostile bytes: random bytes instead of a login do not disturb a steady client`, async () => {
    const proxy = await runProxy({ target: fixture.sharedTarget, max_connections_percent: "3", max_idle_connections_percent: "3" });
    const steady = await fixture.connect(proxy.port);
    let served = 0;
    let failure: unknown;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        try {
          expect(await steady.query(`select ${served} as n`)).toEqual([{ n: served }]);
          served++;
        } catch (error) {
          failure = error;
          return;
        }
      }
    })();
    try {
      for (let i = 0; i < 50; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect({ host: "127.0.0.1", port: proxy.port }, () => socket.end(randomBytes(1 + ((i * 37) % 300))));
          socket.on("error", () => {});
          socket.on("data", () => {});
          socket.on("close", () => resolve());
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 500).unref();
        });
      }
      // Progress, however long a loaded machine takes to show it.
      const before = served;
      await expect.poll(() => served, { timeout: 20_000 }).toBeGreaterThan(before);
      expect(failure).toBeUndefined();
      const fresh = await fixture.connect(proxy.port);
      expect(await fresh.query("select 42 as n")).toEqual([{ n: 42 }]);
      await fresh.end();
    } finally {
      stopped = true;
      await loop;
      await steady.end();
      await proxy.close();
    }
  });

  test(`${fixture.name}: metrics, admin views, EMF lines and the trial report`, async () => {
    const reportFile = join(mkdtempSync(join(tmpdir(), "proxyfit-report-")), "trial.json");
    const emf: string[] = [];
    const proxy = await runProxy(
      {
        target: fixture.sharedTarget,
        max_connections_percent: "3",
        max_idle_connections_percent: "3",
        emf: "true",
        emf_interval: "1",
        proxy_name: "trial-1",
        report_file: reportFile,
      },
      { emf: (line) => emf.push(line) },
    );
    const clean = await fixture.connect(proxy.port, { application: "clean-app" });
    const pinned = await fixture.connect(proxy.port, { application: "pinning-app" });
    await clean.query("begin");
    await clean.query("select 1");
    await clean.query("commit");
    await pinned.query(fixture.pinning.sql);
    await pinned.query("select 2");

    const admin = `http://127.0.0.1:${proxy.proxy.adminAddress!.port}`;
    const labels = `{ProxyName="trial-1",TargetGroup="default",Target="${new URL(fixture.sharedTarget).host}"}`;
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain(`ClientConnections${labels} 2`);
    expect(metrics).toContain(`DatabaseConnectionsCurrentlySessionPinned${labels} 1`);
    expect(metrics).toMatch(/^MaxDatabaseConnectionsAllowed\{.*\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^QueryRequests\{.*\} 5$/m);
    expect(metrics).toMatch(/^# TYPE DatabaseConnectionsBorrowLatency histogram$/m);
    expect(metrics).toMatch(/^QueryDatabaseResponseLatency_count\{.*\} [1-9]\d*$/m);

    const user = new URL(fixture.sharedTarget).username;
    const pools = (await (await fetch(`${admin}/pools`)).json()) as Array<{ user: string; borrowed: number }>;
    expect(pools).toEqual([expect.objectContaining({ user, borrowed: 1 })]);
    const clients = (await (await fetch(`${admin}/clients`)).json()) as Array<{ application: string; pinRule?: string; state: string }>;
    expect(clients.map((c) => [c.application, c.state, c.pinRule])).toEqual([
      ["clean-app", "ready", undefined],
      ["pinning-app", "pinned", fixture.pinning.rule],
    ]);
    expect((await fetch(`${admin}/nowhere`)).status).toBe(404);

    // A line written after the traffic: gauges as they are now. Counters are per interval, and on a loaded machine an
    // interval can end in the middle of the traffic, so they are summed over every line.
    const linesBefore = emf.length;
    await vi.waitFor(() => expect(emf.length).toBeGreaterThan(linesBefore), { timeout: 10_000 });
    const lines = emf.map((text) => JSON.parse(text));
    expect(lines.at(-1)._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: "proxyfit", Dimensions: [["ProxyName"]] });
    expect(lines.at(-1)).toMatchObject({ ProxyName: "trial-1", ClientConnections: 2, DatabaseConnectionsCurrentlySessionPinned: 1 });
    expect(lines.reduce((total, line) => total + line.QueryRequests, 0)).toBe(5);

    await clean.end();
    await pinned.end();
    await vi.waitFor(() => expect(proxy.proxy.gauges().ClientConnections).toBe(0));
    expect(await proxy.proxy.close()).toBeDefined();
    const written = JSON.parse(readFileSync(reportFile, "utf8"));
    expect(written.source).toBe("trial-proxy");
    expect(written.summary).toMatchObject({ sessions: 2, pinnedSessions: 1, pinRatio: 0.5 });
    expect(written.summary.pinReasons.map((r: { rule: string }) => r.rule)).toEqual([fixture.pinning.rule]);
    expect(written.sessions.map((s: { application: string; pinned: boolean }) => [s.application, s.pinned])).toEqual([
      ["clean-app", false],
      ["pinning-app", true],
    ]);
    expect(written.replay.peaks.databaseConnections).toBeGreaterThanOrEqual(1);
    expect(written.replay.maxConnections).toBe(proxy.proxy.targetMaxConnections);
  });
}
