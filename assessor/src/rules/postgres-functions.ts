import { FindingCollector } from "./findings.js";
import type { PinFinding } from "./rulebook.js";

/** A call found in the statement, by the parser or by the lexical scan. */
export interface CalledFunction {
  name: string;
  /** Schema the name was qualified with; built-ins count only unqualified or in pg_catalog. */
  schema?: string;
  /** set_config: the parameter name, when the first argument is a constant. */
  parameter?: string;
  /** set_config: the third argument is a constant true (the setting ends with the transaction). */
  transactionLocal?: boolean;
}

const SEQUENCE_FUNCTIONS = new Set(["nextval", "setval"]);
/** Session-level advisory locks. The _xact_ variants end with the transaction and unlocking pins nothing. */
const SESSION_ADVISORY_LOCKS = new Set([
  "pg_advisory_lock",
  "pg_advisory_lock_shared",
  "pg_try_advisory_lock",
  "pg_try_advisory_lock_shared",
]);

/**
 * Built-in functions (pg_catalog) whose effect on the session the rulebook has decided, pinning or not: the ones that
 * pin, their transaction-scoped and read-only relatives, and the large-object functions libpq calls by FunctionCall
 * message (their descriptors close with the transaction; the objects themselves are data, not session state).
 */
export const POSTGRES_DECIDED_FUNCTIONS: readonly string[] = [
  "set_config",
  ...SEQUENCE_FUNCTIONS,
  "currval",
  "lastval",
  ...SESSION_ADVISORY_LOCKS,
  "pg_advisory_xact_lock",
  "pg_advisory_xact_lock_shared",
  "pg_try_advisory_xact_lock",
  "pg_try_advisory_xact_lock_shared",
  "pg_advisory_unlock",
  "pg_advisory_unlock_shared",
  "pg_advisory_unlock_all",
  "lo_open",
  "lo_close",
  "loread",
  "lowrite",
  "lo_lseek",
  "lo_lseek64",
  "lo_tell",
  "lo_tell64",
  "lo_truncate",
  "lo_truncate64",
  "lo_creat",
  "lo_create",
  "lo_unlink",
  "lo_import",
  "lo_export",
  "lo_get",
  "lo_put",
  "lo_from_bytea",
];

/** The findings of one call of a built-in function, as the same call in SQL gives (for protocol FunctionCalls). */
export function postgresFunctionCallFindings(call: CalledFunction): PinFinding[] {
  const findings = new FindingCollector();
  recordFunctionCall(call, findings);
  return findings.findings();
}

export function recordFunctionCall(call: CalledFunction, findings: FindingCollector): void {
  if (call.schema !== undefined && call.schema !== "pg_catalog") return;
  if (SEQUENCE_FUNCTIONS.has(call.name)) findings.add("pg.sequence_fn", `${call.name}()`);
  else if (SESSION_ADVISORY_LOCKS.has(call.name)) findings.add("pg.advisory_lock", `${call.name}()`);
  else if (call.name === "set_config") {
    const detail = call.parameter === undefined ? "set_config()" : `set_config('${call.parameter}')`;
    findings.add(call.transactionLocal ? "pg.set_local" : "pg.set_config", detail);
  }
}

/** PostgreSQL's boolean input: true, yes, on, 1 and their unique prefixes. */
export function isTrueText(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (value === "") return false;
  return value === "1" || value === "on" || "true".startsWith(value) || "yes".startsWith(value);
}

/** pg_temp, or the pg_temp_N it stands for: the session's own temporary schema. */
export function isTemporarySchema(schema: string | undefined): boolean {
  return schema !== undefined && (schema === "pg_temp" || /^pg_temp_\d+$/.test(schema));
}
