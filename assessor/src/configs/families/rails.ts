import type { Engine } from "../../events/log-event.js";
import type { ConfigFinding } from "../../report/report.js";
import { connectSqlFinding, outlivesProxy, parsePins, seconds } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { durationSeconds } from "../text/code.js";
import { isFalsy, isTruthy, type Setting } from "../text/lines.js";

const ADAPTERS: Record<string, Engine> = { postgresql: "postgresql", postgis: "postgresql", mysql2: "mysql", trilogy: "mysql" };
/** Environments that never run behind the proxy; skipped when the file also has another environment. */
const LOCAL_ENVIRONMENTS = new Set(["development", "test"]);
/** What Rails' PostgreSQL adapter sends in configure_connection, whatever database.yml says. */
const PG_CONNECT_SETS = ["SET client_min_messages TO 'warning'", "SET standard_conforming_strings = on", "SET intervalstyle = iso_8601"];

interface Environment {
  name: string;
  engine: Engine;
  adapter: Setting;
  settings: Map<string, Setting>;
}

function environments(settings: readonly Setting[]): Environment[] {
  const byName = new Map<string, Map<string, Setting>>();
  for (const s of settings) {
    const [env, ...rest] = s.key.split(".");
    if (!env || rest.length === 0) continue;
    const map = byName.get(env) ?? new Map<string, Setting>();
    map.set(rest.join("."), s);
    byName.set(env, map);
  }
  const all = [...byName].flatMap(([name, map]) => {
    const adapter = map.get("adapter");
    const engine = adapter ? ADAPTERS[adapter.value.toLowerCase()] : undefined;
    return adapter && engine ? [{ name, engine, adapter, settings: map }] : [];
  });
  const deployed = all.filter((e) => !LOCAL_ENVIRONMENTS.has(e.name) && !e.name.startsWith("default"));
  return deployed.length > 0 ? deployed : all;
}

/** Rails config/database.yml (ActiveRecord): adapter, prepared_statements, advisory_locks, variables, pool. */
export const rails: ConfigFamily = {
  id: "rails",
  title: "Rails config/database.yml",
  detect(file) {
    if (file.structured.format !== "yaml") return 0;
    return file.structured.settings.some((s) => /(^|\.)adapter$/.test(s.key) && ADAPTERS[s.value.toLowerCase()]) ? 0.95 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const seen = new Set<string>();
    const add = (finding: ConfigFinding | undefined) => {
      const key = `${finding?.rule}@${finding?.line}`;
      if (finding && !seen.has(key)) {
        seen.add(key);
        findings.push(finding);
      }
    };
    const at = (s: Setting, setting = `${s.key.split(".").pop()}: ${s.value}`) => ({ file: file.name, line: s.line, setting });

    for (const env of environments(file.structured.settings)) {
      const get = (key: string) => env.settings.get(key);
      const label = `${env.name} (${env.adapter.value})`;
      if (env.engine === "postgresql") {
        const pins = context.classifySql("postgresql", PG_CONNECT_SETS.join("; "));
        if (pins.length > 0) {
          add(
            configFinding(
              "config.rails.connect_sets",
              at(env.adapter, `adapter: ${env.adapter.value}`),
              "pin",
              `${label}: the PostgreSQL adapter sends ${PG_CONNECT_SETS.join("; ")} on every new connection; each SET pins the session (${pins[0]!.reason})`,
            ),
          );
        }
        const searchPath = get("schema_search_path");
        if (searchPath) {
          add(connectSqlFinding("config.rails.schema_search_path", at(searchPath), "postgresql", `SET search_path TO ${searchPath.value}`, context, `${label}: schema_search_path`));
        }
      } else {
        add(
          configFinding(
            "config.rails.mysql_connect_variables",
            at(env.adapter, `adapter: ${env.adapter.value}`),
            "warn",
            `${label}: the adapter sends SET @@SESSION.sql_mode, @@SESSION.sql_auto_is_null = 0, @@SESSION.wait_timeout on every new connection; sql_auto_is_null is not a variable RDS Proxy tracks, so sessions are likely pinned from the start`,
          ),
        );
      }
      const prepared = get("prepared_statements");
      if (env.engine === "postgresql") {
        if (parsePins(context) && !isFalsy(prepared?.value)) {
          add(
            configFinding(
              "config.rails.prepared_statements",
              prepared ? at(prepared) : at(env.adapter, "prepared_statements: true (default)"),
              "pin",
              `${label}: prepared statements are on; under ${context.profile} the Parse of each named statement pins the session`,
              "Set prepared_statements: false.",
            ),
          );
        } else if (!parsePins(context) && isFalsy(prepared?.value)) {
          add(
            configFinding(
              "config.rails.prepared_statements",
              at(prepared!),
              "info",
              `${label}: prepared_statements: false is no longer needed for RDS Proxy (named statements are multiplexed since Nov 2023)`,
            ),
          );
        }
      } else if (isTruthy(prepared?.value)) {
        add(configFinding("config.rails.prepared_statements", at(prepared!), "pin", `${label}: server-side prepared statements pin on MySQL`, "Set prepared_statements: false."));
      }
      const advisory = get("advisory_locks");
      if (!isFalsy(advisory?.value)) {
        add(
          configFinding(
            "config.rails.advisory_locks",
            advisory ? at(advisory) : at(env.adapter, "advisory_locks: true (default)"),
            "pin",
            `${label}: db:migrate takes a session advisory lock (${env.engine === "postgresql" ? "pg_advisory_lock" : "GET_LOCK"}), which pins the migration's session`,
          ),
        );
      }
      for (const [key, setting] of env.settings) {
        if (!key.startsWith("variables.")) continue;
        const name = key.slice("variables.".length);
        const sql = env.engine === "postgresql" ? `SET SESSION ${name} TO '${setting.value}'` : `SET @@SESSION.${name} = ${setting.value}`;
        add(connectSqlFinding("config.rails.variables", at(setting, `variables.${name}: ${setting.value}`), env.engine, sql, context, `${label}: variables.${name}`));
      }
      const idle = get("idle_timeout");
      const idleSeconds = durationSeconds(idle?.value, "s");
      if (idle && idleSeconds !== undefined && (idleSeconds === 0 || outlivesProxy(idleSeconds, context))) {
        add(
          configFinding(
            "config.rails.idle_timeout",
            at(idle),
            "break",
            `${label}: idle_timeout ${idleSeconds === 0 ? "0 (never reaped)" : seconds(idleSeconds)} keeps idle connections past the proxy's idle_client_timeout (${seconds(context.idleClientTimeoutSeconds)}); the next query on one fails`,
          ),
        );
      }
      const pool = get("pool");
      if (pool) add(configFinding("config.rails.pool", at(pool), "info", `${label}: each process opens up to ${pool.value} connections`));
    }
    return { findings };
  },
};
