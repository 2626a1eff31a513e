import { describe, expect, it } from "vitest";
import { analyzeConfigs } from "../../src/configs/index.js";
import type { ProfileId } from "../../src/rules/rulebook.js";
import { GARBAGE, SAMPLES } from "./samples.js";

const analyze = (profile: ProfileId, idleClientTimeoutSeconds = 1800) =>
  analyzeConfigs(SAMPLES, { profile, idleClientTimeoutSeconds });

/** "file:line severity rule" for each finding of one file. */
async function findingsOf(file: string, profile: ProfileId = "rds-proxy", idle = 1800) {
  const { findings } = await analyze(profile, idle);
  return findings.filter((f) => f.file.endsWith(file)).map((f) => `${f.line} ${f.severity} ${f.rule}`);
}

describe("analyzeConfigs", () => {
  it("reads a Spring application.properties as pgjdbc + HikariCP", async () => {
    expect(await findingsOf("orders-service/src/main/resources/application.properties")).toEqual([
      "2 break config.pgjdbc.options",
      "2 warn config.pgjdbc.current_schema",
      "2 info config.pgjdbc.prepare_threshold",
      "6 info config.hikari.maximum_pool_size",
      "7 pin config.hikari.connection_init_sql",
      "8 break config.hikari.max_lifetime",
      "9 warn config.hikari.idle_timeout",
    ]);
  });

  it("switches the protocol findings with the profile", async () => {
    const pre = await findingsOf("orders-service/src/main/resources/application.properties", "rds-proxy-pre-2023");
    expect(pre).toContain("2 pin config.pgjdbc.extended_protocol");
    expect(pre).not.toContain("2 info config.pgjdbc.prepare_threshold");
    expect(await findingsOf("reports/db.py", "rds-proxy-pre-2023")).not.toContain("8 info config.psycopg.prepare_threshold");
    expect(await findingsOf("api/src/db.js", "rds-proxy-pre-2023")).toContain("1 pin config.node_postgres.extended_protocol");
    expect(await findingsOf("internal/db/db.go")).toEqual(["16 info config.pgx.default_query_exec_mode"]);
    expect(await findingsOf("internal/db/db.go", "rds-proxy-pre-2023")).toEqual([]);
    expect(await findingsOf("prisma/schema.prisma", "rds-proxy-pre-2023")).toEqual(["4 pin config.prisma.extended_protocol"]);
  });

  it("reads Connector/J URL properties and classifies session variables and init SQL with the MySQL rulebook", async () => {
    const { findings } = await analyze("rds-proxy");
    const shop = findings.filter((f) => f.file.endsWith("shop/src/main/resources/application.yml"));
    expect(shop.map((f) => `${f.line} ${f.severity} ${f.rule}`)).toEqual([
      "5 pin config.connectorj.use_server_prep_stmts",
      "5 pin config.connectorj.use_cursor_fetch",
      "5 pin config.connectorj.session_variables",
      "9 info config.hikari.maximum_pool_size",
      "10 pin config.hikari.connection_init_sql",
    ]);
    expect(shop[2]!.message).toContain("SET SESSION group_concat_max_len=1000000, sql_mode='STRICT_TRANS_TABLES'");
    expect(shop[2]!.message).toContain("mysql.system_variable");
    expect(shop[4]!.message).toContain("mysql.user_variable");
  });

  it("compares pool lifetimes with idle_client_timeout", async () => {
    expect(await findingsOf("billing/src/main/resources/hikari.properties")).toEqual([
      "3 info config.hikari.maximum_pool_size",
      "5 break config.hikari.keepalive_time",
    ]);
    // With a 2-hour idle_client_timeout the 40-minute keepalive and the 1-hour lifetimes are fine.
    expect(await findingsOf("billing/src/main/resources/hikari.properties", "rds-proxy", 7200)).toEqual([
      "3 info config.hikari.maximum_pool_size",
    ]);
    expect(await findingsOf("etl/engine.py", "rds-proxy", 7200)).not.toContain("7 break config.sqlalchemy.pool_recycle");
  });

  it("reports Python, Ruby, JS, Go and PHP findings at their lines", async () => {
    expect(await findingsOf("worker/.env")).toEqual(["1 break config.libpq.options", "2 break config.libpq.options"]);
    expect(await findingsOf("reports/db.py")).toEqual([
      "4 break config.psycopg.pool_max_lifetime",
      "8 info config.psycopg.prepare_threshold",
      "13 pin config.psycopg.server_side_cursor",
    ]);
    expect(await findingsOf("api/app/db.py")).toEqual([
      "11 info config.asyncpg.statement_cache_size",
      "12 break config.asyncpg.max_inactive_connection_lifetime",
    ]);
    expect(await findingsOf("etl/engine.py")).toEqual([
      "5 info config.sqlalchemy.pool_size",
      "7 break config.sqlalchemy.pool_recycle",
      "8 break config.libpq.options",
      "12 pin config.sqlalchemy.stream_results",
    ]);
    expect(await findingsOf("mysite/settings.py")).toEqual([
      "7 pin config.django.server_side_cursors",
      "12 break config.django.conn_max_age",
      "13 break config.libpq.options",
    ]);
    expect(await findingsOf("legacy/settings.py")).toEqual(["8 pin config.django.init_command"]);
    expect(await findingsOf("config/database.yml")).toEqual([
      "2 pin config.rails.connect_sets",
      "2 pin config.rails.advisory_locks",
      "4 info config.rails.pool",
      "5 info config.rails.prepared_statements",
      "16 pin config.rails.schema_search_path",
      "18 pin config.rails.variables",
      "19 break config.rails.idle_timeout",
    ]);
    expect(await findingsOf("lambda/.env.production")).toEqual(["1 info config.prisma.pgbouncer", "1 info config.prisma.connection_limit"]);
    expect(await findingsOf("api/src/db.js")).toEqual([
      "5 info config.node_postgres.max",
      "6 break config.node_postgres.idle_timeout",
      "7 break config.node_postgres.options",
    ]);
    expect(await findingsOf("knexfile.js")).toEqual(["6 break config.knex.pool_min", "9 pin config.knex.after_create"]);
    expect(await findingsOf("src/models/index.js")).toEqual(["4 pin config.sequelize.connect_sets", "7 break config.sequelize.pool_idle"]);
    expect(await findingsOf("src/data-source.ts")).toEqual(["12 info config.typeorm.pool_size", "13 break config.typeorm.idle_timeout"]);
    expect(await findingsOf("src/Database.php")).toEqual([
      "7 pin config.pdo.emulate_prepares",
      "8 warn config.pdo.persistent",
      "9 pin config.pdo.init_command",
    ]);
  });

  it("says which families read each file", async () => {
    const { recognised } = await analyze("rds-proxy");
    expect(recognised.find((r) => r.file.endsWith("application.properties"))?.families).toEqual(["pgjdbc", "hikaricp"]);
    expect(recognised.find((r) => r.file === "etl/engine.py")?.families).toEqual(["libpq", "sqlalchemy"]);
  });

  it("names unrecognised, empty, binary and malformed files in problems and keeps the other files' findings", async () => {
    const mixed = await analyzeConfigs([...GARBAGE, SAMPLES.find((s) => s.family === "knex")!], {
      profile: "rds-proxy",
      idleClientTimeoutSeconds: 1800,
    });
    expect(mixed.findings.map((f) => f.rule)).toEqual(["config.knex.pool_min", "config.knex.after_create"]);
    const problem = (file: string) => mixed.problems.filter((p) => p.file === file).map((p) => p.message);
    expect(problem("empty.properties")).toEqual(["empty file: nothing to analyse"]);
    expect(problem("random.bin")).toEqual(["binary content (NUL bytes): not a configuration file; skipped"]);
    expect(problem("README.md")[0]).toMatch(/^not recognised as a driver or ORM configuration \(proxyfit reads: PostgreSQL JDBC driver/);
    expect(problem("package.json")).toHaveLength(1);
  });

  it("reports YAML problems with their line when the file is recognised", async () => {
    const yml = "production:\n  adapter: postgresql\n\tpool: 5\n  database: app\n";
    const { problems, findings } = await analyzeConfigs([{ name: "config/database.yml", text: yml }], {
      profile: "rds-proxy",
      idleClientTimeoutSeconds: 1800,
    });
    expect(problems).toEqual([{ file: "config/database.yml", line: 3, message: "tab used for indentation (YAML allows spaces only)" }]);
    expect(findings.map((f) => f.rule)).toContain("config.rails.connect_sets");
  });

  it("rejects a context without a usable idle_client_timeout", async () => {
    await expect(analyzeConfigs([], { profile: "rds-proxy", idleClientTimeoutSeconds: 0 })).rejects.toThrow(/idleClientTimeoutSeconds/);
  });
});
