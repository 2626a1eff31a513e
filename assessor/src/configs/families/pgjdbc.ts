import type { ConfigFinding } from "../../report/report.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { parsePins } from "../checks.js";
import { jdbcConnections, jdbcProperties, property } from "./jdbc-properties.js";

/** The PostgreSQL JDBC driver (pgjdbc): JDBC URLs, Spring / Hikari DataSource properties. */
export const pgjdbc: ConfigFamily = {
  id: "pgjdbc",
  title: "PostgreSQL JDBC driver (pgjdbc)",
  detect(file) {
    if (jdbcConnections(file, "postgresql").length > 0) return 0.9;
    return /\borg\.postgresql\.(Driver|ds\.PG\w*DataSource)\b/.test(file.text) ? 0.8 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const props = jdbcProperties(file, "postgresql");
    const at = (s: { line: number; key: string; value: string } | undefined) => ({
      file: file.name,
      line: s?.line ?? jdbcConnections(file, "postgresql")[0]?.line ?? file.lineOf(/org\.postgresql/),
      ...(s ? { setting: `${s.key}=${s.value}` } : {}),
    });
    const mode = property(props, "preferQueryMode");
    const simple = mode?.value.toLowerCase() === "simple";
    if (parsePins(context) && !simple) {
      findings.push(
        configFinding(
          "config.pgjdbc.extended_protocol",
          at(mode),
          "pin",
          `pgjdbc uses the extended query protocol${mode ? ` (preferQueryMode=${mode.value})` : " by default"}; under ${context.profile} every Parse message pins the session ("A parse message was detected")`,
        ),
      );
    }
    if (!parsePins(context) && simple) {
      findings.push(
        configFinding(
          "config.pgjdbc.prefer_query_mode",
          at(mode),
          "info",
          "preferQueryMode=simple was the workaround for RDS Proxy's Parse pinning, which ended in Nov 2023; it costs server-side binding and plan reuse",
        ),
      );
    }
    const threshold = property(props, "prepareThreshold");
    if (threshold && !parsePins(context) && Number(threshold.value) <= 0) {
      findings.push(
        configFinding(
          "config.pgjdbc.prepare_threshold",
          at(threshold),
          "info",
          `prepareThreshold=${threshold.value} turns server-side prepared statements off; named prepared statements no longer pin under ${context.profile}`,
        ),
      );
    }
    const options = property(props, "options");
    if (options) {
      findings.push(
        configFinding(
          "config.pgjdbc.options",
          at(options),
          "break",
          `options=${options.value} is sent as startup command-line options; RDS Proxy rejects the connection with "Feature not supported: RDS Proxy currently doesn't support command-line options"`,
        ),
      );
    }
    const schema = property(props, "currentSchema");
    if (schema) {
      findings.push(
        configFinding(
          "config.pgjdbc.current_schema",
          at(schema),
          "warn",
          `currentSchema=${schema.value} makes pgjdbc send search_path as a startup parameter, which RDS Proxy does not document supporting`,
        ),
      );
    }
    return { findings };
  },
};
