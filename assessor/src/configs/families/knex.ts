import type { ConfigFinding } from "../../report/report.js";
import { connectSqlFinding, engineOf } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { numberValue, objectAfterKey } from "../text/code.js";

const KNEX = /require\(\s*["']knex["']\s*\)|from\s+["']knex["']|\bKnex\.Config\b|\bknex\(\s*\{/;
const CLIENT = /\bclient\s*:\s*["'](pg|postgres|postgresql|pgnative|mysql2?)["']/;
/** tarn's default pool for knex: min 2, max 10. */
const DEFAULT_MIN = 2;

/** knex (knexfile.js / knex({ ... })): client and pool options. */
export const knex: ConfigFamily = {
  id: "knex",
  title: "knex",
  detect(file) {
    if (KNEX.test(file.text)) return 0.9;
    return CLIENT.test(file.text) && /\b(migrations|pool)\s*:/.test(file.text) ? 0.7 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const client = CLIENT.exec(file.text);
    const engine = client ? (/^(pg|postgres|postgresql|pgnative)$/.test(client[1]!) ? "postgresql" : "mysql") : engineOf(file.connections, context, "postgresql");
    const min = file.codeInObject("pool", "min").pop();
    const minValue = numberValue(min?.value) ?? DEFAULT_MIN;
    if (minValue > 0) {
      findings.push(
        configFinding(
          "config.knex.pool_min",
          {
            file: file.name,
            line: min?.line ?? (client ? file.lines.lineAt(client.index) : file.lineOf(KNEX)),
            setting: `pool.min: ${min?.value ?? `${DEFAULT_MIN} (default)`}`,
          },
          "break",
          `knex keeps pool.min (${minValue}) connections open forever; once they sit idle for idle_client_timeout (${context.idleClientTimeoutSeconds} s) the proxy closes them and the next query fails with "Connection terminated unexpectedly"`,
        ),
      );
    }
    const afterCreate = objectAfterKey(file.text, "pool");
    const hook = afterCreate ? /afterCreate/.exec(afterCreate.body) : null;
    if (afterCreate && hook) {
      const body = afterCreate.body.slice(hook.index);
      for (const query of body.matchAll(/\.(?:query|raw)\(\s*(["'`])([\s\S]*?)\1/g)) {
        const line = file.lines.lineAt(afterCreate.offset + hook.index + query.index);
        const finding = connectSqlFinding("config.knex.after_create", { file: file.name, line, setting: `afterCreate: ${query[2]}` }, engine, query[2]!, context, "pool.afterCreate");
        if (finding) findings.push(finding);
      }
    }
    return { findings };
  },
};
