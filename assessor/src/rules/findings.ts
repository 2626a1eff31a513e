import { ruleDoc } from "./rule-docs.js";
import type { PinFinding, RuleId } from "./rulebook.js";

/**
 * The reason of each finding, worded like RDS Proxy's pinning log line where AWS documents one ("SQL changed session
 * settings that the proxy doesn't track", "A parse message was detected").
 */
const REASONS: Record<RuleId, string> = {
  "any.statement_over_16kb": "The statement text is larger than 16 KB",
  "pg.set": "SQL changed session settings that the proxy doesn't track",
  "pg.set_local": "SQL changed a setting for the current transaction only",
  "pg.set_config": "set_config() changed session settings that the proxy doesn't track",
  "pg.reset": "SQL reset a session parameter to its default",
  "pg.sql_prepare": "SQL managed a prepared statement",
  "pg.discard": "SQL discarded the session state",
  "pg.temp_object": "SQL created a temporary object",
  "pg.temp_schema_object": "SQL created an object in the session's temporary schema",
  "pg.cursor": "SQL declared a cursor",
  "pg.listen": "SQL listened on a notification channel",
  "pg.load": "SQL loaded a library module",
  "pg.sequence_fn": "SQL called a sequence function",
  "pg.advisory_lock": "SQL took a session-level advisory lock",
  "pg.extended_protocol": "A parse message was detected",
  "mysql.lock_tables": "SQL took an explicit table lock",
  "mysql.get_lock": "SQL created a named lock with GET_LOCK",
  "mysql.user_variable": "SQL used a user variable",
  "mysql.system_variable": "SQL changed session settings that the proxy doesn't track",
  "mysql.next_transaction_setting": "SQL set the characteristics of the next transaction",
  "mysql.temp_table": "SQL created a temporary table",
  "mysql.prepared_statement": "A prepared statement was used",
  "mysql.found_rows_row_count": "SQL called FOUND_ROWS() or ROW_COUNT()",
  "mysql.executable_comment": "SQL contains an executable comment",
};

/** A finding for one rule, outside of any collection (protocol findings). */
export function pinFinding(rule: RuleId, details: readonly string[] = []): PinFinding {
  const reason = details.length > 0 ? `${REASONS[rule]}: ${details.join(", ")}` : REASONS[rule];
  return Object.freeze({ rule, reason, ambiguous: ruleDoc(rule).ambiguous });
}

/**
 * Collects the findings of one statement text. Each rule appears once, in the order it first matched; the details
 * (parameter, function or variable names) of every match are listed in its reason.
 */
export class FindingCollector {
  readonly #details = new Map<RuleId, string[]>();
  readonly #notInspected: string[] = [];

  /** A DO block or procedure call: it runs code the rulebook cannot see into (see Classification.notInspected). */
  notInspected(detail: string): void {
    if (!this.#notInspected.includes(detail)) this.#notInspected.push(detail);
  }

  notInspectedDetails(): string[] {
    return [...this.#notInspected];
  }

  add(rule: RuleId, detail?: string): void {
    let details = this.#details.get(rule);
    if (!details) {
      details = [];
      this.#details.set(rule, details);
    }
    if (detail !== undefined && detail !== "" && !details.includes(detail)) details.push(detail);
  }

  findings(): PinFinding[] {
    return [...this.#details].map(([rule, details]) => pinFinding(rule, details));
  }
}
