import type { ConfigFinding } from "../../report/report.js";
import { idleMessage, outlivesProxy } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { numberValue } from "../text/code.js";
import { isTruthy } from "../text/lines.js";

const SEQUELIZE = /require\(\s*["']sequelize(-typescript)?["']\s*\)|from\s+["']sequelize(-typescript)?["']|\bnew\s+Sequelize\(/;
const DIALECT = /\bdialect\s*:\s*["'](postgres|mysql|mariadb)["']/;
/** What Sequelize's PostgreSQL connection manager sends on connect unless keepDefaultTimezone is set. */
const CONNECT_SET = "SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE";

/** Sequelize: constructor options (dialect, timezone, keepDefaultTimezone, pool). */
export const sequelize: ConfigFamily = {
  id: "sequelize",
  title: "Sequelize",
  detect(file) {
    return SEQUELIZE.test(file.text) ? 0.9 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const dialect = DIALECT.exec(file.text);
    const postgres = dialect ? dialect[1] === "postgres" : file.connections.some((c) => c.engine === "postgresql");
    const keep = file.code("keepDefaultTimezone").pop();
    if (postgres && !isTruthy(keep?.value)) {
      const pins = context.classifySql("postgresql", CONNECT_SET);
      if (pins.length > 0) {
        findings.push(
          configFinding(
            "config.sequelize.connect_sets",
            { file: file.name, line: dialect ? file.lines.lineAt(dialect.index) : file.lineOf(SEQUELIZE), setting: `keepDefaultTimezone: ${keep?.value ?? "false (default)"}` },
            "pin",
            `Sequelize sends \`${CONNECT_SET}\` (or the configured timezone) on every new PostgreSQL connection; the SET pins each session (${pins[0]!.reason})`,
          ),
        );
      }
    }
    const idle = file.codeInObject("pool", "idle").pop();
    const idleMs = numberValue(idle?.value);
    if (idle && idleMs !== undefined && outlivesProxy(idleMs / 1000, context)) {
      findings.push(
        configFinding("config.sequelize.pool_idle", { file: file.name, line: idle.line, setting: `pool.idle: ${idle.value}` }, "break", idleMessage(`pool.idle ${idle.value} ms`, idleMs / 1000, context)),
      );
    }
    return { findings };
  },
};
