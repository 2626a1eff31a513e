import { coverageLine, coverageSummary } from "./coverage-text.js";
import { count, percent, pinRatioText, plural, truncate } from "./format-numbers.js";
import type { Report } from "./report.js";

/** The short terminal summary of `proxyfit assess` (the default --format). */
export function renderText(report: Report): string {
  const { summary } = report;
  const out: string[] = [];
  out.push(`proxyfit ${report.tool.version} — ${report.engine}, profile ${report.profile}`);
  out.push("");
  out.push("Inputs");
  for (const input of report.inputs) {
    const prefix = input.prefix === undefined ? "" : `, prefix ${JSON.stringify(input.prefix)} (${input.prefixSource})`;
    const gz = input.compressed ? ", gzip" : "";
    out.push(
      `  ${input.file}: ${input.format}${prefix}${gz}; ${plural(input.linesRead, "line")}, ` +
        `${count(input.linesNotUnderstood)} not understood`,
    );
    if (input.coverage) out.push(`    coverage: ${coverageLine(input.coverage)}`);
  }
  for (const config of report.configFiles ?? []) {
    out.push(`  ${config.file}: config (${config.recognisedAs.join(", ")}); ${plural(config.findings, "finding")}`);
  }
  out.push("");
  out.push(`Coverage          ${coverageSummary(summary.coverage)}`);
  for (const missing of summary.coverage?.missing ?? []) out.push(`  not logged: ${missing}`);
  out.push("");
  const ambiguous =
    summary.ambiguousOnlySessions > 0
      ? ` (${count(summary.ambiguousOnlySessions)} pinned only by documented-ambiguous rules)`
      : "";
  out.push(`Sessions          ${count(summary.sessions)}${summary.coverage?.sessionCountIsLowerBound ? " or more" : ""}`);
  out.push(`Pinned sessions   ${count(summary.pinnedSessions)}${ambiguous}`);
  out.push(`Pin ratio         ${pinRatioText(summary)}`);
  out.push(
    `Transactions      ${count(summary.transactions)}   statements ${count(summary.statements)}   errors ${count(summary.errors)}`,
  );
  if (summary.firstEventAt && summary.lastEventAt) {
    out.push(`Time span         ${summary.firstEventAt} → ${summary.lastEventAt}`);
  }
  if (summary.statementsClassifiedLexically > 0) {
    out.push(
      `Not parsed        ${plural(summary.statementsClassifiedLexically, "statement")} did not parse (truncated?) and ${summary.statementsClassifiedLexically === 1 ? "was" : "were"} classified lexically`,
    );
  }

  if (summary.pinReasons.length > 0) {
    out.push("");
    out.push("Top pin reasons                   sessions  statements  example");
    for (const reason of summary.pinReasons.slice(0, 10)) {
      const example = report.topPinningStatements.find((s) => s.rule === reason.rule);
      const flag = reason.ambiguous ? "*" : " ";
      out.push(
        `  ${`${reason.rule}${flag}`.padEnd(31)} ${count(reason.sessions).padStart(8)}  ${count(reason.count).padStart(10)}  ${
          example ? truncate(example.statement, 60) : ""
        }`,
      );
    }
    if (summary.pinReasons.some((r) => r.ambiguous)) out.push("  * documented-ambiguous: the lower pin ratio leaves these out");
  }

  const { replay, recommendation, costs, configFindings, trial } = report;
  if (replay) {
    out.push("");
    out.push("Connection replay (transaction pooling)");
    out.push(
      `  clients peak ${count(replay.peaks.clientConnections)} (p99 ${count(replay.p99.clientConnections)}), ` +
        `database connections needed peak ${count(replay.peaks.databaseConnections)} (p99 ${count(replay.p99.databaseConnections)}), ` +
        `pinned peak ${count(replay.peaks.pinnedConnections)}; multiplexing ${replay.multiplexingFactor.toFixed(1)}x`,
    );
    const limit =
      replay.maxConnections === undefined ? "max_connections unknown (--instance-class or --max-connections)" : `max_connections ${count(replay.maxConnections)}`;
    out.push(
      `  without a proxy: ${plural(replay.baseline.peakConcurrentSessions, "concurrent session")} at peak, ${limit}${replay.baseline.exceeded ? " — EXCEEDED" : ""}`,
    );
    if (replay.proxyConnectionLimit !== undefined) {
      out.push(
        replay.borrowWaits.count === 0
          ? `  no borrow would have waited (proxy limit ${count(replay.proxyConnectionLimit)} at max_connections_percent ${replay.maxConnectionsPercent})`
          : `  ${plural(replay.borrowWaits.count, "borrow")} would have waited for the proxy limit of ${count(replay.proxyConnectionLimit)}, up to ${(replay.borrowWaits.maxWaitMs / 1000).toFixed(1)} s`,
      );
    }
    for (const note of replay.notes) out.push(`  note: ${note}`);
  }
  if (trial && (trial.refusedConnections.length > 0 || trial.notInspected.statements > 0)) {
    out.push("");
    out.push("Seen only by the trial proxy");
    for (const refused of trial.refusedConnections) {
      out.push(`  ${plural(refused.count, "connection")} refused (${refused.reason}): ${refused.message}`);
      for (const example of refused.examples) out.push(`      sent: ${example}`);
    }
    for (const kind of trial.notInspected.kinds) {
      out.push(`  not inspected (${kind.kind}): ${plural(kind.statements, "statement")} in ${plural(kind.sessions, "session")}; RDS Proxy does not see into them either`);
      for (const example of kind.examples) out.push(`      e.g. ${example}`);
    }
  }
  if (configFindings && configFindings.length > 0) {
    out.push("");
    out.push("Driver and ORM configuration");
    for (const finding of configFindings) {
      const where = finding.line === undefined ? finding.file : `${finding.file}:${finding.line}`;
      out.push(`  [${finding.severity}] ${where} ${finding.rule}: ${finding.message}`);
      out.push(`      fix: ${finding.fix}`);
    }
  }
  if (costs) {
    out.push("");
    out.push(`Monthly cost (USD, ${costs.priceSource.kind} prices as of ${costs.priceSource.asOf}, ${costs.priceSource.region})`);
    for (const option of costs.options) {
      out.push(`  ${option.option.padEnd(20)} ${option.monthlyUsd.toFixed(2).padStart(10)}  ${option.summary}`);
    }
    for (const note of costs.notes) out.push(`  note: ${note}`);
  }
  if (recommendation) {
    out.push("");
    out.push(`Verdict: ${recommendation.verdict}`);
    for (const reason of recommendation.reasons) out.push(`  - ${reason}`);
    // Reports stored before the verdict had evidence have none.
    const evidence = recommendation.evidence ?? [];
    if (evidence.length > 0) {
      out.push("  evidence (* decided the verdict):");
      for (const e of evidence) out.push(`    ${e.decided ? "*" : " "} ${e.statement}`);
    }
    for (const option of recommendation.capture?.options ?? []) {
      out.push(`  capture with ${option.name}:`);
      for (const line of option.sql) out.push(`    ${line}`);
      out.push(`    ${option.aws_cli}`);
    }
    const pool = recommendation.connection_pool_config;
    out.push(
      `  connection_pool_config: max_connections_percent ${pool.max_connections_percent}, max_idle_connections_percent ${pool.max_idle_connections_percent}, connection_borrow_timeout ${pool.connection_borrow_timeout}` +
        (pool.init_query ? `, init_query ${JSON.stringify(pool.init_query)}` : "") +
        (pool.session_pinning_filters.length > 0 ? `, session_pinning_filters ${pool.session_pinning_filters.join(",")}` : ""),
    );
    if (recommendation.remediations.length > 0) {
      out.push("  fix first (pin ratio after each step):");
      for (const step of recommendation.remediations.slice(0, 5)) {
        out.push(`    ${step.rule} → ${percent(step.pin_ratio_after)}: ${truncate(step.action, 100)}`);
      }
    }
    out.push("  (--format recommendation prints the whole object for the cdktf stack)");
  }

  const notUnderstood = report.inputs.reduce((n, i) => n + i.linesNotUnderstood, 0);
  if (notUnderstood > 0) {
    out.push("");
    out.push(`Lines not understood: ${count(notUnderstood)} (see --format json, inputs[].problems)`);
    for (const input of report.inputs) {
      for (const problem of input.problems.slice(0, 3)) {
        out.push(`  ${input.file}:${problem.line}: ${problem.reason}`);
      }
    }
  }
  return `${out.join("\n")}\n`;
}
