import { leadingWords } from "../sessions/transaction-control.js";

/** The log_statement level at which PostgreSQL logs a statement (its GetCommandLogLevel), by first keyword. */
export type LogStatementLevel = "all" | "mod" | "ddl";

const MOD = new Set(["insert", "update", "delete", "merge", "truncate"]);
const DDL = new Set([
  "create",
  "alter",
  "drop",
  "grant",
  "revoke",
  "comment",
  "security",
  "import",
  "refresh",
  "reassign",
]);
/** Where the level depends on what follows: WITH ... INSERT is mod, EXPLAIN ANALYZE takes its query's, COPY FROM is mod. */
const DEPENDS = new Set(["with", "explain", "prepare", "execute", "copy"]);

/**
 * The highest level among the statements of a query string, or undefined when a first keyword does not settle it.
 * log_statement = 'mod' logs a query string when any statement in it is a modification, so a string proves
 * log_statement = 'all' only when none of its statements would be logged at 'mod' or 'ddl'.
 */
export function pgLogStatementLevel(sql: string): LogStatementLevel | undefined {
  let level: LogStatementLevel = "all";
  for (const [first] of leadingWords(sql, 1, "postgresql")) {
    if (first === undefined || DEPENDS.has(first)) return undefined;
    if (MOD.has(first)) level = "mod";
    else if (DDL.has(first) && level === "all") level = "ddl";
  }
  return level;
}
