/**
 * What an operator sees: Prometheus /metrics with RDS Proxy's metric names, the admin views, CloudWatch EMF lines,
 * and the trial report in the assessor's report schema.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { expect, test, vi } from "vitest";
import { loadSettings, startProxy } from "../../../src/index.js";
import { TARGET } from "./support/harness.js";

test("metrics, admin views, EMF lines and the trial report", async () => {
  const reportFile = join(mkdtempSync(join(tmpdir(), "proxyfit-report-")), "trial.json");
  const emf: string[] = [];
  const proxy = await startProxy(
    loadSettings({
      flags: {
        target: TARGET,
        listen: "127.0.0.1:0",
        admin: "127.0.0.1:0",
        max_connections_percent: "3",
        max_idle_connections_percent: "3",
        emf: "true",
        emf_interval: "1",
        proxy_name: "trial-1",
        report_file: reportFile,
      },
    }),
    { log: () => {}, emf: (line) => emf.push(line) },
  );
  const connect = async (application_name: string) => {
    const c = new pg.Client({ host: "127.0.0.1", port: proxy.address.port, user: "postgres", database: "postgres", application_name });
    await c.connect();
    return c;
  };
  const clean = await connect("clean-app");
  const pinned = await connect("pinning-app");
  await clean.query("begin");
  await clean.query("select 1");
  await clean.query("commit");
  await clean.query({ name: "q", text: "select $1::int", values: [1] });
  await pinned.query("set work_mem = '8MB'");
  await pinned.query("select 2");

  const admin = `http://127.0.0.1:${proxy.adminAddress!.port}`;
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  expect(metrics).toContain('ClientConnections{ProxyName="trial-1",TargetGroup="default",Target="127.0.0.1:5432"} 2');
  expect(metrics).toContain('DatabaseConnectionsCurrentlySessionPinned{ProxyName="trial-1",TargetGroup="default",Target="127.0.0.1:5432"} 1');
  expect(metrics).toMatch(/^MaxDatabaseConnectionsAllowed\{.*\} 3$/m);
  expect(metrics).toMatch(/^QueryRequests\{.*\} 6$/m);
  expect(metrics).toMatch(/^# TYPE DatabaseConnectionsBorrowLatency histogram$/m);
  expect(metrics).toMatch(/^QueryDatabaseResponseLatency_count\{.*\} [1-9]\d*$/m);

  const pools = (await (await fetch(`${admin}/pools`)).json()) as Array<{ user: string; connections: number; borrowed: number }>;
  expect(pools).toEqual([expect.objectContaining({ user: "postgres", database: "postgres", borrowed: 1 })]);
  const clients = (await (await fetch(`${admin}/clients`)).json()) as Array<{ application: string; pinRule?: string; state: string }>;
  expect(clients.map((c) => [c.application, c.state, c.pinRule])).toEqual([
    ["clean-app", "ready", undefined],
    ["pinning-app", "pinned", "pg.set"],
  ]);
  expect((await fetch(`${admin}/nowhere`)).status).toBe(404);

  // A line written after the traffic: gauges as they are now. Counters are per interval, and on a loaded machine an
  // interval can end in the middle of the traffic, so they are summed over every line.
  const linesBefore = emf.length;
  await vi.waitFor(() => expect(emf.length).toBeGreaterThan(linesBefore), { timeout: 10_000 });
  const lines = emf.map((text) => JSON.parse(text));
  expect(lines.at(-1)._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: "proxyfit", Dimensions: [["ProxyName"]] });
  expect(lines.at(-1)).toMatchObject({ ProxyName: "trial-1", ClientConnections: 2, DatabaseConnectionsCurrentlySessionPinned: 1 });
  expect(lines.reduce((total, line) => total + line.QueryRequests, 0)).toBe(6);

  await clean.end();
  await pinned.end();
  await new Promise((r) => setTimeout(r, 100));
  const report = await proxy.close();
  expect(report).toBeDefined();
  const written = JSON.parse(readFileSync(reportFile, "utf8"));
  expect(written.source).toBe("trial-proxy");
  expect(written.summary).toMatchObject({ sessions: 2, pinnedSessions: 1, pinRatio: 0.5 });
  expect(written.summary.pinReasons.map((r: { rule: string }) => r.rule)).toEqual(["pg.set"]);
  expect(written.sessions.map((s: { application: string; pinned: boolean }) => [s.application, s.pinned])).toEqual([
    ["clean-app", false],
    ["pinning-app", true],
  ]);
  expect(written.replay.peaks.databaseConnections).toBeGreaterThanOrEqual(1);
  expect(written.replay.maxConnections).toBe(100);
});
