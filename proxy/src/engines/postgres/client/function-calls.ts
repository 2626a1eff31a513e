/**
 * FunctionCall ('F') messages: the protocol's way to call a function by oid without SQL (libpq's large-object
 * interface uses it, and anyone can call set_config or pg_advisory_lock this way). The rulebook decides them by the
 * function's name, exactly as it decides the same call in SQL: set_config, the session advisory locks and
 * nextval/setval pin; their transaction-scoped relatives, currval/lastval and the large-object functions do not.
 *
 * Any other function (a user's, or a built-in the rulebook has no rule for) is forwarded without pinning, as
 * `SELECT f(...)` is: AWS documents that functions and procedures do not pin and that state they change inside is not
 * detected. The trial report counts these calls as not inspected, so a team sees where it relies on that.
 *
 * Oids are looked up on the target (pg_proc) when the proxy starts, not taken from a table compiled in: built-in
 * oids are the same in every database of a cluster, but which functions exist differs between server versions.
 */
import { isTrueText, type PinFinding, POSTGRES_DECIDED_FUNCTIONS, postgresFunctionCallFindings } from "@proxyfit/assessor/rules";
import type { FunctionCallMessage } from "../protocol/frontend.js";

/** Name by oid of the built-in functions the rulebook decides. */
export type FunctionCatalog = ReadonlyMap<number, string>;

/** One row, "oid name,oid name,...", so that DatabaseConnection.run (first column of the first row) can read it. */
export const FUNCTION_CATALOG_QUERY = `SELECT string_agg(p.oid::text || ' ' || p.proname, ',')
FROM pg_catalog.pg_proc p
WHERE p.pronamespace = 'pg_catalog'::regnamespace
  AND p.proname IN (${POSTGRES_DECIDED_FUNCTIONS.map((name) => `'${name}'`).join(", ")})`;

export function parseFunctionCatalog(rows: string | undefined): FunctionCatalog {
  const catalog = new Map<number, string>();
  for (const row of (rows ?? "").split(",")) {
    const [oid, name] = row.split(" ");
    if (oid && name) catalog.set(Number(oid), name);
  }
  return catalog;
}

export interface FunctionCallDecision {
  /** Empty unless the call pins. */
  findings: readonly PinFinding[];
  /** The function is outside the rulebook's list: it runs unseen. */
  notInspected: boolean;
  /** The function's name, or its oid when it is not a built-in the rulebook knows. */
  description: string;
}

const NO_FINDINGS: readonly PinFinding[] = Object.freeze([]);

export function decideFunctionCall(catalog: FunctionCatalog, call: FunctionCallMessage): FunctionCallDecision {
  const name = catalog.get(call.functionOid);
  if (name === undefined) return { findings: NO_FINDINGS, notInspected: true, description: `function oid ${call.functionOid}` };
  if (name !== "set_config") {
    return { findings: postgresFunctionCallFindings({ name, schema: "pg_catalog" }), notInspected: false, description: `${name}()` };
  }
  // set_config(name, value, is_local): text arguments read the same in either format; a boolean is one byte in binary.
  const parameter = call.args[0];
  const local = call.args[2];
  const findings = postgresFunctionCallFindings({
    name,
    schema: "pg_catalog",
    ...(parameter ? { parameter: parameter.toString("utf8") } : {}),
    transactionLocal: local ? (call.formats[2] === 1 ? local.length === 1 && local[0] !== 0 : isTrueText(local.toString("utf8"))) : false,
  });
  return { findings, notInspected: false, description: "set_config()" };
}
