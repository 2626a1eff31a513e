import type { Engine } from "../events/log-event.js";

export type PostgresRuleId =
  | "pg.set"
  | "pg.set_local"
  | "pg.set_config"
  | "pg.reset"
  | "pg.sql_prepare"
  | "pg.discard"
  | "pg.temp_object"
  | "pg.temp_schema_object"
  | "pg.cursor"
  | "pg.listen"
  | "pg.load"
  | "pg.sequence_fn"
  | "pg.advisory_lock"
  | "pg.extended_protocol";

export type MysqlRuleId =
  | "mysql.lock_tables"
  | "mysql.get_lock"
  | "mysql.user_variable"
  | "mysql.system_variable"
  | "mysql.next_transaction_setting"
  | "mysql.temp_table"
  | "mysql.prepared_statement"
  | "mysql.found_rows_row_count"
  | "mysql.executable_comment";

export type RuleId = PostgresRuleId | MysqlRuleId | "any.statement_over_16kb";

/** rds-proxy: today's documented behaviour. rds-proxy-pre-2023: before the 10 Nov 2023 extended-protocol launch. */
export type ProfileId = "rds-proxy" | "rds-proxy-pre-2023";
export const PROFILES: readonly ProfileId[] = ["rds-proxy", "rds-proxy-pre-2023"];

/**
 * One statement (or protocol message) to classify. The assessor builds these from log events, the proxy from wire
 * messages; the rulebook does not care which.
 */
export interface StatementToClassify {
  /** SQL text. For a protocol Parse this is the query of the Parse message. */
  text: string;
  /**
   * How it reached the server: a simple query, or an extended-protocol / binary-protocol message. Only "parse"
   * (PostgreSQL Parse, MySQL COM_STMT_PREPARE) can pin by itself, depending on the profile.
   */
  via?: "simple" | "parse" | "bind" | "execute";
  /** Prepared statement name for via=parse; "" is the unnamed statement. */
  statementName?: string;
}

export interface PinFinding {
  rule: RuleId;
  /** The reason, worded like RDS Proxy's pinning log line where AWS documents one. */
  reason: string;
  /** The AWS documentation is ambiguous about this case; the summary gives the pin ratio with and without it. */
  ambiguous: boolean;
}

export interface Classification {
  /** Empty when the statement does not pin. */
  findings: PinFinding[];
  /**
   * "fast-path": decided by the first keyword and a scan for pinning function names. "parser": the statement was
   * analysed whole (PostgreSQL: by the real parser; MySQL: by the tokenizer). "lexical": the text is visibly
   * incomplete (truncated in the log) or the parser rejected it, and a token scan classified it instead.
   */
  method: "parser" | "lexical" | "fast-path";
  /**
   * What the statement runs that the rulebook cannot see into (a DO block, a CALL): RDS Proxy does not inspect
   * functions or procedures either, so state they change does not pin. Empty for almost every statement.
   */
  notInspected: readonly string[];
}

export interface Rulebook {
  readonly engine: Engine;
  readonly profile: ProfileId;
  /** Synchronous and pure: the proxy calls it on its hot path. */
  classify(statement: StatementToClassify): Classification;
}

/** What docs/rules.md says of a rule, also rendered into reports. */
export interface RuleDoc {
  id: RuleId;
  engine: Engine | "any";
  title: string;
  /** How to stop it pinning. */
  remediation: string;
  /** The AWS documentation page the rule rests on. */
  source: string;
  ambiguous: boolean;
}
