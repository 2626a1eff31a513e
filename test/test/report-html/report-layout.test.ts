import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { assess, fileInput, type Report, renderHtml } from "@proxyfit/assessor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Chromium, inPage, launchChromium } from "../../src/browser/chromium.js";
import { realLog } from "../../src/corpus.js";
import { seededRandom } from "../../src/workload/seeded-random.js";

const SAMPLES = new URL("../../../samples/", import.meta.url).pathname;
const SCREENSHOT_DIR = new URL("../../test-output/report-layout/", import.meta.url).pathname;
/** A desktop window and a narrow one: tables squeeze and charts scale down in the second. */
const VIEWPORTS = [
  { width: 1200, height: 900 },
  { width: 720, height: 900 },
];

let chromium: Chromium;
let sample: Report;

beforeAll(async () => {
  chromium = await launchChromium();
  sample = await assess([await fileInput(join(SAMPLES, "postgresql.log.gz"))], { instanceClass: "db.t3.micro" });
  await mkdir(SCREENSHOT_DIR, { recursive: true });
});

afterAll(async () => {
  await chromium?.close();
});

/** The little of the browser's DOM the in-page readers below use (this package compiles without the DOM library). */
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface PageElement {
  id: string;
  textContent: string | null;
  getBoundingClientRect(): Box;
  getClientRects(): { length: number };
  querySelectorAll(selector: string): Iterable<PageElement>;
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> };

/** Every pair of SVG text elements whose boxes (as Chromium lays them out) intersect, and every text cut off. */
function textLayout(): { texts: number; overlaps: string[]; outside: string[] } {
  const overlaps: string[] = [];
  const outside: string[] = [];
  let texts = 0;
  // Half a pixel of tolerance: boxes that only touch do not overlap.
  const intersect = (a: Box, b: Box) =>
    a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (const svg of document.querySelectorAll("svg")) {
    const frame = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll("text")].map((text) => ({
      text: text.textContent ?? "",
      box: text.getBoundingClientRect(),
    }));
    texts += boxes.length;
    for (const [i, a] of boxes.entries()) {
      const { left, right, top, bottom } = a.box;
      if (left < frame.left - 0.5 || right > frame.right + 0.5 || top < frame.top - 0.5 || bottom > frame.bottom + 0.5) {
        outside.push(`${svg.id}: "${a.text}"`);
      }
      for (const b of boxes.slice(i + 1)) {
        if (intersect(a.box, b.box)) overlaps.push(`${svg.id}: "${a.text}" and "${b.text}"`);
      }
    }
  }
  return { texts, overlaps, outside };
}

/** Rule ids laid out on more than one line. */
function brokenRuleIds(): string[] {
  return [...document.querySelectorAll("code.rule-id")]
    .filter((code) => code.getClientRects().length !== 1)
    .map((code) => code.textContent ?? "");
}

/** Renders the report, opens it at each viewport and checks the layout; returns the page's visible text. */
async function checkLayout(name: string, report: Report): Promise<string> {
  const page = await chromium.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  try {
    await page.setContent(renderHtml(report));
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const layout = (await page.evaluate(inPage(textLayout))) as ReturnType<typeof textLayout>;
      expect(layout.texts, `${name}: SVG text elements`).toBeGreaterThan(0);
      expect(layout.overlaps, `${name} at ${viewport.width} px: overlapping labels`).toEqual([]);
      expect(layout.outside, `${name} at ${viewport.width} px: labels cut off`).toEqual([]);
      expect(await page.evaluate(inPage(brokenRuleIds)), `${name} at ${viewport.width} px: rule ids`).toEqual([]);
    }
    await page.setViewportSize(VIEWPORTS[0]!);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    expect(errors).toEqual([]);
    return await page.innerText("main");
  } finally {
    await page.close();
  }
}

