import type { RuleDoc, RuleId } from "./rulebook.js";

const PINNING_PAGE = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html";
const ALL_ENGINES = `${PINNING_PAGE}#rds-proxy-pinning.all`;
const POSTGRES = `${PINNING_PAGE}#rds-proxy-pinning.postgres`;
const MYSQL = `${PINNING_PAGE}#rds-proxy-pinning.mysql`;
const MYSQL_TRACKED = `${PINNING_PAGE}#rds-proxy-pinning.mysql-tracked-vars`;
const EXTENDED_PROTOCOL_LAUNCH =
  "https://aws.amazon.com/blogs/database/amazon-rds-proxy-multiplexing-support-for-postgresql-extended-query-protocol/";

/** One entry per rule id, in the order docs/rules.md lists them. */
export const RULE_DOCS: readonly RuleDoc[] = [
  {
    id: "any.statement_over_16kb",
    engine: "any",
    title: "Statement text larger than 16 KB",
    remediation:
      "Send large payloads as bind parameters of smaller statements, or split bulk inserts into batches under 16 KB of SQL text.",
    source: ALL_ENGINES,
    ambiguous: false,
  },
  {
    id: "pg.set",
    engine: "postgresql",
    title: "SET of a session parameter",
    remediation:
      "Stop sending repeated SETs (search_path, application_name, DateStyle, TimeZone ...) from the application: set them per role or database (ALTER ROLE app SET search_path = ...), in the DB parameter group, or in the proxy's initialization query.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.set_local",
    engine: "postgresql",
    title: "Transaction-scoped setting (SET LOCAL, SET TRANSACTION, set_config(..., true))",
    remediation:
      "Usually nothing: the setting ends with the transaction. If the proxy does pin on it, set the value per role (ALTER ROLE ... SET) or in the initialization query.",
    source: POSTGRES,
    ambiguous: true,
  },
  {
    id: "pg.set_config",
    engine: "postgresql",
    title: "set_config() changing a session parameter",
    remediation:
      "Pass true as the third argument (transaction-local) where the value is only needed for the transaction, or move the setting into the initialization query.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.reset",
    engine: "postgresql",
    title: "RESET of a session parameter",
    remediation:
      "Drop the RESET (often a pool's reset query): with transaction-level reuse the proxy does not need it. If the driver sends it on release, turn that reset off.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.sql_prepare",
    engine: "postgresql",
    title: "SQL-level PREPARE, EXECUTE or DEALLOCATE",
    remediation:
      "Use the driver's protocol-level prepared statements (Parse/Bind/Execute), which RDS Proxy multiplexes since November 2023, instead of SQL PREPARE/EXECUTE; turn off DEALLOCATE ALL reset queries.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.discard",
    engine: "postgresql",
    title: "DISCARD (session state)",
    remediation: "Remove DISCARD ALL / DISCARD PLANS from the pool's reset query; the proxy resets connections itself.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.temp_object",
    engine: "postgresql",
    title: "Temporary table, sequence or view",
    remediation:
      "Use a regular (UNLOGGED if it is scratch data) table keyed by a session or job id, or a CTE / subquery instead of the temporary table.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.temp_schema_object",
    engine: "postgresql",
    title: "Function, type, domain or other object created in pg_temp",
    remediation:
      "Create the function or type once, in a regular schema (a migration), instead of per session in pg_temp; for a one-off computation use a CTE or an inline expression.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.cursor",
    engine: "postgresql",
    title: "DECLARE ... CURSOR",
    remediation:
      "Page with keyset queries (WHERE id > $1 ORDER BY id LIMIT n), or run cursor work through a direct (non-proxy) connection.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.listen",
    engine: "postgresql",
    title: "LISTEN on a notification channel",
    remediation: "Run LISTEN consumers on a direct database connection; keep NOTIFY on the proxy (NOTIFY does not pin).",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.load",
    engine: "postgresql",
    title: "LOAD of a library module",
    remediation:
      "Load the module for every connection with shared_preload_libraries or session_preload_libraries in the DB parameter group.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.sequence_fn",
    engine: "postgresql",
    title: "Sequence function nextval() or setval() called in the statement",
    remediation:
      "Let the column default (serial / identity) fill the value and read it back with INSERT ... RETURNING instead of calling nextval() from the application.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.advisory_lock",
    engine: "postgresql",
    title: "Session-level advisory lock",
    remediation:
      "Use the transaction-level variants pg_advisory_xact_lock / pg_try_advisory_xact_lock, which are released at commit and do not pin.",
    source: POSTGRES,
    ambiguous: false,
  },
  {
    id: "pg.extended_protocol",
    engine: "postgresql",
    title: "Extended query protocol Parse message (before November 2023)",
    remediation:
      "Nothing on a current proxy: RDS Proxy multiplexes the extended query protocol since 10 November 2023. On the older behaviour, use simple-query mode in the driver.",
    source: EXTENDED_PROTOCOL_LAUNCH,
    ambiguous: false,
  },
  {
    id: "mysql.lock_tables",
    engine: "mysql",
    title: "LOCK TABLES or FLUSH TABLES WITH READ LOCK",
    remediation: "Use transactions with SELECT ... FOR UPDATE / FOR SHARE row locks instead of explicit table locks.",
    source: MYSQL,
    ambiguous: false,
  },
  {
    id: "mysql.get_lock",
    engine: "mysql",
    title: "Named lock with GET_LOCK()",
    remediation:
      "Use a row in a lock table locked with SELECT ... FOR UPDATE inside a transaction, or run the locking job on a direct connection.",
    source: MYSQL,
    ambiguous: false,
  },
  {
    id: "mysql.user_variable",
    engine: "mysql",
    title: "User variable (@name) set or read",
    remediation:
      "Keep the value in the application and send it as a parameter. If only SETs pin you, the session pinning filter EXCLUDE_VARIABLE_SETS stops them pinning (safe only when no later transaction relies on the value).",
    source: MYSQL,
    ambiguous: false,
  },
  {
    id: "mysql.system_variable",
    engine: "mysql",
    title: "SET of a session system variable RDS Proxy does not track",
    remediation:
      "Move the SET into the proxy's initialization query, set it in the DB parameter group, or use the session pinning filter EXCLUDE_VARIABLE_SETS.",
    source: MYSQL_TRACKED,
    ambiguous: false,
  },
  {
    id: "mysql.next_transaction_setting",
    engine: "mysql",
    title: "SET TRANSACTION for the next transaction",
    remediation:
      "Use START TRANSACTION READ ONLY / READ WRITE, or SET SESSION transaction_isolation (tracked by the proxy), instead of SET TRANSACTION without SESSION.",
    source: MYSQL_TRACKED,
    ambiguous: false,
  },
  {
    id: "mysql.temp_table",
    engine: "mysql",
    title: "CREATE TEMPORARY TABLE",
    remediation: "Use a regular table keyed by a job id, or a derived table / CTE instead of the temporary table.",
    source: MYSQL,
    ambiguous: false,
  },
  {
    id: "mysql.prepared_statement",
    engine: "mysql",
    title: "Prepared statement (SQL PREPARE/EXECUTE or binary protocol COM_STMT_PREPARE)",
    remediation:
      "Turn off server-side prepares in the driver (JDBC useServerPrepStmts=false, Go interpolateParams=true, PHP PDO emulated prepares) so parameters are sent as text.",
    source: ALL_ENGINES,
    ambiguous: false,
  },
  {
    id: "mysql.found_rows_row_count",
    engine: "mysql",
    title: "FOUND_ROWS() or ROW_COUNT()",
    remediation:
      "Use the affected-rows count the protocol already returns (OK packet) instead of ROW_COUNT(), and a separate COUNT(*) query instead of SQL_CALC_FOUND_ROWS + FOUND_ROWS().",
    source: MYSQL,
    ambiguous: true,
  },
  {
    id: "mysql.executable_comment",
    engine: "mysql",
    title: "Executable comment /*! ... */ or /*M! ... */",
    remediation:
      "Remove version-conditional comments from application SQL (they usually come from mysqldump output or ORM dialect shims) and send the plain statement.",
    source: MYSQL,
    ambiguous: false,
  },
];

const BY_ID = new Map<RuleId, RuleDoc>(RULE_DOCS.map((doc) => [doc.id, doc]));

export function ruleDoc(id: RuleId): RuleDoc {
  const doc = BY_ID.get(id);
  if (!doc) throw new Error(`Unknown rule id "${id}"`);
  return doc;
}
