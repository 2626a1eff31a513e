import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Report } from "@proxyfit/assessor";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Chromium, inPage, launchChromium } from "../../src/browser/chromium.js";
import { type TestServer, TOKEN, startTestServer } from "../server/api-client.js";
import { produceRealLogs, type RealLogs } from "../server/real-logs.js";

const SCREENSHOT_DIR = new URL("../../test-output/report-html/", import.meta.url).pathname;

let logs: RealLogs;
let api: TestServer;
let chromium: Chromium;

beforeAll(async () => {
  chromium = await launchChromium({ extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
  logs = await produceRealLogs(["web-traffic"]);
  api = await startTestServer();
});

afterAll(async () => {
  await chromium?.close();
  await api?.stop();
  await logs?.remove();
});

/** The little of the browser's DOM the in-page readers below use (this package compiles without the DOM library). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBBox(): { width: number };
}
declare const document: { getElementById(id: string): PageElement | null };

/** The values a step chart draws, read back from the rendered path through the axis the svg declares. */
function readChart(chartId: string, series: string): number[] {
  const svg = document.getElementById(chartId)!;
  const yMax = Number(svg.dataset.yMax);
  const top = Number(svg.dataset.plotTop);
  const bottom = Number(svg.dataset.plotBottom);
  const d = svg.querySelector(`path[data-series="${series}"]`)!.getAttribute("d")!;
  const ys = [Number(/^M[\d.]+,([\d.]+)/.exec(d)![1]), ...[...d.matchAll(/V([\d.]+)/g)].map((m) => Number(m[1]))];
  return ys.map((y) => Math.round(((bottom - y) / (bottom - top)) * yMax));
}

/** Bar lengths as laid out by the browser, in the chart's value units. */
function readBars(chartId: string): Array<[string, number]> {
  const svg = document.getElementById(chartId)!;
  const max = Number(svg.dataset.xMax);
  const space = Number(svg.dataset.barSpace);
  return [...svg.querySelectorAll("g[data-key]")].map((group) => {
    const rect = group.querySelector("rect")!;
    return [group.getAttribute("data-key")!, Math.round((rect.getBBox().width / space) * max)];
  });
}

function groupMax(values: number[], group: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += group) out.push(Math.max(...values.slice(i, i + group)));
  return out;
}

it("shows the report of a real workload in Chromium: verdict first, charts holding the report's data", async () => {
  const log = logs.logs.find((l) => l.kind === "stderr")!;
  const created = await api.call(`/v1/assessments?name=${log.name}&instance-class=db.t3.medium`, {
    method: "POST",
    body: await readFile(log.path),
    headers: { "content-type": "text/plain" },
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const report = (await (await api.call(`/v1/assessments/${id}`)).json()) as Report;
  expect(report.replay, "the assessor replays connections").toBeDefined();
  const replay = report.replay!;

  const page = await chromium.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  const url = `${api.server.url}/v1/assessments/${id}/report.html`;
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);

  const sections = await page.$$eval("main > section", (all) => all.map((section) => section.id));
  if (report.recommendation) {
    expect(sections[0]).toBe("verdict");
    expect(await page.textContent("[data-verdict]")).toBeTruthy();
  }
  expect(sections).toEqual(expect.arrayContaining(["connections", "pinned", "pin-reasons", "top-statements", "inputs"]));

  const group = Number(await page.getAttribute("#chart-connections", "data-bucket-group"));
  for (const [chart, series] of [
    ["chart-connections", "clientConnections"],
    ["chart-connections", "databaseConnections"],
    ["chart-pinned", "pinnedConnections"],
  ] as const) {
    const drawn = await page.evaluate(inPage(readChart, chart, series));
    expect(drawn, `${chart} ${series}`).toEqual(groupMax(replay.series[series], group));
  }
  expect(Math.max(...replay.series.clientConnections)).toBeGreaterThan(5);

  const bars = (await page.evaluate(inPage(readBars, "chart-pin-reasons"))) as Array<[string, number]>;
  expect(bars).toEqual(
    [...report.summary.pinReasons].sort((a, b) => b.count - a.count).map((reason) => [reason.rule, reason.count]),
  );

  const statementRows = await page.$$eval("#top-statements tbody tr", (rows) =>
    rows.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent ?? "")),
  );
  expect(statementRows).toHaveLength(report.topPinningStatements.length);
  for (const [index, statement] of report.topPinningStatements.entries()) {
    const [, rule, fix, count] = statementRows[index]!;
    expect(rule).toContain(statement.rule);
    expect(fix).toBe(report.summary.pinReasons.find((reason) => reason.rule === statement.rule)?.remediation);
    expect(count).toBe(statement.count.toLocaleString("en-US"));
  }
  if (report.recommendation) {
    const terraform = await page.textContent("#terraform");
    expect(terraform).toContain(
      `max_connections_percent      = ${report.recommendation.connection_pool_config.max_connections_percent}`,
    );
  }

  expect(requests, "the page loads nothing but itself").toEqual([url]);
  expect(errors).toEqual([]);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, "report.png"), fullPage: true });
  await writeFile(join(SCREENSHOT_DIR, "report.html"), await page.content());
});