/** The limits the connections chart draws, read from the page as rendered. */
async function drawnLimits(report: Report): Promise<number[]> {
  const page = await chromium.context.newPage();
  try {
    await page.setContent(renderHtml(report));
    return await page.$$eval("#chart-connections line[data-threshold]", (lines) =>
      lines.map((line) => Number(line.getAttribute("data-threshold"))),
    );
  } finally {
    await page.close();
  }
}

/**
 * The sample's report with other limits and levels: max_connections, the recommended max_connections_percent, and the
 * replay's series (each scaled to the given peak), everything else as the sample has it.
 */
function variant(
  limits: { maxConnections?: number; percent: number },
  peaks?: { clients: number; database: number },
): Report {
  const report = structuredClone(sample);
  const replay = report.replay!;
  const recommendation = report.recommendation!;
  recommendation.connection_pool_config.max_connections_percent = limits.percent;
  if (limits.maxConnections === undefined) {
    delete recommendation.target.max_connections;
    delete replay.maxConnections;
    delete replay.proxyConnectionLimit;
    delete replay.baseline.maxConnections;
  } else {
    recommendation.target.max_connections = limits.maxConnections;
    replay.maxConnections = limits.maxConnections;
    replay.baseline.maxConnections = limits.maxConnections;
  }
  if (peaks) {
    const scale = (values: number[], peak: number) => {
      const max = Math.max(1, ...values);
      return values.map((value) => Math.round((value / max) * peak));
    };
    replay.series.clientConnections = scale(replay.series.clientConnections, peaks.clients);
    replay.series.databaseConnections = scale(replay.series.databaseConnections, peaks.database);
    replay.peaks.clientConnections = peaks.clients;
    replay.peaks.databaseConnections = peaks.database;
    replay.baseline.peakConcurrentSessions = peaks.clients;
    recommendation.expected.peak_client_connections = peaks.clients;
    recommendation.expected.peak_database_connections = peaks.database;
  }
  return report;
}

/** Three days of log: the replay's 9,970 buckets of 26 s, a busy daytime and one burst. */
function threeDays(): Report {
  const report = structuredClone(sample);
  const random = seededRandom(15);
  const buckets = 9970;
  const clients = Array.from({ length: buckets }, (_, i) => {
    const day = Math.sin((i / buckets) * 3 * 2 * Math.PI) * 20 + 30;
    return Math.round(day + random() * 10) + (i === 6000 ? 40 : 0);
  });
  const replay = report.replay!;
  replay.bucketSeconds = 26;
  replay.series = {
    clientConnections: clients,
    databaseConnections: clients.map((value) => Math.ceil(value / 4)),
    pinnedConnections: clients.map((value) => (value > 45 ? 2 : 0)),
    waitingClients: clients.map(() => 0),
  };
  replay.peaks = { clientConnections: Math.max(...clients), databaseConnections: Math.ceil(Math.max(...clients) / 4), pinnedConnections: 2 };
  const end = Date.parse(replay.start) + buckets * 26_000;
  report.summary.lastEventAt = new Date(end).toISOString();
  return report;
}

/** The trial proxy's report: refused connections and statements it could not see into, with long examples. */
function trialReport(): Report {
  const report = structuredClone(sample);
  report.source = "trial-proxy";
  report.trial = {
    refusedConnections: [
      {
        reason: "startup_options",
        message: "unsupported startup parameter: options (RDS Proxy refuses it)",
        count: 1,
        examples: ["-c search_path=tenant_00042,public -c statement_timeout=5000 -c application_name=billing-nightly-export"],
      },
    ],
    notInspected: {
      statements: 1,
      sessions: 1,
      kinds: [
        {
          kind: "function_call",
          statements: 1,
          sessions: 1,
          examples: [`SELECT refresh_materialized_${"x".repeat(180)}()`],
        },
      ],
    },
  };
  return report;
}

