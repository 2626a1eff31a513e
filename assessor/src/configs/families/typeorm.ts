import type { ConfigFinding } from "../../report/report.js";
import { idleMessage, outlivesProxy } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { numberValue } from "../text/code.js";

const TYPEORM = /from\s+["']typeorm["']|require\(\s*["']typeorm["']\s*\)|\bTypeOrmModule\.forRoot/;
const TYPE = /["']?type["']?\s*:\s*["'](postgres|mysql|mariadb|aurora-postgres|aurora-mysql)["']/;

/** TypeORM: DataSource options (type, poolSize, extra passed to the pg / mysql2 pool). */
export const typeorm: ConfigFamily = {
  id: "typeorm",
  title: "TypeORM",
  detect(file) {
    if (TYPEORM.test(file.text)) return 0.9;
    return TYPE.test(file.text) && /["']?(entities|synchronize|migrations)["']?\s*:/.test(file.text) ? 0.7 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const idle = file.codeInObject("extra", "idleTimeoutMillis").pop();
    const idleMs = numberValue(idle?.value);
    if (idle && idleMs !== undefined && (idleMs === 0 || outlivesProxy(idleMs / 1000, context))) {
      findings.push(
        configFinding(
          "config.typeorm.idle_timeout",
          { file: file.name, line: idle.line, setting: `extra.idleTimeoutMillis: ${idle.value}` },
          "break",
          idleMessage(`extra.idleTimeoutMillis ${idle.value}${idleMs === 0 ? " (never)" : ""}`, idleMs === 0 ? Infinity : idleMs / 1000, context),
        ),
      );
    }
    const size = file.code("poolSize").pop() ?? file.codeInObject("extra", "max").pop() ?? file.codeInObject("extra", "connectionLimit").pop();
    if (size) {
      findings.push(configFinding("config.typeorm.pool_size", { file: file.name, line: size.line, setting: `${size.key}: ${size.value}` }, "info", `each DataSource opens up to ${size.value} connections`));
    }
    return { findings };
  },
};
