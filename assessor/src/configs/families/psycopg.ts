import type { ConfigFinding } from "../../report/report.js";
import { idleMessage, outlivesProxy, parsePins, seconds } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { isNullLiteral, numberValue } from "../text/code.js";

/** psycopg_pool defaults: max_lifetime 1 hour, max_idle 10 minutes. */
const POOL_MAX_LIFETIME = 3600;
const PSYCOPG3 = /^\s*(import\s+psycopg(_pool)?\b(?!2)|from\s+psycopg(_pool)?(\.\w+)*\s+import\b)/m;
const NAMED_CURSOR = /\.cursor\(\s*(?:name\s*=\s*)?["'][^"']+["']|\bServerCursor\(|\bAsyncServerCursor\(/;

/** psycopg 3 (and psycopg2 named cursors), psycopg_pool. */
export const psycopg: ConfigFamily = {
  id: "psycopg",
  title: "psycopg 3 / psycopg2 / psycopg_pool",
  detect(file) {
    if (PSYCOPG3.test(file.text)) return 0.9;
    return /^\s*(import\s+psycopg2|from\s+psycopg2)\b/m.test(file.text) ? 0.8 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const v3 = PSYCOPG3.test(file.text);
    const threshold = file.code("prepare_threshold").pop();
    const off = threshold !== undefined && (isNullLiteral(threshold.value) || numberValue(threshold.value) === 0);
    if (v3 && parsePins(context) && !off) {
      findings.push(
        configFinding(
          "config.psycopg.prepare_threshold",
          { file: file.name, line: threshold?.line ?? file.lineOf(PSYCOPG3), setting: `prepare_threshold=${threshold?.value ?? "5 (default)"}` },
          "pin",
          `psycopg 3 prepares a query server-side after it ran ${threshold?.value ?? 5} times; under ${context.profile} the Parse of a named statement pins the session`,
        ),
      );
    }
    if (v3 && !parsePins(context) && off) {
      findings.push(
        configFinding(
          "config.psycopg.prepare_threshold",
          { file: file.name, line: threshold.line, setting: `prepare_threshold=${threshold.value}` },
          "info",
          `prepare_threshold=${threshold.value} turns server-side prepared statements off; they no longer pin under ${context.profile}`,
        ),
      );
    }
    const cursor = NAMED_CURSOR.exec(file.text);
    if (cursor) {
      findings.push(
        configFinding(
          "config.psycopg.server_side_cursor",
          { file: file.name, line: file.lines.lineAt(cursor.index), setting: cursor[0] },
          "pin",
          "a named cursor is a server-side cursor (DECLARE ... CURSOR): the session pins until it disconnects",
        ),
      );
    }
    const pool = /\b(Async)?ConnectionPool\(/.exec(file.text);
    if (pool && file.code("check").length === 0) {
      const lifetime = file.code("max_lifetime").pop();
      const lifetimeSeconds = numberValue(lifetime?.value) ?? POOL_MAX_LIFETIME;
      if (outlivesProxy(lifetimeSeconds, context)) {
        findings.push(
          configFinding(
            "config.psycopg.pool_max_lifetime",
            {
              file: file.name,
              line: lifetime?.line ?? file.lines.lineAt(pool.index),
              setting: `max_lifetime=${lifetime?.value ?? `${POOL_MAX_LIFETIME} (default)`}`,
            },
            "break",
            idleMessage(`psycopg_pool keeps min_size connections until max_lifetime (${seconds(lifetimeSeconds)}) without a check callback`, lifetimeSeconds, context),
          ),
        );
      }
    }
    return { findings };
  },
};
