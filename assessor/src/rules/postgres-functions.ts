import type { FindingCollector } from "./findings.js";

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
