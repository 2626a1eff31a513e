import { describe, expect, it } from "vitest";
import type { Recommendation } from "../../src/recommendation/recommendation.js";
import { renderHtml } from "../../src/report/html.js";
import type { Report } from "../../src/report/report.js";

/** A report model as assess() builds it; the renderer only reads the model, so the model is the input here. */
function report(overrides: Partial<Report> = {}): Report {
  return {
    schemaVersion: "1.0",
    tool: { name: "proxyfit", version: "0.1.0" },
    generatedAt: "2026-11-24T12:00:00.000Z",
    engine: "postgresql",
    profile: "rds-proxy",
    source: "logs",
    inputs: [
      {
        file: "postgresql.log",
        format: "pg-stderr",
        prefix: "%m [%p] ",
        prefixSource: "detected",
        compressed: false,
        bytes: 1000,
        linesRead: 40,
        linesNotUnderstood: 1,
        events: 39,
        problems: [{ line: 7, reason: "no timestamp", text: "secret customer value 4111-1111" }],
        coverage: {
          complete: true,
          statements: "all",
          everyPinningEvent: true,
          statementLines: { atStart: 0, atCompletion: 60, fromErrors: 0 },
          loggedAtStart: "none",
          durationThreshold: { estimateMs: 0, shortestMs: 0.01, belowEstimate: 0, method: "" },
          durations: "all",
          connectionLines: 10,
          disconnectionLines: 10,
          sessionsFrom: "connection-lines",
          extendedProtocol: { parse: 0, bind: 0, execute: 0 },
          volume: { statements: 60, bytesPerStatement: 16, statementsPerSecond: 6.667, spanSeconds: 9 },
          missing: [],
        },
      },
    ],
    summary: {
      sessions: 10,
      pinnedSessions: 3,
      pinRatio: 0.3,
      pinRatioRange: { min: 0.2, max: 0.3 },
      coverage: {
        complete: true,
        statementsComplete: true,
        sessionCountIsLowerBound: false,
        sessionsWithoutStatements: 0,
        missing: [],
      },
      ambiguousOnlySessions: 1,
      transactions: 20,
      statements: 60,
      statementsClassifiedLexically: 0,
      errors: 0,
      firstEventAt: "2026-11-24T10:00:00.000Z",
      lastEventAt: "2026-11-24T10:00:09.000Z",
      pinReasons: [
        {
          rule: "pg.set",
          title: "SET of a session parameter",
          ambiguous: false,
          count: 12,
          sessions: 2,
          firstPinSessions: 2,
          remediation: "Move the SET into init_query",
          exampleFingerprints: ["a1"],
        },
        {
          rule: "pg.set_local",
          title: "SET LOCAL",
          ambiguous: true,
          count: 3,
          sessions: 1,
          firstPinSessions: 1,
          remediation: "Keep SET LOCAL inside transactions",
          exampleFingerprints: ["b2"],
        },
      ],
    },
    sessions: [],
    topPinningStatements: [
      { fingerprint: "a1", rule: "pg.set", statement: "SET search_path TO <script>alert(1)</script>", count: 12, sessions: 2 },
    ],
    ...overrides,
  };
}

const recommendation: Recommendation = {
  schema_version: "1.0",
  generated_at: "2026-11-24T12:00:00.000Z",
  engine_family: "POSTGRESQL",
  verdict: "rds-proxy",
  reasons: ["70% of sessions can share connections"],
  evidence: [],
  thin_evidence: [],
  target: { aurora: false, instance_class: "db.r6g.large", max_connections: 1700 },
  connection_pool_config: {
    max_connections_percent: 90,
    max_idle_connections_percent: 45,
    connection_borrow_timeout: 120,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an init_query that looks like an HCL template
    init_query: "SET search_path TO '${tenant}'",
    session_pinning_filters: [],
  },
  idle_client_timeout: 1800,
  require_tls: true,
  client_password_auth_type: "POSTGRES_SCRAM_SHA_256",
  read_only_endpoint: { recommended: false, reason: "no read-only traffic" },
  alarms: { pinned_connections_percent: 30, borrow_latency_us: 100_000 },
  remediations: [{ rule: "pg.set", action: "Move the SET into init_query", sessions_affected: 2, pin_ratio_after: 0.1 }],
  expected: {
    pin_ratio: 0.3,
    pin_ratio_range: { min: 0.2, max: 0.3 },
    peak_client_connections: 9,
    peak_database_connections: 4,
  },
};

