import { count } from "./format-numbers.js";
import type { AssessmentCoverage, InputCoverage } from "./report.js";

/** One line saying what an input's logging let it see, shared by the text, markdown and HTML renderers. */
export function coverageLine(coverage: InputCoverage): string {
  const parts = [`statements ${statementsText(coverage)}`, `durations ${coverage.durations}`];
  parts.push(
    coverage.connectionLines + coverage.disconnectionLines > 0
      ? `${count(coverage.connectionLines)} connection / ${count(coverage.disconnectionLines)} disconnection lines`
      : "no connection lines",
  );
  parts.push(`sessions from ${coverage.sessionsFrom}`);
  const { parse, bind, execute } = coverage.extendedProtocol;
  if (parse + bind + execute > 0) parts.push(`extended protocol: parse ${count(parse)}, bind ${count(bind)}, execute ${count(execute)}`);
  if (coverage.mysqlLog) parts.push(`${coverage.mysqlLog} log`);
  return parts.join("; ");
}

function statementsText(coverage: InputCoverage): string {
  const threshold = coverage.durationThreshold;
  const setting = coverage.mysqlLog ? "long_query_time" : "log_min_duration_statement";
  const shown =
    threshold && threshold.estimateMs > 0
      ? ` ≥ ~${threshold.estimateMs} ms (${setting}; shortest ${threshold.shortestMs} ms, ${count(threshold.belowEstimate)} below)`
      : "";
  switch (coverage.statements) {
    case "all":
      return coverage.loggedAtStart === "all" ? "all (logged as they start)" : "all (logged at completion, no threshold)";
    case "mod":
    case "ddl":
      return `${coverage.statements === "mod" ? "modifications and DDL" : "DDL"} only (log_statement = '${coverage.statements}')${shown ? `, others${shown}` : ""}`;
    case "above-threshold":
      return `only${shown}`;
    case "none":
      return "none";
  }
}

/** The report-wide coverage in a sentence: complete, or what makes the pin ratio a range. */
export function coverageSummary(coverage: AssessmentCoverage | undefined): string {
  if (!coverage || coverage.complete) return "complete: every statement logged, sessions told apart";
  const parts = [coverage.statementsComplete ? "every statement logged, but sessions only by pid" : "not every statement (or pinning protocol message) logged"];
  if (coverage.sessionCountIsLowerBound) parts.push("the session count is a lower bound");
  if (coverage.sessionsWithoutStatements > 0 && !coverage.statementsComplete) {
    parts.push(`${count(coverage.sessionsWithoutStatements)} sessions had no statement logged`);
  }
  return `INCOMPLETE: ${parts.join("; ")} — the pin ratio is a range and the verdict waits for a complete capture`;
}
