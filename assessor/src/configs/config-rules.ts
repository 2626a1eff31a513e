import type { ConfigFinding } from "../report/report.js";

/** What docs/configs.md says of a config rule; `fix` is the default fix text of its findings. */
export interface ConfigRuleDoc {
  id: string;
  family: string;
  title: string;
  fix: string;
}

const INIT_QUERY_FIX =
  "Move the statement to the proxy's init_query (aws_db_proxy_default_target_group connection_pool_config.init_query), " +
  "or to ALTER ROLE ... SET / the DB parameter group, and remove it from the client.";

export const CONFIG_RULES: readonly ConfigRuleDoc[] = [
  // pgjdbc
  {
    id: "config.pgjdbc.extended_protocol",
    family: "pgjdbc",
    title: "pgjdbc sends every query with the extended protocol (Parse/Bind/Execute)",
    fix: "Under RDS Proxy before Nov 2023 every Parse pinned: set preferQueryMode=simple, or use a proxy with today's behaviour.",
  },
  {
    id: "config.pgjdbc.prepare_threshold",
    family: "pgjdbc",
    title: "prepareThreshold disables or tunes server-side prepared statements",
    fix: "RDS Proxy multiplexes named prepared statements since Nov 2023: remove prepareThreshold=0 to get the default (5) back.",
  },
  {
    id: "config.pgjdbc.prefer_query_mode",
    family: "pgjdbc",
    title: "preferQueryMode=simple avoids the extended protocol",
    fix: "Not needed with today's RDS Proxy: remove preferQueryMode=simple to get server-side binding and prepared statements back.",
  },
  {
    id: "config.pgjdbc.options",
    family: "pgjdbc",
    title: "options= sends command-line options in the startup packet",
    fix: "RDS Proxy refuses the connection (\"Feature not supported: RDS Proxy currently doesn't support command-line options\"): remove options= and set the parameters with ALTER ROLE ... SET or the proxy's init_query.",
  },
  {
    id: "config.pgjdbc.current_schema",
    family: "pgjdbc",
    title: "currentSchema= sends search_path as a startup parameter",
    fix: "RDS Proxy does not document startup parameters other than user, database and application_name: set search_path with ALTER ROLE ... SET search_path, or test the connection through the proxy.",
  },
  // HikariCP
  {
    id: "config.hikari.connection_init_sql",
    family: "hikaricp",
    title: "connectionInitSql runs SQL that pins on every new connection",
    fix: INIT_QUERY_FIX,
  },
  {
    id: "config.hikari.max_lifetime",
    family: "hikaricp",
    title: "pooled connections can stay idle longer than the proxy's idle_client_timeout",
    fix: "Set maxLifetime a little below idle_client_timeout (e.g. idle_client_timeout - 30 s), or set keepaliveTime (e.g. 300000) so idle connections are used before the proxy closes them.",
  },
  {
    id: "config.hikari.keepalive_time",
    family: "hikaricp",
    title: "keepaliveTime is longer than the proxy's idle_client_timeout",
    fix: "Set keepaliveTime below idle_client_timeout (e.g. 300000 ms).",
  },
  {
    id: "config.hikari.idle_timeout",
    family: "hikaricp",
    title: "idleTimeout keeps idle connections longer than the proxy's idle_client_timeout",
    fix: "Set idleTimeout below idle_client_timeout; the proxy closes idle clients first and the pool hands out a dead connection.",
  },
  {
    id: "config.hikari.maximum_pool_size",
    family: "hikaricp",
    title: "maximumPoolSize: client connections per application instance",
    fix: "Behind RDS Proxy these are client connections (cheap); without a proxy, instances x maximumPoolSize must stay below max_connections.",
  },
  // MySQL Connector/J
  {
    id: "config.connectorj.use_server_prep_stmts",
    family: "mysql-connector-j",
    title: "useServerPrepStmts=true uses binary-protocol prepared statements",
    fix: "Prepared statements pin on MySQL: set useServerPrepStmts=false (client-side emulation; keep cachePrepStmts for the client-side cache).",
  },
  {
    id: "config.connectorj.use_cursor_fetch",
    family: "mysql-connector-j",
    title: "useCursorFetch=true opens server-side cursors through prepared statements",
    fix: "Set useCursorFetch=false and stream results instead (fetchSize=Integer.MIN_VALUE) or page the query.",
  },
  {
    id: "config.connectorj.session_variables",
    family: "mysql-connector-j",
    title: "sessionVariables sets session variables on every new connection",
    fix: "Variables RDS Proxy does not track pin every session: " + INIT_QUERY_FIX,
  },
  // libpq family (psycopg2, psycopg, libpq URLs and DSNs, PGOPTIONS)
  {
    id: "config.libpq.options",
    family: "libpq",
    title: "options='-c ...' sends command-line options in the startup packet",
    fix: "RDS Proxy refuses the connection (\"Feature not supported: RDS Proxy currently doesn't support command-line options\"): remove options / PGOPTIONS and set the parameters with ALTER ROLE ... SET or the proxy's init_query.",
  },
  // psycopg 3
  {
    id: "config.psycopg.prepare_threshold",
    family: "psycopg",
    title: "psycopg 3 prepares statements server-side after prepare_threshold executions",
    fix: "Under RDS Proxy before Nov 2023 set prepare_threshold=None; with today's RDS Proxy the default (5) is fine.",
  },
  {
    id: "config.psycopg.server_side_cursor",
    family: "psycopg",
    title: "named (server-side) cursors declare a cursor",
    fix: "DECLARE ... CURSOR pins: use client-side cursors with LIMIT/OFFSET or keyset paging, or accept the pin for batch jobs.",
  },
  {
    id: "config.psycopg.pool_max_lifetime",
    family: "psycopg",
    title: "psycopg_pool keeps connections longer than the proxy's idle_client_timeout",
    fix: "Set max_lifetime (and max_idle) below idle_client_timeout, or pass check=ConnectionPool.check_connection.",
  },
  // asyncpg
  {
    id: "config.asyncpg.statement_cache_size",
    family: "asyncpg",
    title: "asyncpg prepares every query as a named server-side statement",
    fix: "Under RDS Proxy before Nov 2023 set statement_cache_size=0; with today's RDS Proxy the default is fine.",
  },
  {
    id: "config.asyncpg.max_inactive_connection_lifetime",
    family: "asyncpg",
    title: "the pool keeps idle connections longer than the proxy's idle_client_timeout",
    fix: "Set max_inactive_connection_lifetime below idle_client_timeout (asyncpg's default is 300 s).",
  },
  // SQLAlchemy
  {
    id: "config.sqlalchemy.pool_recycle",
    family: "sqlalchemy",
    title: "pooled connections can stay idle longer than the proxy's idle_client_timeout",
    fix: "Set pool_pre_ping=True, or pool_recycle below idle_client_timeout (e.g. idle_client_timeout - 60).",
  },
  {
    id: "config.sqlalchemy.stream_results",
    family: "sqlalchemy",
    title: "stream_results / server_side_cursors use named cursors on PostgreSQL",
    fix: "DECLARE ... CURSOR pins: page the query instead, or accept the pin for batch jobs.",
  },
  {
    id: "config.sqlalchemy.pool_size",
    family: "sqlalchemy",
    title: "pool_size + max_overflow: client connections per process",
    fix: "Behind RDS Proxy these are client connections; without a proxy, processes x (pool_size + max_overflow) must stay below max_connections.",
  },
  // Django
  {
    id: "config.django.conn_max_age",
    family: "django",
    title: "persistent connections outlive the proxy's idle_client_timeout",
    fix: "Set CONN_HEALTH_CHECKS = True (Django 4.1+), or CONN_MAX_AGE below idle_client_timeout.",
  },
  {
    id: "config.django.server_side_cursors",
    family: "django",
    title: "QuerySet.iterator() uses server-side cursors on PostgreSQL",
    fix: "Set DISABLE_SERVER_SIDE_CURSORS = True in the database settings (Django's advice for transaction pooling).",
  },
  {
    id: "config.django.init_command",
    family: "django",
    title: "OPTIONS init_command runs SQL on every new connection (MySQL)",
    fix: INIT_QUERY_FIX,
  },
  // Rails
  {
    id: "config.rails.connect_sets",
    family: "rails",
    title: "the PostgreSQL adapter sends SET statements on every new connection",
    fix: "Rails' PostgreSQL adapter always sends SET client_min_messages / standard_conforming_strings / intervalstyle (and timezone, search_path, variables when configured), so every session pins through RDS Proxy. No database.yml setting removes them: expect pinning, or use a pooler that tracks these parameters.",
  },
  {
    id: "config.rails.prepared_statements",
    family: "rails",
    title: "prepared_statements: server-side prepared statements",
    fix: "PostgreSQL: fine with today's RDS Proxy (before Nov 2023 set prepared_statements: false). MySQL: set prepared_statements: false.",
  },
  {
    id: "config.rails.advisory_locks",
    family: "rails",
    title: "migrations take a session advisory lock",
    fix: "Run migrations against the database endpoint, or set advisory_locks: false for the proxy connection.",
  },
  {
    id: "config.rails.variables",
    family: "rails",
    title: "variables: sets session variables on every new connection",
    fix: INIT_QUERY_FIX,
  },
  {
    id: "config.rails.schema_search_path",
    family: "rails",
    title: "schema_search_path sends SET search_path on every new connection",
    fix: "Set the search path with ALTER ROLE ... SET search_path (or init_query) and remove schema_search_path.",
  },
  {
    id: "config.rails.mysql_connect_variables",
    family: "rails",
    title: "the MySQL adapters set session variables on every new connection",
    fix: "Rails sets @@SESSION.sql_mode, sql_auto_is_null and wait_timeout on connect; sql_auto_is_null is not among the variables RDS Proxy tracks. Check the proxy's pinning log; session_pinning_filters EXCLUDE_VARIABLE_SETS stops it pinning (AWS warns it can leak variables between clients).",
  },
  {
    id: "config.rails.idle_timeout",
    family: "rails",
    title: "the pool keeps idle connections longer than the proxy's idle_client_timeout",
    fix: "Keep idle_timeout (default 300 s) below idle_client_timeout.",
  },
  {
    id: "config.rails.pool",
    family: "rails",
    title: "pool: client connections per process",
    fix: "Behind RDS Proxy these are client connections; without a proxy, processes x pool must stay below max_connections.",
  },
  // Prisma
  {
    id: "config.prisma.extended_protocol",
    family: "prisma",
    title: "Prisma sends queries with the extended protocol",
    fix: "Under RDS Proxy before Nov 2023 every Parse pinned, even with pgbouncer=true; today's RDS Proxy multiplexes them.",
  },
  {
    id: "config.prisma.pgbouncer",
    family: "prisma",
    title: "pgbouncer=true turns off prepared statement caching",
    fix: "Not needed for today's RDS Proxy; keep it for PgBouncer in transaction mode.",
  },
  {
    id: "config.prisma.connection_limit",
    family: "prisma",
    title: "connection_limit: client connections per Prisma Client",
    fix: "In Lambda set connection_limit=1 per function instance; the default is num_cpus x 2 + 1.",
  },
  // node-postgres
  {
    id: "config.node_postgres.extended_protocol",
    family: "node-postgres",
    title: "parameterized queries use the extended protocol",
    fix: "Under RDS Proxy before Nov 2023 every Parse pinned; today's RDS Proxy multiplexes them.",
  },
  {
    id: "config.node_postgres.idle_timeout",
    family: "node-postgres",
    title: "idle clients stay in the pool longer than the proxy's idle_client_timeout",
    fix: "Keep idleTimeoutMillis (default 10000) above 0 and below idle_client_timeout.",
  },
  {
    id: "config.node_postgres.options",
    family: "node-postgres",
    title: "options: '-c ...' sends command-line options in the startup packet",
    fix: "RDS Proxy refuses the connection: remove options and set the parameters with ALTER ROLE ... SET or init_query.",
  },
  {
    id: "config.node_postgres.max",
    family: "node-postgres",
    title: "max: client connections per pool",
    fix: "In Lambda use max: 1 per function instance; behind RDS Proxy these are client connections.",
  },
  // knex
  {
    id: "config.knex.pool_min",
    family: "knex",
    title: "pool.min connections are never released and outlive idle_client_timeout",
    fix: "Set pool: { min: 0 } (knex's own advice) so idle connections are released before the proxy closes them.",
  },
  {
    id: "config.knex.after_create",
    family: "knex",
    title: "pool.afterCreate runs SQL that pins on every new connection",
    fix: INIT_QUERY_FIX,
  },
  // Sequelize
  {
    id: "config.sequelize.connect_sets",
    family: "sequelize",
    title: "Sequelize sends SET TIME ZONE on every new PostgreSQL connection",
    fix: "Set keepDefaultTimezone: true (and the time zone with ALTER ROLE ... SET timezone or init_query).",
  },
  {
    id: "config.sequelize.pool_idle",
    family: "sequelize",
    title: "pool.idle keeps connections longer than the proxy's idle_client_timeout",
    fix: "Keep pool.idle (default 10000 ms) below idle_client_timeout.",
  },
  // TypeORM
  {
    id: "config.typeorm.idle_timeout",
    family: "typeorm",
    title: "extra.idleTimeoutMillis keeps connections longer than the proxy's idle_client_timeout",
    fix: "Keep extra.idleTimeoutMillis above 0 and below idle_client_timeout.",
  },
  {
    id: "config.typeorm.pool_size",
    family: "typeorm",
    title: "poolSize / extra.max: client connections per DataSource",
    fix: "Behind RDS Proxy these are client connections; without a proxy, instances x pool size must stay below max_connections.",
  },
  // pgx
  {
    id: "config.pgx.default_query_exec_mode",
    family: "pgx",
    title: "default_query_exec_mode chooses prepared statements or the simple protocol",
    fix: "Under RDS Proxy before Nov 2023 use default_query_exec_mode=simple_protocol; today's RDS Proxy handles the default cache_statement.",
  },
  // PHP PDO
  {
    id: "config.pdo.emulate_prepares",
    family: "php-pdo",
    title: "PDO::ATTR_EMULATE_PREPARES chooses server-side prepared statements",
    fix: "MySQL: keep PDO::ATTR_EMULATE_PREPARES => true (the default) so prepares stay client-side. PostgreSQL: fine with today's RDS Proxy.",
  },
  {
    id: "config.pdo.persistent",
    family: "php-pdo",
    title: "PDO::ATTR_PERSISTENT keeps connections across requests",
    fix: "Persistent connections idle longer than idle_client_timeout are closed by the proxy: drop ATTR_PERSISTENT (RDS Proxy makes connecting cheap) or raise idle_client_timeout.",
  },
  {
    id: "config.pdo.init_command",
    family: "php-pdo",
    title: "PDO::MYSQL_ATTR_INIT_COMMAND runs SQL on every new connection",
    fix: INIT_QUERY_FIX,
  },
];

const BY_ID = new Map(CONFIG_RULES.map((r) => [r.id, r]));

export function configRule(id: string): ConfigRuleDoc {
  const rule = BY_ID.get(id);
  if (!rule) throw new Error(`config rule ${id} is not documented in CONFIG_RULES`);
  return rule;
}

/** A finding of a documented rule; the fix defaults to the rule's. */
export function configFinding(
  id: string,
  at: { file: string; line?: number; setting?: string },
  severity: ConfigFinding["severity"],
  message: string,
  fix?: string,
): ConfigFinding {
  const rule = configRule(id);
  return {
    rule: id,
    severity,
    file: at.file,
    ...(at.line !== undefined ? { line: at.line } : {}),
    ...(at.setting !== undefined ? { setting: at.setting } : {}),
    family: rule.family,
    message,
    fix: fix ?? rule.fix,
  };
}
