import { coverageLine, coverageSummary } from "./coverage-text.js";
import { count, percent, pinRatioText, plural, truncate } from "./format-numbers.js";
import { THRESHOLDS } from "../recommendation/recommend.js";
import { proxyConnectionLimit } from "../replay/connection-replay.js";
import { barChart } from "./html/bar-chart.js";
import { escapeHtml, span, unitUsd, usd, utcTime } from "./html/markup.js";
import { SCRIPT, STYLE } from "./html/style.js";
import { terraformSnippet } from "./html/terraform.js";
import { type Threshold, timeSeriesChart } from "./html/time-series-chart.js";
import type { Recommendation } from "../recommendation/recommendation.js";
import type { CostComparison, Report } from "./report.js";

const COLORS = { client: "#0969da", database: "#1a7f37", pinned: "#cf222e", ambiguous: "#bf8700", limit: "#8250df" };

const VERDICTS = {
  "rds-proxy": "RDS Proxy fits this workload",
  "self-hosted-pooler": "A self-hosted pooler fits better than RDS Proxy",
  "no-proxy": "No proxy needed",
  "not-enough-evidence": "Not enough evidence: the logs could not see every statement",
} as const;

const COST_OPTIONS = { "rds-proxy": "RDS Proxy", "self-hosted-pooler": "Self-hosted pooler", "no-proxy": "No proxy" };

/**
 * The report as one self-contained HTML page: inline CSS and SVG charts, no request at view time. The verdict comes
 * first when the report has a recommendation; every other section appears only when the report has its data.
 */
