import type { ConfigFinding } from "../../report/report.js";
import { idleMessage, outlivesProxy, parsePins } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { numberValue } from "../text/code.js";

const ASYNCPG = /^\s*(import\s+asyncpg|from\s+asyncpg)\b|\basyncpg\.(connect|create_pool)\(/m;

/** asyncpg: connect() / create_pool() keyword arguments. */
export const asyncpg: ConfigFamily = {
  id: "asyncpg",
  title: "asyncpg",
  detect(file) {
    return ASYNCPG.test(file.text) ? 0.9 : /postgresql\+asyncpg:/.test(file.text) ? 0.6 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const cache = file.code("statement_cache_size").pop();
    const cacheOff = numberValue(cache?.value) === 0;
    if (parsePins(context) && !cacheOff) {
      findings.push(
        configFinding(
          "config.asyncpg.statement_cache_size",
          { file: file.name, line: cache?.line ?? file.lineOf(ASYNCPG), setting: `statement_cache_size=${cache?.value ?? "100 (default)"}` },
          "pin",
          `asyncpg runs every query as a named prepared statement; under ${context.profile} their Parse messages pin the session`,
        ),
      );
    }
    if (!parsePins(context) && cache && cacheOff) {
      findings.push(
        configFinding(
          "config.asyncpg.statement_cache_size",
          { file: file.name, line: cache.line, setting: `statement_cache_size=${cache.value}` },
          "info",
          `statement_cache_size=0 re-prepares every query; named prepared statements no longer pin under ${context.profile}`,
        ),
      );
    }
    const inactive = file.code("max_inactive_connection_lifetime").pop();
    const inactiveSeconds = numberValue(inactive?.value);
    if (inactive && inactiveSeconds !== undefined && (inactiveSeconds === 0 || outlivesProxy(inactiveSeconds, context))) {
      findings.push(
        configFinding(
          "config.asyncpg.max_inactive_connection_lifetime",
          { file: file.name, line: inactive.line, setting: `max_inactive_connection_lifetime=${inactive.value}` },
          "break",
          idleMessage("max_inactive_connection_lifetime", inactiveSeconds === 0 ? Infinity : inactiveSeconds, context),
        ),
      );
    }
    return { findings };
  },
};