const costs: NonNullable<Report["costs"]> = {
  currency: "USD",
  hoursPerMonth: 730,
  priceSource: { kind: "built-in", asOf: "2026-11-24", region: "us-east-1" },
  options: [
    {
      option: "rds-proxy",
      monthlyUsd: 21.9,
      summary: "2 vCPU",
      lineItems: [{ item: "RDS Proxy", quantity: 2, unit: "vCPU-hour", unitUsd: 0.015, monthlyUsd: 21.9 }],
    },
    {
      option: "self-hosted-pooler",
      monthlyUsd: 24.53,
      summary: "pair",
      lineItems: [{ item: "EC2 t4g.small", quantity: 2, unit: "instance-hour", unitUsd: 0.0168, monthlyUsd: 24.53 }],
    },
    { option: "no-proxy", monthlyUsd: 0, summary: "no change", lineItems: [] },
  ],
  notes: [],
};

function replay(clients: number[], database: number[], pinned: number[]): NonNullable<Report["replay"]> {
  return {
    bucketSeconds: 1,
    start: "2026-11-24T10:00:00.000Z",
    series: { clientConnections: clients, databaseConnections: database, pinnedConnections: pinned, waitingClients: [] },
    peaks: {
      clientConnections: Math.max(...clients),
      databaseConnections: Math.max(...database),
      pinnedConnections: Math.max(...pinned),
    },
    p99: { clientConnections: 9, databaseConnections: 4, pinnedConnections: 3 },
    multiplexingFactor: 2.25,
    maxConnections: 5000,
    maxConnectionsPercent: 100,
    proxyConnectionLimit: 5000,
    borrowWaits: { count: 0, maxWaitMs: 0, totalWaitMs: 0, periods: [] },
    baseline: { peakConcurrentSessions: 9, maxConnections: 5000, exceeded: false },
    notes: ["the log has millisecond timestamps: waits shorter than 1 ms are not seen"],
  };
}

/** Reads a step path back into per-point values through the axis the svg declares. */
function readSeries(html: string, chartId: string, series: string): number[] {
  const svg = new RegExp(`<svg class="chart" id="${chartId}"[^>]*>`).exec(html)?.[0];
  if (!svg) throw new Error(`no chart ${chartId}`);
  const attr = (name: string) => Number(new RegExp(`${name}="([^"]+)"`).exec(svg)![1]);
  const [yMax, top, bottom] = [attr("data-y-max"), attr("data-plot-top"), attr("data-plot-bottom")];
  const start = html.indexOf(svg);
  const d = new RegExp(`<path class="line" d="([^"]+)"[^>]*data-series="${series}"`).exec(html.slice(start))![1]!;
  const ys = [Number(/^M[\d.]+,([\d.]+)/.exec(d)![1]), ...[...d.matchAll(/V([\d.]+)/g)].map((m) => Number(m[1]))];
  return ys.map((y) => Math.round(((bottom - y) / (bottom - top)) * yMax));
}

