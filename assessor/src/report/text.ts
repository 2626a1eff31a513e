import { count, percent, pinRatioText, truncate } from "./format-numbers.js";
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
      `  ${input.file}: ${input.format}${prefix}${gz}; ${count(input.linesRead)} lines, ` +
        `${count(input.linesNotUnderstood)} not understood`,
    );
  }
  out.push("");
  const ambiguous =
    summary.ambiguousOnlySessions > 0
      ? ` (${count(summary.ambiguousOnlySessions)} pinned only by documented-ambiguous rules)`
      : "";
  out.push(`Sessions          ${count(summary.sessions)}`);
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
      `Not parsed        ${count(summary.statementsClassifiedLexically)} statements did not parse (truncated?) and were classified lexically`,
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
    out.push("");
    out.push("Fixes, most sessions first");
    for (const reason of summary.pinReasons.slice(0, 5)) out.push(`  ${reason.rule}: ${reason.remediation}`);
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
  if (summary.sessions > 0) {
    out.push("");
    out.push(`${percent(summary.pinRatio)} of sessions would be pinned under ${report.profile}.`);
  }
  return `${out.join("\n")}\n`;
}
