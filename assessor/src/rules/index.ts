/**
 * @proxyfit/assessor/rules: the pinning rulebook shared by the assessor (logged statements) and the trial proxy (wire
 * messages), and statement fingerprints.
 *
 *   const rulebook = await loadRulebook("postgresql");          // profile "rds-proxy"
 *   rulebook.classify({ text: "SET search_path = app" });
 *   // { findings: [{ rule: "pg.set", reason: "SQL changed session settings ...: search_path", ambiguous: false }],
 *   //   method: "parser" }
 */
import type { Engine } from "../events/log-event.js";
import { loadPostgresParser } from "../statements/pg-parser.js";
import { createRulebook } from "./classifier.js";
import { mysqlRules } from "./mysql.js";
import { postgresRules } from "./postgres.js";
import { profileBehaviour } from "./profiles.js";
import type { ProfileId, Rulebook } from "./rulebook.js";

export type {
  StatementFingerprint,
  StatementFingerprinter,
} from "../statements/fingerprint.js";
export { loadStatementFingerprinter } from "../statements/fingerprint.js";
export {
  type CalledFunction,
  isTrueText,
  POSTGRES_DECIDED_FUNCTIONS,
  postgresFunctionCallFindings,
} from "./postgres-functions.js";
export { type ProfileBehaviour, profileBehaviour } from "./profiles.js";
/** The lexer the rules read statements with, for a proxy that must recognize a statement kind the rules do not cover. */
export { MYSQL_DIALECT, type Token, tokenize } from "../statements/lexer.js";
export { RULE_DOCS, ruleDoc } from "./rule-docs.js";
export {
  type Classification,
  type MysqlRuleId,
  type PinFinding,
  type PostgresRuleId,
  PROFILES,
  type ProfileId,
  type RuleDoc,
  type RuleId,
  type Rulebook,
  type StatementToClassify,
} from "./rulebook.js";

/**
 * The rulebook for one engine and profile. Async only because libpg-query's WASM module loads once per process;
 * classify() itself is synchronous and pure. Throws on an unknown engine or profile.
 */
export async function loadRulebook(engine: Engine, profile: ProfileId = "rds-proxy"): Promise<Rulebook> {
  const behaviour = profileBehaviour(profile);
  if (engine === "mysql") return createRulebook(mysqlRules(), behaviour);
  if (engine === "postgresql") return createRulebook(postgresRules(await loadPostgresParser()), behaviour);
  throw new Error(`Unknown engine "${String(engine)}": expected "postgresql" or "mysql"`);
}