describe("renderHtml", () => {
  it("puts the verdict first and every section in order when the report has them", () => {
    const html = renderHtml(
      report({
        recommendation,
        replay: replay([1, 4, 9, 3], [1, 2, 4, 2], [0, 1, 3, 1]),
        configFindings: [
          {
            rule: "config.pgjdbc.prepare_threshold",
            severity: "pin",
            file: "application.properties",
            line: 3,
            setting: "prepareThreshold=5",
            family: "pgjdbc",
            message: "server-side prepared statements",
            fix: "prepareThreshold=0",
          },
        ],
        costs: { ...costs, notes: ["self-hosted pooler: no EC2 price for the region"] },
      }),
    );
    const order = [
      "verdict",
      "figures",
      "connections",
      "pinned",
      "pin-reasons",
      "top-statements",
      "config-findings",
      "costs",
      "configuration",
      "inputs",
    ].map((id) => html.indexOf(`<section id="${id}"`));
    expect(order.every((position) => position > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('data-verdict="rds-proxy"');
    expect(html).toContain("Move the SET into init_query");
    expect(html).toContain("prepareThreshold=5");
    expect(html).toContain("$21.90");
    expect(html).toContain("self-hosted pooler: no EC2 price for the region");
  });

  it("draws the replay series so they can be read back from the SVG", () => {
    const html = renderHtml(report({ replay: replay([1, 4, 9, 3, 0], [1, 2, 4, 2, 0], [0, 1, 3, 1, 0]) }));
    expect(readSeries(html, "chart-connections", "clientConnections")).toEqual([1, 4, 9, 3, 0]);
    expect(readSeries(html, "chart-connections", "databaseConnections")).toEqual([1, 2, 4, 2, 0]);
    expect(readSeries(html, "chart-pinned", "pinnedConnections")).toEqual([0, 1, 3, 1, 0]);
    expect(html).toContain("waits shorter than 1 ms are not seen");
    // max_connections 5000 would flatten a chart that peaks at 9: it is named, not drawn.
    expect(html).toContain("max_connections = proxy limit (100%) 5,000 (far above the data, not drawn)");
    expect(html).not.toContain('data-threshold="5000"');
  });

  it("draws a long series at the maximum of each group of buckets, so peaks survive", () => {
    const clients = Array.from({ length: 5000 }, (_, i) => (i === 4321 ? 77 : i % 10));
    const html = renderHtml(report({ replay: replay(clients, clients, clients) }));
    const group = Number(/data-bucket-group="(\d+)"/.exec(html)![1]);
    expect(group).toBeGreaterThan(1);
    const values = readSeries(html, "chart-connections", "clientConnections");
    expect(values).toHaveLength(Math.ceil(5000 / group));
    expect(Math.max(...values)).toBe(77);
    expect(group).toBe(15);
    expect(html).toContain("Each step is the maximum over 15 s (15 buckets of 1 s); times in UTC.");
  });

  it("keeps a chart of days of log to a few hundred round-width steps", () => {
    // Three days: the replay widened its buckets to 26 s (10,000 points at most); six hours: 3 s buckets.
    for (const [bucketSeconds, buckets, step] of [
      [26, 9970, "598 s (23 buckets of 26 s)"],
      [3, 7200, "1 min (20 buckets of 3 s)"],
      [1, 3600, "10 s (10 buckets of 1 s)"],
      [1599, 9997, "10.2 h (23 buckets of 1,599 s)"],
    ] as const) {
      const clients = Array.from({ length: buckets }, (_, i) => (i === 1234 ? 500 : 20 + (i % 37)));
      const html = renderHtml(report({ replay: { ...replay(clients, clients, clients), bucketSeconds } }));
      const points = readSeries(html, "chart-connections", "clientConnections");
      expect(points.length).toBeLessThanOrEqual(440);
      expect(points.length).toBeGreaterThan(150);
      expect(Math.max(...points)).toBe(500);
      expect(html).toContain(`Each step is the maximum over ${step}`);
      const svg = /<svg class="chart" id="chart-connections"[\s\S]*?<\/svg>/.exec(html)![0];
      expect(svg.length).toBeLessThan(40_000);
    }
  });

  it("draws the proxy limit at the recommended max_connections_percent, and one line when it equals max_connections", () => {
    const r = { ...replay([10, 60, 70], [5, 10, 16], [0, 1, 2]), maxConnections: 85, proxyConnectionLimit: 85 };
    const limits = (html: string) =>
      [...html.matchAll(/data-threshold="(\d+)"\/><text[^>]*>([^<]+)<\/text>/g)].map((m) => [Number(m[1]), m[2]]);
    const at90 = renderHtml(
      report({ replay: r, recommendation: { ...recommendation, target: { aurora: false, max_connections: 85 } } }),
    );
    expect(limits(at90)).toEqual([
      [85, "max_connections 85"],
      [76, "proxy limit (90% of max_connections) 76"],
    ]);
    const at100 = renderHtml(report({ replay: r }));
    expect(limits(at100)).toEqual([[85, "max_connections = proxy limit (100%) 85"]]);
  });

  it("sizes pin reason bars by count", () => {
    const html = renderHtml(report());
    const space = Number(/data-bar-space="([\d.]+)"/.exec(html)![1]);
    const max = Number(/data-x-max="([\d.]+)"/.exec(html)![1]);
    const widths = [...html.matchAll(/<g data-key="([^"]+)">.*?<rect class="bar"[^>]* width="([\d.]+)"/g)].map(
      (m) => [m[1], Math.round((Number(m[2]) / space) * max)],
    );
    expect(widths).toEqual([
      ["pg.set", 12],
      ["pg.set_local", 3],
    ]);
  });

  it("leaves out what the report lacks, and shows no verdict without a recommendation", () => {
    const html = renderHtml(report());
    for (const id of ["verdict", "connections", "pinned", "config-findings", "costs", "configuration"]) {
      expect(html).not.toContain(`<section id="${id}"`);
    }
    expect(html).toContain('<section id="pin-reasons"');
  });

  it("counts in the singular when there is one", () => {
    const html = renderHtml(report());
    expect(html).toContain("1 session is pinned only by rules the AWS documentation is ambiguous about");
    expect(html).toContain("in 1 session · ambiguous");
    expect(html).toContain("in 2 sessions");
    expect(html).not.toMatch(/\b1 (session|statement|connection)s\b/);
  });

  it("shows unit prices with every digit, and highlights the option the verdict picked, not the cheapest", () => {
    const html = renderHtml(report({ recommendation, costs }));
    expect(html).toContain("RDS Proxy: 2 × $0.015 per vCPU-hour × 730 h = $21.90");
    expect(html).toContain("EC2 t4g.small: 2 × $0.0168 per instance-hour × 730 h = $24.53");
    expect(html).not.toContain("$0.02");
    const highlighted = [...html.matchAll(/<tr class="recommended" data-option="([^"]+)"/g)].map((m) => m[1]);
    expect(highlighted).toEqual(["rds-proxy"]);
    const noProxy = renderHtml(report({ recommendation: { ...recommendation, verdict: "no-proxy" }, costs }));
    expect([...noProxy.matchAll(/<tr class="recommended" data-option="([^"]+)"/g)].map((m) => m[1])).toEqual([
      "no-proxy",
    ]);
    expect(renderHtml(report({ costs }))).not.toContain('class="recommended"');
    const undecided = renderHtml(report({ recommendation: { ...recommendation, verdict: "not-enough-evidence" }, costs }));
    expect(undecided).not.toContain('class="recommended"');
  });

  it("colours peak sessions against max_connections by the verdict's pressure threshold", () => {
    const card = (peak: number, exceeded = false) => {
      const r = replay([peak], [1], [0]);
      const html = renderHtml(report({ replay: { ...r, baseline: { peakConcurrentSessions: peak, maxConnections: 85, exceeded } } }));
      return /<div class="card( \w+)?"><div class="value">\d+ \/ 85 <small>/.exec(html)?.[1]?.trim();
    };
    expect(card(40)).toBe("good");
    const r = replay([69], [1], [0]);
    const html = renderHtml(report({ replay: { ...r, baseline: { peakConcurrentSessions: 69, maxConnections: 85, exceeded: false } } }));
    expect(html).toContain("69 / 85 <small>(81.2%; pressure above 80%)</small>");
    expect(card(69)).toBe("warn");
    expect(card(90, true)).toBe("bad");
  });

  it("shows what only the trial proxy saw: refused connections and code it could not see into", () => {
    const trial: NonNullable<Report["trial"]> = {
      refusedConnections: [
        {
          reason: "startup_options",
          message: "RDS Proxy does not support the options startup parameter",
          count: 3,
          examples: ["-c search_path=app"],
        },
      ],
      notInspected: {
        statements: 1,
        sessions: 1,
        kinds: [{ kind: "do_block", statements: 1, sessions: 1, examples: ["DO $$ BEGIN PERFORM set_config($1, $2, false); END $$"] }],
      },
    };
    const html = renderHtml(report({ source: "trial-proxy", trial }));
    const section = /<section id="trial">[\s\S]*?<\/section>/.exec(html)![0];
    expect(section).toContain("Connections refused");
    expect(section).toContain("-c search_path=app");
    expect(section).toMatch(/<td class="num">3<\/td>/);
    expect(section).toContain("1 statement in 1 session ran code the rulebook cannot see into");
    expect(section).toContain("DO $$ BEGIN PERFORM set_config($1, $2, false); END $$");
    expect(html.indexOf('<section id="trial"')).toBeGreaterThan(html.indexOf('<section id="top-statements"'));
    const quiet = renderHtml(report({ source: "trial-proxy", trial: { refusedConnections: [], notInspected: { statements: 0, sessions: 0, kinds: [] } } }));
    expect(quiet).toContain("No connection was refused and every statement was inspected.");
    expect(renderHtml(report())).not.toContain('<section id="trial"');
  });

  it("escapes report text and never shows raw line samples", () => {
    const html = renderHtml(report());
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("4111-1111");
  });

  it("gives the recommended configuration as Terraform and JSON, ready to copy", () => {
    const html = renderHtml(report({ recommendation }));
    const terraform = /<pre id="terraform">([\s\S]*?)<\/pre>/.exec(html)![1]!;
    expect(terraform).toContain("max_connections_percent      = 90");
    expect(terraform).toContain("connection_borrow_timeout    = 120");
    // "${" starts an HCL template: escaped as "$${".
    expect(terraform).toContain("init_query                   = &quot;SET search_path TO &#39;$${tenant}&#39;&quot;");
    expect(terraform).toContain("db_instance_identifier = var.db_instance_identifier");
    const json = /<pre id="recommendation-json">([\s\S]*?)<\/pre>/.exec(html)![1]!;
    expect(JSON.parse(json.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&"))).toEqual(
      recommendation,
    );
  });

  it("needs nothing from the network", () => {
    const html = renderHtml(report({ recommendation, replay: replay([1, 2], [1, 1], [0, 1]) }));
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });
});
