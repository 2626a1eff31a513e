import { count, pinRatioText, truncate } from "./format-numbers.js";
import type { Report } from "./report.js";

/** A markdown summary for pull requests and wikis (`--format md`). */
export function renderMarkdown(report: Report): string {
  const { summary } = report;
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const out: string[] = [];
  out.push(`# proxyfit assessment: ${report.engine}, profile \`${report.profile}\``);
  out.push("");
  out.push("| | |");
  out.push("|---|---|");
  out.push(`| Sessions | ${count(summary.sessions)} |`);
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
  return `${out.join("\n")}\n`;
}