export function renderHtml(report: Report): string {
  const sections = [
    verdictSection(report),
    coverageSection(report),
    figuresSection(report),
    connectionsSection(report),
    pinnedSection(report),
    pinReasonsSection(report),
    topStatementsSection(report),
    trialSection(report),
    configFindingsSection(report),
    costsSection(report.costs, report.recommendation?.verdict),
    configurationSection(report),
    inputsSection(report),
  ];
  const engine = report.engine === "postgresql" ? "PostgreSQL" : "MySQL / MariaDB";
  const { firstEventAt, lastEventAt } = report.summary;
  const window =
    firstEventAt && lastEventAt
      ? ` · logs ${utcTime(firstEventAt)} → ${utcTime(lastEventAt)} (${span(Date.parse(lastEventAt) - Date.parse(firstEventAt))})`
      : "";
  const source = report.source === "trial-proxy" ? "live traffic through the trial proxy" : "database logs";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>proxyfit: RDS Proxy fit report (${escapeHtml(engine)})</title>
<style>${STYLE}</style></head>
<body><main>
<header><h1>RDS Proxy fit report</h1>
<p>${escapeHtml(engine)} · profile <code>${escapeHtml(report.profile)}</code> · from ${source}${escapeHtml(window)}</p></header>
${sections.filter(Boolean).join("\n")}
<footer>Generated ${escapeHtml(utcTime(report.generatedAt))} by proxyfit ${escapeHtml(report.tool.version)} (report schema ${escapeHtml(report.schemaVersion)}).
This page is self-contained: it loads nothing from the network.</footer>
</main><script>${SCRIPT}</script></body></html>
`;
}

function verdictSection(report: Report): string {
  const recommendation = report.recommendation;
  if (!recommendation) return "";
  const reasons = recommendation.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join("");
  const expected = recommendation.expected;
  const range =
    expected.pin_ratio_range.min === expected.pin_ratio_range.max
      ? percent(expected.pin_ratio)
      : `${percent(expected.pin_ratio_range.min)}–${percent(expected.pin_ratio_range.max)}`;
  return `<section id="verdict" class="verdict ${escapeHtml(recommendation.verdict)}">
<div class="label">Verdict</div>
<div class="headline" data-verdict="${escapeHtml(recommendation.verdict)}">${escapeHtml(VERDICTS[recommendation.verdict])}</div>
<div>Expected pin ratio <b>${range}</b> · peak <b>${count(expected.peak_client_connections)}</b> client connections on
<b>${count(expected.peak_database_connections)}</b> database connections</div>
${reasons ? `<ul>${reasons}</ul>` : ""}
${evidenceList(recommendation.evidence)}
</section>`;
}

/** The figures behind the verdict, those that decided it in bold; the title attribute names each one's source. */
function evidenceList(evidence: NonNullable<Report["recommendation"]>["evidence"] | undefined): string {
  // Reports stored before the verdict had evidence have none.
  if (!evidence || evidence.length === 0) return "";
  const items = evidence.map((e) => {
    const text = escapeHtml(e.statement);
    return `<li title="${escapeHtml(e.source)}">${e.decided ? `<b>${text}</b>` : text}</li>`;
  });
  return `<details class="evidence"><summary>Evidence (decisive figures in bold)</summary><ul>${items.join("")}</ul></details>`;
}

function figuresSection(report: Report): string {
  const { summary, replay } = report;
  const cards: Array<[string, string, string?]> = [
    ["Client sessions", count(summary.sessions)],
    [
      "Pinned sessions",
      `${count(summary.pinnedSessions)} <small>(${pinRatioText(summary)})</small>`,
      summary.pinnedSessions > 0 ? "bad" : "good",
    ],
  ];
  if (replay) {
    cards.push(
      ["Peak client connections", count(replay.peaks.clientConnections)],
      ["Peak database connections needed", count(replay.peaks.databaseConnections)],
      ["Multiplexing", `${replay.multiplexingFactor.toFixed(1)}×`],
      [
        "Borrow waits",
        count(replay.borrowWaits.count),
        replay.borrowWaits.count > 0 ? "bad" : "good",
      ],
    );
    const { peakConcurrentSessions: peak, maxConnections } = replay.baseline;
    if (maxConnections !== undefined) {
      // Coloured by the threshold the verdict uses, so a peak that decided for a proxy is never shown as fine.
      const pressure = peak > THRESHOLDS.connectionPressure * maxConnections;
      cards.push([
        "Without a proxy: peak sessions / max_connections",
        `${count(peak)} / ${count(maxConnections)} <small>(${percent(peak / maxConnections)}; pressure above ${THRESHOLDS.connectionPressure * 100}%)</small>`,
        replay.baseline.exceeded ? "bad" : pressure ? "warn" : "good",
      ]);
    }
  }
  cards.push(["Transactions", count(summary.transactions)], ["Statements", count(summary.statements)]);
  if (summary.errors > 0) cards.push(["Errors logged", count(summary.errors)]);
  const html = cards
    .map(
      ([name, value, tone]) =>
        `<div class="card${tone ? ` ${tone}` : ""}"><div class="value">${value}</div><div class="name">${escapeHtml(name)}</div></div>`,
    )
    .join("");
  const ambiguous =
    summary.ambiguousOnlySessions > 0
      ? `<p class="note">${plural(summary.ambiguousOnlySessions, "session")} ${summary.ambiguousOnlySessions === 1 ? "is" : "are"} pinned only by rules the AWS documentation is ambiguous about; the lower pin ratio leaves ${summary.ambiguousOnlySessions === 1 ? "it" : "them"} out.</p>`
      : "";
  return `<section id="figures"><div class="cards">${html}</div>${ambiguous}</section>`;
}

function connectionsSection(report: Report): string {
  const replay = report.replay;
  if (!replay) return "";
  const chart = timeSeriesChart({
    id: "chart-connections",
    title: "Client connections and database connections needed over time",
    startMs: Date.parse(replay.start),
    bucketSeconds: replay.bucketSeconds,
    series: [
      { key: "clientConnections", label: "Client connections", values: replay.series.clientConnections, color: COLORS.client },
      {
        key: "databaseConnections",
        label: "Database connections needed",
        values: replay.series.databaseConnections,
        color: COLORS.database,
        fill: true,
      },
    ],
    thresholds: connectionLimits(report),
  });
  return `<section id="connections"><h2>Client connections vs database connections</h2>
<p class="lead">What a transaction-pooling proxy would have needed, replayed from the log.
p99: ${count(replay.p99.clientConnections)} client, ${count(replay.p99.databaseConnections)} database connections.</p>
${chart}${replay.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`).join("")}${borrowWaits(report)}</section>`;
}

/**
 * max_connections and the proxy's limit at the recommended max_connections_percent (the replay's percent when there is
 * no recommendation); one line when the two are equal.
 */
function connectionLimits(report: Report): Threshold[] {
  const maxConnections = report.recommendation?.target.max_connections ?? report.replay?.maxConnections;
  if (maxConnections === undefined) return [];
  const percent =
    report.recommendation?.connection_pool_config.max_connections_percent ?? report.replay?.maxConnectionsPercent ?? 100;
  const limit = proxyConnectionLimit(maxConnections, percent);
  if (limit === maxConnections) {
    return [{ label: `max_connections = proxy limit (${percent}%)`, value: maxConnections, color: COLORS.pinned }];
  }
  return [
    { label: "max_connections", value: maxConnections, color: COLORS.pinned },
    { label: `proxy limit (${percent}% of max_connections)`, value: limit, color: COLORS.limit },
  ];
}

function borrowWaits(report: Report): string {
  const waits = report.replay?.borrowWaits;
  if (!waits || waits.periods.length === 0) return "";
  const rows = waits.periods
    .slice(0, 10)
    .map(
      (period) =>
        `<tr><td>${escapeHtml(utcTime(period.start))}</td><td>${escapeHtml(utcTime(period.end))}</td>` +
        `<td class="num">${count(period.waitingClients)}</td><td class="num">${count(Math.round(period.maxWaitMs))} ms</td></tr>`,
    )
    .join("");
  return `<h3>Clients waiting for a database connection</h3>
<table><thead><tr><th>From</th><th>To</th><th class="num">Waiting clients</th><th class="num">Longest wait</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function pinnedSection(report: Report): string {
  const replay = report.replay;
  if (!replay) return "";
  const chart = timeSeriesChart({
    id: "chart-pinned",
    title: "Pinned database connections over time",
    startMs: Date.parse(replay.start),
    bucketSeconds: replay.bucketSeconds,
    series: [
      {
        key: "pinnedConnections",
        label: "Pinned sessions",
        values: replay.series.pinnedConnections,
        color: COLORS.pinned,
        fill: true,
      },
    ],
  });
  return `<section id="pinned"><h2>Pinned sessions over time</h2>
<p class="lead">A pinned session keeps its database connection to itself until it ends: these connections cannot be shared.</p>
${chart}</section>`;
}

function pinReasonsSection(report: Report): string {
  const reasons = report.summary.pinReasons;
  if (reasons.length === 0) return "";
  const bars = [...reasons]
    .sort((a, b) => b.count - a.count)
    .map((reason) => ({
      key: reason.rule,
      label: reason.rule,
      value: reason.count,
      detail: `in ${plural(reason.sessions, "session")}${reason.ambiguous ? " · ambiguous" : ""}`,
      color: reason.ambiguous ? COLORS.ambiguous : COLORS.pinned,
    }));
  return `<section id="pin-reasons"><h2>Pin reasons by count</h2>
<p class="lead">Statements (or protocol messages) matching each rule. Amber: the AWS documentation is ambiguous about the case.</p>
${barChart("chart-pin-reasons", "Pin reasons by number of statements", bars)}</section>`;
}

function topStatementsSection(report: Report): string {
  if (report.topPinningStatements.length === 0) return "";
  const reasons = new Map(report.summary.pinReasons.map((reason) => [reason.rule, reason]));
  const rows = report.topPinningStatements
    .map((statement) => {
      const reason = reasons.get(statement.rule);
      const ambiguous = reason?.ambiguous ? ` <span class="tag ambiguous">ambiguous</span>` : "";
      return (
        `<tr data-fingerprint="${escapeHtml(statement.fingerprint)}"><td><code>${escapeHtml(truncate(statement.statement, 400))}</code></td>` +
        `<td><code class="rule-id">${escapeHtml(statement.rule)}</code>${ambiguous}${reason ? `<br><span class="note">${escapeHtml(reason.title)}</span>` : ""}</td>` +
        `<td>${escapeHtml(reason?.remediation ?? "")}</td>` +
        `<td class="num">${count(statement.count)}</td><td class="num">${count(statement.sessions)}</td></tr>`
      );
    })
    .join("");
  return `<section id="top-statements"><h2>Top pinning statements</h2>
<p class="lead">Normalized: literals are replaced, so no customer data is shown.</p>
<table class="statements"><thead><tr><th>Statement</th><th>Rule</th><th>Fix</th><th class="num">Count</th><th class="num">Sessions</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

const NOT_INSPECTED = {
  do_block: "DO blocks",
  call: "CALL of a procedure",
  function_call: "FunctionCall messages (functions outside the rulebook's list)",
} as const;

/** What only the trial proxy sees on the wire: connections it refused, and code it could not see into. */
function trialSection(report: Report): string {
  const trial = report.trial;
  if (!trial) return "";
  const examples = (list: readonly string[]) =>
    list.map((example) => `<code>${escapeHtml(truncate(example, 200))}</code>`).join("<br>");
  const refused = trial.refusedConnections
    .map(
      (r) =>
        `<tr><td><code class="rule-id">${escapeHtml(r.reason)}</code><br><span class="note">${escapeHtml(r.message)}</span></td>` +
        `<td class="num">${count(r.count)}</td><td>${examples(r.examples)}</td></tr>`,
    )
    .join("");
  const kinds = trial.notInspected.kinds
    .map(
      (k) =>
        `<tr><td><code class="rule-id">${escapeHtml(k.kind)}</code><br><span class="note">${escapeHtml(NOT_INSPECTED[k.kind])}</span></td>` +
        `<td class="num">${count(k.statements)}</td><td class="num">${count(k.sessions)}</td><td>${examples(k.examples)}</td></tr>`,
    )
    .join("");
  const refusedPart = refused
    ? `<h3>Connections refused</h3><p class="lead">Refused before login, as RDS Proxy refuses them: the clients must change before they can use the proxy.</p>
<table><thead><tr><th>Reason</th><th class="num">Connections</th><th>What the clients sent</th></tr></thead><tbody>${refused}</tbody></table>`
    : "";
  const { statements, sessions } = trial.notInspected;
  const kindsPart = kinds
    ? `<h3>Not inspected</h3><p class="lead">${plural(statements, "statement")} in ${plural(sessions, "session")} ran code the rulebook cannot see into. RDS Proxy does not inspect functions or procedures either: session state they change does not pin, so it would be shared with the next client.</p>
<table><thead><tr><th>Kind</th><th class="num">Statements</th><th class="num">Sessions</th><th>Examples</th></tr></thead><tbody>${kinds}</tbody></table>`
    : "";
  const body = refusedPart || kindsPart ? `${refusedPart}${kindsPart}` : `<p class="lead">No connection was refused and every statement was inspected.</p>`;
  return `<section id="trial"><h2>Seen only by the trial proxy</h2>
${body}</section>`;
}

function configFindingsSection(report: Report): string {
  const findings = report.configFindings;
  if (!findings) return "";
  if (findings.length === 0) {
    return `<section id="config-findings"><h2>Driver findings</h2><p class="lead">None. Driver and ORM configuration files given with <code>--config</code> (or as <code>config</code> parts of an upload) are checked for settings that pin or break through the proxy.</p></section>`;
  }
  const rows = findings
    .map(
      (finding) =>
        `<tr><td><span class="tag ${escapeHtml(finding.severity)}">${escapeHtml(finding.severity)}</span></td>` +
        `<td><code>${escapeHtml(finding.file)}${finding.line === undefined ? "" : `:${finding.line}`}</code><br><span class="note">${escapeHtml(finding.family)}</span></td>` +
        `<td>${finding.setting ? `<code>${escapeHtml(finding.setting)}</code><br>` : ""}${escapeHtml(finding.message)}</td>` +
        `<td>${escapeHtml(finding.fix)}</td></tr>`,
    )
    .join("");
  return `<section id="config-findings"><h2>Driver findings</h2>
<table><thead><tr><th>Severity</th><th>File</th><th>Finding</th><th>Fix</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/**
 * The recommended option is the verdict's: the table highlights it, whatever is cheapest, so the two never disagree
 * (a verdict that picks none, "not-enough-evidence", highlights nothing).
 */
function costsSection(costs: CostComparison | undefined, recommended: Recommendation["verdict"] | undefined): string {
  if (!costs) return "";
  const rows = costs.options
    .map((option) => {
      const items = option.lineItems
        .map(
          (item) =>
            `${escapeHtml(item.item)}: ${count(item.quantity)} × ${unitUsd(item.unitUsd)} per ${escapeHtml(item.unit)} × ${count(costs.hoursPerMonth)} h = ${usd(item.monthlyUsd)}`,
        )
        .join("<br>");
      return (
        `<tr${option.option === recommended ? ' class="recommended"' : ""} data-option="${escapeHtml(option.option)}">` +
        `<td>${escapeHtml(COST_OPTIONS[option.option])}${option.option === recommended ? ' <span class="tag recommended">recommended</span>' : ""}</td><td class="num">${usd(option.monthlyUsd)}</td>` +
        `<td>${escapeHtml(option.summary)}${items ? `<br><span class="note">${items}</span>` : ""}</td></tr>`
      );
    })
    .join("");
  const source =
    costs.priceSource.kind === "built-in"
      ? `built-in prices as of ${escapeHtml(costs.priceSource.asOf)}`
      : `AWS Price List API, ${escapeHtml(costs.priceSource.asOf)}`;
  const notes = costs.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`).join("");
  return `<section id="costs"><h2>Cost</h2>
<p class="lead">${costs.currency} per month of ${costs.hoursPerMonth} hours in ${escapeHtml(costs.priceSource.region)}; ${source}.</p>
<table><thead><tr><th>Option</th><th class="num">Per month</th><th>What it is</th></tr></thead><tbody>${rows}</tbody></table>${notes}</section>`;
}

function configurationSection(report: Report): string {
  const recommendation = report.recommendation;
  if (!recommendation) return "";
  const remediations = recommendation.remediations
    .map(
      (step, index) =>
        `<tr><td class="num">${index + 1}</td><td><code class="rule-id">${escapeHtml(step.rule)}</code></td><td>${escapeHtml(step.action)}</td>` +
        `<td class="num">${count(step.sessions_affected)}</td><td class="num">${percent(step.pin_ratio_after)}</td></tr>`,
    )
    .join("");
  const fixes = remediations
    ? `<h3>Fix first</h3><table><thead><tr><th class="num">#</th><th>Rule</th><th>Action</th><th class="num">Sessions</th><th class="num">Pin ratio after</th></tr></thead><tbody>${remediations}</tbody></table>`
    : "";
  return `<section id="configuration"><h2>Recommended configuration</h2>
<p class="lead">Terraform for the AWS provider; fill in the variables. The same values as JSON follow (GET …/recommendation.json, the input of the proxyfit cdktf stacks).</p>
${copyable("terraform", terraformSnippet(recommendation))}
<details><summary>recommendation.json</summary>
${copyable("recommendation-json", `${JSON.stringify(recommendation, null, 2)}\n`)}</details>
${fixes}</section>`;
}

function copyable(id: string, text: string): string {
  return `<div class="copyable"><button type="button">Copy</button><pre id="${id}">${escapeHtml(text)}</pre></div>`;
}

/** What each input's logging let it see; with incomplete coverage, how to capture a complete window. */
function coverageSection(report: Report): string {
  const coverage = report.summary.coverage;
  if (!coverage || report.inputs.length === 0) return "";
  const rows = report.inputs
    .map((input) =>
      input.coverage
        ? `<tr><td><code>${escapeHtml(input.file)}</code></td><td>${input.coverage.complete ? "yes" : "<b>no</b>"}</td><td>${escapeHtml(coverageLine(input.coverage))}</td></tr>`
        : "",
    )
    .join("");
  const missing = coverage.missing.map((m) => `<li>${escapeHtml(m)}</li>`).join("");
  const capture = (report.recommendation?.capture?.options ?? [])
    .map(
      (option) =>
        `<h3>Capture with ${escapeHtml(option.name)}</h3><pre><code>${escapeHtml(option.sql.join("\n"))}</code></pre>` +
        `<pre><code>${escapeHtml(option.aws_cli)}</code></pre><p class="note">${escapeHtml(option.note)}</p>`,
    )
    .join("");
  return `<section id="coverage"><h2>Coverage</h2>
<p>${escapeHtml(coverageSummary(coverage))}</p>
${missing ? `<ul>${missing}</ul>` : ""}
<table><thead><tr><th>File</th><th>Complete</th><th>What was logged</th></tr></thead><tbody>${rows}</tbody></table>
${capture}</section>`;
}

function inputsSection(report: Report): string {
  const rows = report.inputs
    .map((input) => {
      const problems = input.problems
        .slice(0, 5)
        .map((problem) => `line ${problem.line}: ${escapeHtml(problem.reason)}`)
        .join("<br>");
      const prefix = input.prefix === undefined ? "" : `<br><span class="note">prefix <code>${escapeHtml(input.prefix)}</code> (${escapeHtml(input.prefixSource ?? "")})</span>`;
      return (
        `<tr><td><code>${escapeHtml(input.file)}</code></td><td>${escapeHtml(input.format)}${input.compressed ? ", gzip" : ""}${prefix}</td>` +
        `<td class="num">${count(input.bytes)}</td><td class="num">${count(input.linesRead)}</td><td class="num">${count(input.events)}</td>` +
        `<td class="num">${count(input.linesNotUnderstood)}</td><td>${problems}</td></tr>`
      );
    })
    .join("");
  return `<section id="inputs"><h2>Inputs</h2>
<table><thead><tr><th>File</th><th>Format</th><th class="num">Bytes</th><th class="num">Lines</th><th class="num">Events</th><th class="num">Not understood</th><th>First problems</th></tr></thead>
<tbody>${rows}</tbody></table>${configFilesTable(report)}</section>`;
}

function configFilesTable(report: Report): string {
  if (!report.configFiles || report.configFiles.length === 0) return "";
  const rows = report.configFiles
    .map(
      (config) =>
        `<tr><td><code>${escapeHtml(config.file)}</code></td><td>${escapeHtml(config.recognisedAs.join(", "))}</td><td class="num">${count(config.findings)}</td></tr>`,
    )
    .join("");
  return `
<table><thead><tr><th>Config file</th><th>Recognised as</th><th class="num">Findings</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}
