import type { ConfigFinding } from "../../report/report.js";
import { parsePins } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { param } from "../text/urls.js";

const PGX_IMPORT = /"github\.com\/jackc\/pgx(\/v\d+)?(\/pgxpool|\/stdlib)?"/;
const CODE_MODE = /\bQueryExecMode(SimpleProtocol|CacheStatement|CacheDescribe|DescribeExec|Exec)\b/;
const DSN_MODES: Record<string, string> = {
  SimpleProtocol: "simple_protocol",
  CacheStatement: "cache_statement",
  CacheDescribe: "cache_describe",
  DescribeExec: "describe_exec",
  Exec: "exec",
};

/** Go pgx / pgxpool: DSN parameters and DefaultQueryExecMode in code. */
export const pgx: ConfigFamily = {
  id: "pgx",
  title: "Go pgx / pgxpool",
  detect(file) {
    if (PGX_IMPORT.test(file.text)) return 0.9;
    return file.connections.some((c) => param(c, "default_query_exec_mode") || param(c, "pool_max_conns")) ? 0.8 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const fromDsn = file.connections.map((c) => param(c, "default_query_exec_mode")).find((p) => p !== undefined);
    const fromCode = CODE_MODE.exec(file.text);
    const mode = fromDsn?.value ?? (fromCode ? DSN_MODES[fromCode[1]!] : undefined);
    const line = fromDsn?.line ?? (fromCode ? file.lines.lineAt(fromCode.index) : (file.lineOf(PGX_IMPORT) ?? file.connections[0]?.line));
    const setting = `default_query_exec_mode=${mode ?? "cache_statement (default)"}`;
    if (parsePins(context) && mode !== "simple_protocol") {
      findings.push(
        configFinding(
          "config.pgx.default_query_exec_mode",
          { file: file.name, line, setting },
          "pin",
          `pgx ${mode === undefined || mode === "cache_statement" ? "prepares every query as a named statement" : "sends queries with Parse/Bind/Execute"}; under ${context.profile} each Parse pins the session`,
        ),
      );
    }
    if (!parsePins(context) && mode === "simple_protocol") {
      findings.push(
        configFinding(
          "config.pgx.default_query_exec_mode",
          { file: file.name, line, setting },
          "info",
          `simple_protocol was the workaround for RDS Proxy's Parse pinning, which ended in Nov 2023; it gives up binary encoding and statement caching`,
        ),
      );
    }
    return { findings };
  },
};
