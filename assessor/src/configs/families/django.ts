import type { ConfigFinding } from "../../report/report.js";
import { connectSqlFinding, idleMessage, outlivesProxy } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { isNullLiteral, numberValue, stringLiteral } from "../text/code.js";
import { isTruthy } from "../text/lines.js";

const BACKEND = /["']django\.db\.backends\.(postgresql\w*|postgis|mysql)["']|["']django\.contrib\.gis\.db\.backends\.(postgis|mysql)["']/;

/** Django settings.py: DATABASES with CONN_MAX_AGE, CONN_HEALTH_CHECKS, DISABLE_SERVER_SIDE_CURSORS, OPTIONS. */
export const django: ConfigFamily = {
  id: "django",
  title: "Django DATABASES",
  detect(file) {
    if (/\bDATABASES\s*=/.test(file.text) && BACKEND.test(file.text)) return 0.95;
    return BACKEND.test(file.text) ? 0.7 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const backend = BACKEND.exec(file.text);
    const postgres = backend ? /postg/.test(backend[0]) : context.engine !== "mysql";
    const backendLine = backend ? file.lines.lineAt(backend.index) : undefined;

    const maxAge = file.code("CONN_MAX_AGE").pop();
    const healthChecks = isTruthy(file.code("CONN_HEALTH_CHECKS").pop()?.value);
    if (maxAge && !healthChecks) {
      const ageSeconds = isNullLiteral(maxAge.value) ? Infinity : (numberValue(maxAge.value) ?? 0);
      if (ageSeconds > 0 && outlivesProxy(ageSeconds, context)) {
        findings.push(
          configFinding(
            "config.django.conn_max_age",
            { file: file.name, line: maxAge.line, setting: `CONN_MAX_AGE=${maxAge.value}` },
            "break",
            idleMessage(`CONN_MAX_AGE=${maxAge.value} without CONN_HEALTH_CHECKS`, ageSeconds, context),
          ),
        );
      }
    }
    if (postgres) {
      const disabled = file.code("DISABLE_SERVER_SIDE_CURSORS").pop();
      if (!isTruthy(disabled?.value)) {
        findings.push(
          configFinding(
            "config.django.server_side_cursors",
            {
              file: file.name,
              line: disabled?.line ?? backendLine,
              setting: `DISABLE_SERVER_SIDE_CURSORS=${disabled?.value ?? "False (default)"}`,
            },
            "pin",
            "on PostgreSQL QuerySet.iterator() declares a server-side cursor (DECLARE ... CURSOR), which pins the session wherever the code iterates a queryset",
          ),
        );
      }
    } else {
      const init = file.code("init_command").pop();
      const sql = stringLiteral(init?.value);
      if (init && sql) {
        const pin = connectSqlFinding("config.django.init_command", { file: file.name, line: init.line, setting: `init_command=${sql}` }, "mysql", sql, context, "OPTIONS init_command");
        if (pin) findings.push(pin);
      }
    }
    return { findings };
  },
};
