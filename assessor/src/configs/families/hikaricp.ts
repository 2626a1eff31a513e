import type { ConfigFinding } from "../../report/report.js";
import { connectSqlFinding, engineOf, idleMessage, outlivesProxy, seconds } from "../checks.js";
import type { ConfigDocument } from "../config-document.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { durationSeconds } from "../text/code.js";
import { canonicalKey, keyEndsWith, type Setting } from "../text/lines.js";

/** HikariCP defaults (HikariConfig): maxLifetime 30 min, idleTimeout 10 min, keepaliveTime 0 (off). */
const DEFAULT_MAX_LIFETIME_MS = 1_800_000;

/**
 * A HikariCP setting from Spring properties / YAML (`spring.datasource.hikari.max-lifetime`, relaxed binding),
 * hikari.properties (`maxLifetime`) or Java code (`config.setMaxLifetime(1800000)`).
 */
function hikariSetting(file: ConfigDocument, name: string): Setting | undefined {
  const structured = file.structured.settings.filter(
    (s) => keyEndsWith(s.key, name) && (canonicalKey(s.key).includes("hikari") || !s.key.includes(".")),
  );
  const setter = new RegExp(`\\.set${name[0]!.toUpperCase()}${name.slice(1)}\\(\\s*("(?:[^"\\\\]|\\\\.)*"|[^)]*?)\\s*\\)`, "g");
  const code = [...file.text.matchAll(setter)].map((m) => ({
    key: name,
    value: m[1]!.replace(/^"|"$/g, "").replace(/L$/, ""),
    line: file.lines.lineAt(m.index),
  }));
  return [...structured, ...code].sort((a, b) => a.line - b.line).pop();
}

export const hikaricp: ConfigFamily = {
  id: "hikaricp",
  title: "HikariCP (Spring Boot's default pool)",
  detect(file) {
    if (file.structured.settings.some((s) => canonicalKey(s.key).includes("hikari"))) return 0.9;
    if (/\bHikari(Config|DataSource)\b/.test(file.text)) return 0.8;
    const keys = new Set(file.structured.settings.filter((s) => !s.key.includes(".")).map((s) => canonicalKey(s.key)));
    return ["jdbcurl", "datasourceclassname", "maximumpoolsize", "connectioninitsql", "maxlifetime"].some((k) => keys.has(k))
      ? 0.7
      : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const at = (s: Setting) => ({ file: file.name, line: s.line, setting: `${s.key}=${s.value}` });
    const engine = engineOf(file.connections, context, "postgresql");

    const initSql = hikariSetting(file, "connectionInitSql");
    if (initSql && initSql.value.trim() !== "") {
      const pin = connectSqlFinding("config.hikari.connection_init_sql", at(initSql), engine, initSql.value, context, "connectionInitSql");
      if (pin) findings.push(pin);
    }

    const maxLifetime = hikariSetting(file, "maxLifetime");
    const keepalive = hikariSetting(file, "keepaliveTime");
    const lifetimeSeconds = durationSeconds(maxLifetime?.value, "ms") ?? DEFAULT_MAX_LIFETIME_MS / 1000;
    const keepaliveSeconds = durationSeconds(keepalive?.value, "ms") ?? 0;
    // An idle pooled connection is touched by the keepalive, or retired at maxLifetime; 0 means "never" for both.
    const idleSeconds = Math.min(keepaliveSeconds > 0 ? keepaliveSeconds : Infinity, lifetimeSeconds > 0 ? lifetimeSeconds : Infinity);
    if (outlivesProxy(idleSeconds, context)) {
      const byKeepalive = keepaliveSeconds > 0 && (lifetimeSeconds <= 0 || keepaliveSeconds <= lifetimeSeconds);
      const setting = byKeepalive ? keepalive : maxLifetime;
      const where = setting
        ? at(setting)
        : { file: file.name, line: file.lineOf(/hikari|jdbc:/i), setting: `maxLifetime=${DEFAULT_MAX_LIFETIME_MS} (default)` };
      findings.push(
        configFinding(
          byKeepalive ? "config.hikari.keepalive_time" : "config.hikari.max_lifetime",
          where,
          "break",
          idleMessage(
            `maxLifetime ${lifetimeSeconds > 0 ? seconds(lifetimeSeconds) : "0 (no limit)"}${keepaliveSeconds > 0 ? `, keepaliveTime ${seconds(keepaliveSeconds)}` : ", no keepaliveTime"}`,
            idleSeconds,
            context,
          ),
        ),
      );
    }
    const idleTimeout = hikariSetting(file, "idleTimeout");
    const idleTimeoutSeconds = durationSeconds(idleTimeout?.value, "ms");
    if (idleTimeout && idleTimeoutSeconds !== undefined && (idleTimeoutSeconds === 0 || outlivesProxy(idleTimeoutSeconds, context))) {
      findings.push(
        configFinding(
          "config.hikari.idle_timeout",
          at(idleTimeout),
          "warn",
          `idleTimeout ${idleTimeoutSeconds === 0 ? "0 (never)" : seconds(idleTimeoutSeconds)} keeps connections above minimumIdle idle past the proxy's idle_client_timeout (${seconds(context.idleClientTimeoutSeconds)})`,
        ),
      );
    }
    const poolSize = hikariSetting(file, "maximumPoolSize");
    if (poolSize) {
      findings.push(
        configFinding(
          "config.hikari.maximum_pool_size",
          at(poolSize),
          "info",
          `each application instance opens up to ${poolSize.value} connections`,
        ),
      );
    }
    return { findings };
  },
};
