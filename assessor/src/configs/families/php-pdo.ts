import type { ConfigFinding } from "../../report/report.js";
import { connectSqlFinding, parsePins } from "../checks.js";
import type { ConfigDocument } from "../config-document.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { stringLiteral } from "../text/code.js";
import { isFalsy, isTruthy, type Setting } from "../text/lines.js";

const PDO = /\bnew\s+\\?PDO\s*\(|\bPDO::(ATTR_|MYSQL_ATTR_)/;
const DSN = /["'](mysql|pgsql):[^"']*["']/;

/** A PDO attribute from an options array (`PDO::ATTR_X => v`) or a setAttribute(PDO::ATTR_X, v) call; the last wins. */
function attribute(file: ConfigDocument, name: string): Setting | undefined {
  const fromArray = file.code(`PDO::${name}`).map((s) => ({ ...s, key: name }));
  const calls = [...file.text.matchAll(new RegExp(`setAttribute\\(\\s*\\\\?PDO::${name}\\s*,\\s*([^)]+?)\\s*\\)`, "g"))].map((m) => ({
    key: name,
    value: m[1]!,
    line: file.lines.lineAt(m.index),
  }));
  return [...fromArray, ...calls].sort((a, b) => a.line - b.line).pop();
}

/** PHP PDO: DSN prefix, ATTR_EMULATE_PREPARES, ATTR_PERSISTENT, MYSQL_ATTR_INIT_COMMAND. */
export const phpPdo: ConfigFamily = {
  id: "php-pdo",
  title: "PHP PDO",
  detect(file) {
    return PDO.test(file.text) ? 0.9 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const dsn = DSN.exec(file.text);
    const engine = dsn ? (dsn[1] === "pgsql" ? "postgresql" : "mysql") : (context.engine ?? "mysql");
    const at = (s: Setting | undefined, fallback: string) => ({
      file: file.name,
      line: s?.line ?? (dsn ? file.lines.lineAt(dsn.index) : file.lineOf(PDO)),
      setting: s ? `PDO::${s.key} => ${s.value}` : fallback,
    });
    const emulate = attribute(file, "ATTR_EMULATE_PREPARES");
    if (engine === "mysql" && isFalsy(emulate?.value)) {
      findings.push(
        configFinding("config.pdo.emulate_prepares", at(emulate, ""), "pin", "ATTR_EMULATE_PREPARES => false prepares statements on the MySQL server; prepared statements pin the session"),
      );
    }
    if (engine === "postgresql" && parsePins(context) && !isTruthy(emulate?.value)) {
      findings.push(
        configFinding(
          "config.pdo.emulate_prepares",
          at(emulate, "PDO::ATTR_EMULATE_PREPARES => false (pgsql default)"),
          "pin",
          `pdo_pgsql prepares statements on the server by default; under ${context.profile} their Parse messages pin the session`,
          "Set PDO::ATTR_EMULATE_PREPARES => true (or PDO::PGSQL_ATTR_DISABLE_PREPARES => true).",
        ),
      );
    }
    const persistent = attribute(file, "ATTR_PERSISTENT");
    if (isTruthy(persistent?.value)) {
      findings.push(
        configFinding(
          "config.pdo.persistent",
          at(persistent, ""),
          "warn",
          `persistent connections stay open in each PHP worker between requests; a worker idle longer than idle_client_timeout (${context.idleClientTimeoutSeconds} s) gets a connection the proxy closed`,
        ),
      );
    }
    const init = attribute(file, "MYSQL_ATTR_INIT_COMMAND");
    const sql = stringLiteral(init?.value);
    if (init && sql) {
      const finding = connectSqlFinding("config.pdo.init_command", at(init, ""), "mysql", sql, context, "PDO::MYSQL_ATTR_INIT_COMMAND");
      if (finding) findings.push(finding);
    }
    return { findings };
  },
};