describe("the HTML report laid out by Chromium: no label on another, none cut off, rule ids on one line", () => {
  it("for every bundled sample", async () => {
    const files = (await readdir(SAMPLES)).sort();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const report = await assess([await fileInput(join(SAMPLES, file))], { instanceClass: "db.t3.micro" });
      const text = await checkLayout(`sample-${file}`, report);
      expect(text, file).not.toMatch(/\b1 (sessions|statements|connections|clients|buckets)\b/);
      for (const item of (report.costs?.options ?? []).flatMap((option) => option.lineItems)) {
        // The unit price with every digit it has: 0.015 and 0.0168, never 0.02.
        const label = item.item.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        const shown = new RegExp(`${label}: [-\\d,]+ × \\$([\\d.]+) per`).exec(text)?.[1];
        expect(Number(shown), `${file}: ${item.item}`).toBe(item.unitUsd);
      }
    }
  });

  // Real logs of longer spans: 22 minutes of a mixed workload, and six lines spread over 185 days.
  for (const log of ["other/quellog/comprehensive/csvlog.csv", "pgbadger/weeknumber.log"]) {
    it(`for the real log ${log}`, async () => {
      const report = await assess([await fileInput(realLog(log))], { instanceClass: "db.t3.micro" });
      await checkLayout(`real-${log.replaceAll("/", "-")}`, report);
    });
  }

  for (const [name, build] of [
    ["limit-equals-max-connections", () => variant({ maxConnections: 85, percent: 100 })],
    ["peak-equals-limit", () => variant({ maxConnections: 85, percent: 90 }, { clients: 76, database: 76 })],
    ["limits-one-apart", () => variant({ maxConnections: 100, percent: 99 }, { clients: 99, database: 30 })],
    ["tiny", () => variant({ maxConnections: 2, percent: 50 }, { clients: 1, database: 1 })],
    ["huge", () => variant({ maxConnections: 120_000, percent: 90 }, { clients: 110_000, database: 9_999 })],
    ["limits-far-above-the-data", () => variant({ maxConnections: 5000, percent: 90 }, { clients: 40, database: 8 })],
    ["max-connections-unknown", () => variant({ percent: 90 })],
    ["three-days", threeDays],
    ["trial-proxy", trialReport],
  ] as const) {
    it(`for a synthetic report: ${name}`, async () => {
      await checkLayout(name, build());
    });
  }
});

describe("the HTML report says what the verdict says", () => {
  it("draws the proxy limit at the recommended max_connections_percent", async () => {
    expect(await drawnLimits(variant({ maxConnections: 85, percent: 90 }))).toEqual([85, 76]);
    expect(await drawnLimits(variant({ maxConnections: 85, percent: 100 }))).toEqual([85]);
    expect(await drawnLimits(variant({ maxConnections: 100, percent: 99 }, { clients: 99, database: 30 }))).toEqual([
      100, 99,
    ]);
  });

  it("highlights the option the verdict picked in the cost table, and only that one", async () => {
    for (const verdict of ["rds-proxy", "self-hosted-pooler", "no-proxy"] as const) {
      const report = structuredClone(sample);
      report.recommendation!.verdict = verdict;
      const page = await chromium.context.newPage();
      try {
        await page.setContent(renderHtml(report));
        const highlighted = await page.$$eval("#costs tr.recommended", (rows) =>
          rows.map((row) => row.getAttribute("data-option")),
        );
        expect(highlighted).toEqual([verdict]);
      } finally {
        await page.close();
      }
    }
  });

  it("keeps three days of log to a chart of a few hundred steps", async () => {
    const report = threeDays();
    const page = await chromium.context.newPage();
    try {
      await page.setContent(renderHtml(report));
      const chart = await page.$eval("#chart-connections", (svg) => ({
        points: Number(svg.getAttribute("data-points")),
        bytes: svg.outerHTML.length,
        peak: svg.parentElement?.querySelector(".legend b")?.textContent,
      }));
      expect(chart.points).toBeLessThanOrEqual(440);
      expect(chart.points).toBeGreaterThan(200);
      expect(chart.bytes).toBeLessThan(40_000);
      expect(chart.peak).toBe(`peak ${Math.max(...report.replay!.series.clientConnections)}`);
    } finally {
      await page.close();
    }
  });
});
