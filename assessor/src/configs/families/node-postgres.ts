import type { ConfigFinding } from "../../report/report.js";
import { idleMessage, outlivesProxy, parsePins } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { numberValue, stringLiteral } from "../text/code.js";

const PG_IMPORT = /require\(\s*["']pg["']\s*\)|from\s+["']pg["']|import\s+pg\b/;

/** node-postgres (pg): new Pool / new Client options. */
export const nodePostgres: ConfigFamily = {
  id: "node-postgres",
  title: "node-postgres (pg)",
  detect(file) {
    if (PG_IMPORT.test(file.text)) return 0.9;
    return /\bnew\s+(pg\.)?Pool\(/.test(file.text) && /idleTimeoutMillis|connectionString/.test(file.text) ? 0.6 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const importLine = file.lineOf(PG_IMPORT) ?? file.lineOf(/new\s+(pg\.)?Pool\(/);
    if (parsePins(context)) {
      findings.push(
        configFinding(
          "config.node_postgres.extended_protocol",
          { file: file.name, line: importLine },
          "pin",
          `node-postgres sends every query with parameters (client.query(text, values)) through Parse/Bind/Execute; under ${context.profile} each Parse pins the session`,
        ),
      );
    }
    const idle = file.code("idleTimeoutMillis").pop();
    const idleMs = numberValue(idle?.value);
    if (idle && idleMs !== undefined && (idleMs === 0 || outlivesProxy(idleMs / 1000, context))) {
      findings.push(
        configFinding(
          "config.node_postgres.idle_timeout",
          { file: file.name, line: idle.line, setting: `idleTimeoutMillis: ${idle.value}` },
          "break",
          idleMessage(`idleTimeoutMillis ${idle.value}${idleMs === 0 ? " (never)" : ""}`, idleMs === 0 ? Infinity : idleMs / 1000, context),
        ),
      );
    }
    for (const options of file.code("options")) {
      const value = stringLiteral(options.value);
      if (value && /^\s*-c\b/.test(value)) {
        findings.push(
          configFinding(
            "config.node_postgres.options",
            { file: file.name, line: options.line, setting: `options: ${options.value}` },
            "break",
            `options "${value}" is sent as startup command-line options; RDS Proxy rejects the connection with "Feature not supported: RDS Proxy currently doesn't support command-line options"`,
          ),
        );
      }
    }
    const max = file.code("max").find((s) => numberValue(s.value) !== undefined);
    if (max) {
      findings.push(configFinding("config.node_postgres.max", { file: file.name, line: max.line, setting: `max: ${max.value}` }, "info", `each pool opens up to ${max.value} connections`));
    }
    return { findings };
  },
};
