import type { ConfigFinding } from "../../report/report.js";
import { connectSqlFinding } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { isTruthy } from "../text/lines.js";
import { jdbcConnections, jdbcProperties, property } from "./jdbc-properties.js";

/** MySQL Connector/J and MariaDB Connector/J: JDBC URLs, Spring / Hikari DataSource properties. */
export const mysqlConnectorJ: ConfigFamily = {
  id: "mysql-connector-j",
  title: "MySQL / MariaDB Connector/J",
  detect(file) {
    if (jdbcConnections(file, "mysql").length > 0) return 0.9;
    return /\b(com\.mysql\.(cj\.)?jdbc\.Driver|org\.mariadb\.jdbc\.Driver|MysqlDataSource)\b/.test(file.text) ? 0.8 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const props = jdbcProperties(file, "mysql");
    const at = (s: { line: number; key: string; value: string }) => ({ file: file.name, line: s.line, setting: `${s.key}=${s.value}` });
    const serverPrep = property(props, "useServerPrepStmts");
    if (serverPrep && isTruthy(serverPrep.value)) {
      const cache = property(props, "cachePrepStmts");
      findings.push(
        configFinding(
          "config.connectorj.use_server_prep_stmts",
          at(serverPrep),
          "pin",
          "useServerPrepStmts=true prepares statements on the server (COM_STMT_PREPARE); prepared statements pin the session on MySQL" +
            (cache && isTruthy(cache.value) ? ", and cachePrepStmts=true keeps them open for the connection's life" : ""),
        ),
      );
    }
    const cursor = property(props, "useCursorFetch");
    if (cursor && isTruthy(cursor.value)) {
      findings.push(
        configFinding(
          "config.connectorj.use_cursor_fetch",
          at(cursor),
          "pin",
          "useCursorFetch=true reads results through server-side cursors, which need server-side prepared statements: the session pins",
        ),
      );
    }
    const variables = property(props, "sessionVariables");
    if (variables && variables.value.trim() !== "") {
      const sql = `SET SESSION ${variables.value.split(/,(?=\s*[@\w.]+\s*=)/).map((v) => v.trim()).join(", ")}`;
      findings.push(
        connectSqlFinding("config.connectorj.session_variables", at(variables), "mysql", sql, context, "sessionVariables") ??
          configFinding(
            "config.connectorj.session_variables",
            at(variables),
            "info",
            `sessionVariables sets only variables RDS Proxy tracks (\`${sql}\`): no pin, but the proxy reuses a connection only for clients with the same values`,
            "Nothing to fix; init_query with the same SET lets every connection match.",
          ),
      );
    }
    return { findings };
  },
};
