import { coverageLine, coverageSummary } from "./coverage-text.js";
import { count, percent, pinRatioText, plural, truncate } from "./format-numbers.js";
import type { Report } from "./report.js";

/** A markdown summary for pull requests and wikis (`--format md`). */
export function renderMarkdown(report: Report): string {
  const { summary } = report;
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const out: string[] = [];
  out.push(`# proxyfit assessment: ${report.engine}, profile \`${report.profile}\``);
  out.push("");
  if (report.recommendation) {
    out.push(`**Verdict: ${report.recommendation.verdict}**`);
    out.push("");
    for (const reason of report.recommendation.reasons) out.push(`- ${reason}`);
    out.push("");
    // Reports stored before the verdict had evidence have none.
    const evidence = report.recommendation.evidence ?? [];
    if (evidence.length > 0) {
      out.push("| Evidence | Decided | Source |");
      out.push("|---|---|---|");
      for (const e of evidence) {
        out.push(`| ${cell(e.statement)} | ${e.decided ? "**yes**" : ""} | ${cell(e.source)} |`);
      }
      out.push("");
    }
  }
  out.push("| | |");
  out.push("|---|---|");
  out.push(`| Coverage | ${cell(coverageSummary(summary.coverage))} |`);
  out.push(`| Sessions | ${count(summary.sessions)}${summary.coverage?.sessionCountIsLowerBound ? " or more" : ""} |`);
  out.push(`| Pinned sessions | ${count(summary.pinnedSessions)} |`);
  out.push(`| Pin ratio | ${pinRatioText(summary)} |`);
  out.push(`| Sessions pinned only by documented-ambiguous rules | ${count(summary.ambiguousOnlySessions)} |`);
  out.push(`| Transactions | ${count(summary.transactions)} |`);
  out.push(`| Statements | ${count(summary.statements)} |`);
  out.push(`| Errors | ${count(summary.errors)} |`);
  out.push("");
  out.push("## Inputs");
  out.push("");
  out.push("| File | Format | Prefix | Lines | Not understood |");
  out.push("|---|---|---|---:|---:|");
  for (const input of report.inputs) {
    out.push(
      `| ${cell(input.file)} | ${input.format} | ${input.prefix === undefined ? "" : `\`${cell(input.prefix)}\``} | ${count(input.linesRead)} | ${count(input.linesNotUnderstood)} |`,
    );
  }
  if (report.configFiles && report.configFiles.length > 0) {
    out.push("");
    out.push("| Config file | Recognised as | Findings |");
    out.push("|---|---|---:|");
    for (const config of report.configFiles) {
      out.push(`| ${cell(config.file)} | ${cell(config.recognisedAs.join(", "))} | ${count(config.findings)} |`);
    }
  }
  out.push("");
  out.push("## Coverage");
  out.push("");
  out.push("| File | Complete | What was logged |");
  out.push("|---|---|---|");
  for (const input of report.inputs) {
    if (input.coverage) out.push(`| ${cell(input.file)} | ${input.coverage.complete ? "yes" : "no"} | ${cell(coverageLine(input.coverage))} |`);
  }
  for (const missing of summary.coverage?.missing ?? []) out.push(`\n> Not logged: ${cell(missing)}`);
  if (summary.pinReasons.length > 0) {
    out.push("");
    out.push("## Pin reasons");
    out.push("");
    out.push("| Rule | Sessions | Statements | Fix |");
    out.push("|---|---:|---:|---|");
    for (const reason of summary.pinReasons) {
      const rule = reason.ambiguous ? `\`${reason.rule}\` (ambiguous)` : `\`${reason.rule}\``;
      out.push(`| ${rule} | ${count(reason.sessions)} | ${count(reason.count)} | ${cell(reason.remediation)} |`);
    }
    out.push("");
    out.push("## Top pinning statements");
    out.push("");
    out.push("| Rule | Count | Sessions | Statement |");
    out.push("|---|---:|---:|---|");
    for (const statement of report.topPinningStatements) {
      out.push(
        `| \`${statement.rule}\` | ${count(statement.count)} | ${count(statement.sessions)} | \`${cell(truncate(statement.statement, 100))}\` |`,
      );
    }
  }
  const { replay, configFindings, costs, recommendation, trial } = report;
  if (replay) {
    out.push("");
    out.push("## Connection replay");
    out.push("");
    out.push("| | Peak | p99 |");
    out.push("|---|---:|---:|");
    out.push(`| Client connections | ${count(replay.peaks.clientConnections)} | ${count(replay.p99.clientConnections)} |`);
    out.push(`| Database connections needed | ${count(replay.peaks.databaseConnections)} | ${count(replay.p99.databaseConnections)} |`);
    out.push(`| Pinned connections | ${count(replay.peaks.pinnedConnections)} | ${count(replay.p99.pinnedConnections)} |`);
    out.push("");
    out.push(
      `Multiplexing ${replay.multiplexingFactor.toFixed(1)}x. Without a proxy: ${plural(replay.baseline.peakConcurrentSessions, "concurrent session")} at peak` +
        (replay.maxConnections === undefined ? "." : ` against max_connections ${count(replay.maxConnections)}${replay.baseline.exceeded ? " (exceeded)" : ""}.`) +
        (replay.borrowWaits.count > 0 ? ` ${plural(replay.borrowWaits.count, "borrow")} would have waited, up to ${(replay.borrowWaits.maxWaitMs / 1000).toFixed(1)} s.` : ""),
    );
    for (const note of replay.notes) out.push(`\n> ${note}`);
  }
  if (trial && (trial.refusedConnections.length > 0 || trial.notInspected.statements > 0)) {
    out.push("");
    out.push("## Seen only by the trial proxy");
    out.push("");
    out.push("| What | Count | Sessions | Examples |");
    out.push("|---|---:|---:|---|");
    for (const r of trial.refusedConnections) {
      out.push(`| Connections refused (\`${r.reason}\`): ${cell(r.message)} | ${count(r.count)} | | ${cell(r.examples.join("; "))} |`);
    }
    for (const k of trial.notInspected.kinds) {
      out.push(`| Not inspected (\`${k.kind}\`) | ${count(k.statements)} | ${count(k.sessions)} | ${cell(k.examples.join("; "))} |`);
    }
  }
  if (configFindings && configFindings.length > 0) {
    out.push("");
    out.push("## Driver and ORM configuration");
    out.push("");
    out.push("| Severity | Where | Rule | Finding | Fix |");
    out.push("|---|---|---|---|---|");
    for (const f of configFindings) {
      out.push(`| ${f.severity} | ${cell(f.line === undefined ? f.file : `${f.file}:${f.line}`)} | \`${f.rule}\` | ${cell(f.message)} | ${cell(f.fix)} |`);
    }
  }
  if (costs) {
    out.push("");
    out.push(`## Monthly cost (USD, ${costs.priceSource.kind} prices as of ${costs.priceSource.asOf}, ${costs.priceSource.region})`);
    out.push("");
    out.push("| Option | USD / month | |");
    out.push("|---|---:|---|");
    for (const o of costs.options) out.push(`| ${o.option} | ${o.monthlyUsd.toFixed(2)} | ${cell(o.summary)} |`);
    for (const note of costs.notes) out.push(`\n> ${note}`);
  }
  for (const option of recommendation?.capture?.options ?? []) {
    out.push("");
    out.push(`## Capture with ${option.name}`);
    out.push("");
    out.push("```sql");
    out.push(...option.sql);
    out.push("```");
    out.push("");
    out.push("```sh");
    out.push(option.aws_cli);
    out.push("```");
    out.push("");
    out.push(`${option.note} Afterwards: \`${option.revert_sql.join(" ")}\``);
  }
  if (recommendation) {
    out.push("");
    out.push("## Recommended configuration");
    out.push("");
    out.push("```json");
    out.push(JSON.stringify(recommendation.connection_pool_config, null, 2));
    out.push("```");
    if (recommendation.remediations.length > 0) {
      out.push("");
      out.push("| Fix | Sessions | Pin ratio after |");
      out.push("|---|---:|---:|");
      for (const r of recommendation.remediations) {
        out.push(`| \`${r.rule}\`: ${cell(r.action)} | ${count(r.sessions_affected)} | ${percent(r.pin_ratio_after)} |`);
      }
    }
  }
  return `${out.join("\n")}\n`;
}
