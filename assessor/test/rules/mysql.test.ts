import { beforeAll, describe, expect, test } from "vitest";
import { type Classification, loadRulebook, PROFILES, type RuleId, type Rulebook } from "../../src/rules/index.js";

interface Case {
  sql: string;
  rules: RuleId[];
  method?: Classification["method"];
}

const cases: Case[] = [
  // mysql.lock_tables
  { sql: "LOCK TABLES t WRITE", rules: ["mysql.lock_tables"] },
  { sql: "lock table t read, u write", rules: ["mysql.lock_tables"] },
  { sql: "FLUSH TABLES WITH READ LOCK", rules: ["mysql.lock_tables"] },
  { sql: "FLUSH TABLE t1, t2 WITH READ LOCK", rules: ["mysql.lock_tables"] },
  { sql: "FLUSH TABLES t FOR EXPORT", rules: ["mysql.lock_tables"] },
  { sql: "UNLOCK TABLES", rules: [] },
  { sql: "FLUSH TABLES", rules: [] },
  { sql: "FLUSH PRIVILEGES", rules: [] },
  { sql: "SELECT * FROM t LOCK IN SHARE MODE", rules: [], method: "fast-path" },
  { sql: "SELECT * FROM t WHERE id = 1 FOR UPDATE", rules: [], method: "fast-path" },
  // mysql.get_lock
  { sql: "SELECT GET_LOCK('job', 10)", rules: ["mysql.get_lock"] },
  { sql: "select get_lock ('job', 10)", rules: ["mysql.get_lock"] },
  { sql: "DO GET_LOCK('job', 10)", rules: ["mysql.get_lock"] },
  { sql: "SELECT RELEASE_LOCK('job')", rules: [], method: "fast-path" },
  { sql: "SELECT IS_FREE_LOCK('job')", rules: [], method: "fast-path" },
  { sql: "SELECT mydb.get_lock('x')", rules: [] },
  { sql: "SELECT 'GET_LOCK(1)'", rules: [] },
  // mysql.user_variable: set or read.
  { sql: "SET @x = 1", rules: ["mysql.user_variable"] },
  { sql: "SET @x := 1, @y = 2", rules: ["mysql.user_variable"] },
  { sql: "SELECT @x := 1", rules: ["mysql.user_variable"] },
  { sql: "SELECT @x", rules: ["mysql.user_variable"] },
  { sql: "SELECT @`my var`, @'v', @\"w\"", rules: ["mysql.user_variable"] },
  { sql: "SELECT id INTO @id FROM t LIMIT 1", rules: ["mysql.user_variable"] },
  { sql: "UPDATE t SET a = @x WHERE id = 1", rules: ["mysql.user_variable"] },
  { sql: "SELECT 'SET @x'", rules: [] },
  { sql: "SELECT * FROM users WHERE email = 'a@b.com'", rules: [], method: "parser" },
  { sql: "CREATE USER 'bob'@'localhost' IDENTIFIED BY 'pw'", rules: [] },
  { sql: "GRANT SELECT ON db.* TO 'bob'@'%'", rules: [] },
  { sql: "ALTER USER bob@localhost ACCOUNT LOCK", rules: [] },
  { sql: "SELECT @@session.sql_mode, @@version", rules: [] },
  // mysql.system_variable: untracked session variables pin; tracked and global ones do not.
  { sql: "SET sql_safe_updates = 1", rules: ["mysql.system_variable"] },
  { sql: "set SQL_SAFE_UPDATES=1", rules: ["mysql.system_variable"] },
  { sql: "SET SESSION max_execution_time = 1000", rules: ["mysql.system_variable"] },
  { sql: "SET LOCAL sort_buffer_size = 1048576", rules: ["mysql.system_variable"] },
  { sql: "SET @@session.optimizer_switch = 'index_merge=off'", rules: ["mysql.system_variable"] },
  { sql: "SET @@optimizer_switch = 'index_merge=off'", rules: ["mysql.system_variable"] },
  { sql: "SET @@SESSION.`group_concat_max_len` = 100000", rules: ["mysql.system_variable"] },
  { sql: "SET autocommit = 0, sql_safe_updates = 1", rules: ["mysql.system_variable"] },
  {
    sql: "SET autocommit = 1, transaction_isolation = 'READ-COMMITTED', session_track_schema = 1, session_track_system_variables = '*'",
    rules: ["mysql.system_variable"],
  },
  { sql: "SET GLOBAL max_connections = 10, sort_buffer_size = 1", rules: [] },
  { sql: "SET GLOBAL max_connections = 10, SESSION sort_buffer_size = 1", rules: ["mysql.system_variable"] },
  { sql: "SET SESSION sort_buffer_size = 1, GLOBAL max_connections = 10", rules: ["mysql.system_variable"] },
  { sql: "SET ROLE admin", rules: ["mysql.system_variable"] },
  { sql: "SET autocommit = 1", rules: [] },
  { sql: "SET NAMES utf8mb4", rules: [] },
  { sql: "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", rules: [] },
  { sql: "SET CHARACTER SET utf8", rules: [] },
  { sql: "SET CHARSET utf8", rules: [] },
  { sql: "SET character_set_client = utf8mb4", rules: [] },
  { sql: "SET collation_connection = 'utf8mb4_general_ci'", rules: [] },
  { sql: "SET SESSION sql_mode = 'TRADITIONAL'", rules: [] },
  { sql: "SET @@session.time_zone = '+00:00'", rules: [] },
  { sql: "SET time_zone = 'UTC', wait_timeout = 28800, interactive_timeout = 28800", rules: [] },
  { sql: "SET net_write_timeout = 60, query_cache_type = 0, auto_increment_increment = 1", rules: [] },
  { sql: "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", rules: [] },
  { sql: "SET transaction_isolation = 'READ-COMMITTED', tx_read_only = 0", rules: [] },
  { sql: "SET tx_isolation = 'READ-COMMITTED', transaction_read_only = 1", rules: [] },
  { sql: "SET GLOBAL max_connections = 1000", rules: [] },
  { sql: "SET @@global.max_connections = 1000", rules: [] },
  { sql: "SET PERSIST max_connections = 1000", rules: [] },
  { sql: "SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE", rules: [] },
  { sql: "SET PASSWORD = 'secret'", rules: [] },
  { sql: "SET DEFAULT ROLE ALL TO 'u'@'h'", rules: [] },
  { sql: "USE app", rules: [], method: "fast-path" },
  { sql: "DROP DATABASE scratch", rules: [] },
  { sql: "UPDATE t SET sql_mode = 1", rules: [], method: "fast-path" },
  // mysql.next_transaction_setting
  { sql: "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", rules: ["mysql.next_transaction_setting"] },
  { sql: "set transaction read only", rules: ["mysql.next_transaction_setting"] },
  { sql: "START TRANSACTION READ ONLY", rules: [], method: "fast-path" },
  // mysql.temp_table
  { sql: "CREATE TEMPORARY TABLE t (a int)", rules: ["mysql.temp_table"] },
  { sql: "create temporary table if not exists t select 1", rules: ["mysql.temp_table"] },
  { sql: "CREATE OR REPLACE TEMPORARY TABLE t (a int)", rules: ["mysql.temp_table"] },
  { sql: "CREATE TABLE t (a int)", rules: [] },
  { sql: "CREATE TABLE temporary_data (a int)", rules: [] },
  { sql: "DROP TEMPORARY TABLE t", rules: [] },
  // mysql.prepared_statement (SQL form; the binary protocol is tested below)
  { sql: "PREPARE s FROM 'SELECT * FROM t WHERE id = ?'", rules: ["mysql.prepared_statement"] },
  { sql: "EXECUTE s", rules: ["mysql.prepared_statement"] },
  { sql: "EXECUTE s USING @a", rules: ["mysql.prepared_statement", "mysql.user_variable"] },
  { sql: "DEALLOCATE PREPARE s", rules: ["mysql.prepared_statement"] },
  { sql: "DROP PREPARE s", rules: ["mysql.prepared_statement"] },
  { sql: "EXECUTE IMMEDIATE 'SELECT 1'", rules: ["mysql.prepared_statement"] },
  { sql: "SELECT * FROM t WHERE id = ?", rules: [], method: "fast-path" },
  // mysql.found_rows_row_count (documented-ambiguous)
  { sql: "SELECT FOUND_ROWS()", rules: ["mysql.found_rows_row_count"] },
  { sql: "SELECT ROW_COUNT()", rules: ["mysql.found_rows_row_count"] },
  { sql: "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 10", rules: [] },
  { sql: "SELECT LAST_INSERT_ID()", rules: [], method: "fast-path" },
  { sql: "SELECT row_count FROM stats", rules: [] },
  // mysql.executable_comment: the comment pins, and what it runs is classified too.
  { sql: "/*!40101 SET NAMES utf8mb4 */", rules: ["mysql.executable_comment"] },
  { sql: "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */", rules: ["mysql.executable_comment", "mysql.user_variable"] },
  { sql: "SELECT /*!50000 SQL_NO_CACHE */ * FROM t", rules: ["mysql.executable_comment"] },
  { sql: "SELECT /*M!100100 1 + */ 1", rules: ["mysql.executable_comment"] },
  { sql: "SELECT /*! STRAIGHT_JOIN */ a FROM t", rules: ["mysql.executable_comment"] },
  { sql: "SELECT /* ! not executable */ 1", rules: [], method: "fast-path" },
  { sql: "SELECT /*+ MAX_EXECUTION_TIME(1000) */ * FROM t", rules: [], method: "fast-path" },
  { sql: "SELECT '/*!40101 x */'", rules: [] },
  // Comments hide code; "--" needs a space after it to start a comment in MySQL.
  { sql: "SELECT 1 -- SET @x = 1", rules: [] },
  { sql: "SELECT 1 # @x", rules: [] },
  { sql: "SELECT 1 /* GET_LOCK('x', 1) */", rules: [] },
  { sql: "SELECT 1 --@x", rules: ["mysql.user_variable"] },
  { sql: 'SELECT "it\\"s @x"', rules: [] },
  { sql: "SELECT 'it\\'s @x', `weird``@x`", rules: [] },
  // Multi-statement text.
  { sql: "SET @a = 1; SELECT @a", rules: ["mysql.user_variable"] },
  { sql: "SELECT 1; LOCK TABLES t WRITE", rules: ["mysql.lock_tables"] },
  { sql: "SET NAMES utf8mb4; SET sql_safe_updates = 1", rules: ["mysql.system_variable"] },
  // Stored routines do not pin (AWS), even when their body would.
  { sql: "CREATE PROCEDURE p() BEGIN SET @x = 1; CREATE TEMPORARY TABLE t (a int); END", rules: [] },
  { sql: "CREATE DEFINER=`root`@`localhost` FUNCTION f() RETURNS int RETURN GET_LOCK('x', 1)", rules: [] },
  { sql: "CREATE DEFINER = 'app'@'%' SQL SECURITY INVOKER PROCEDURE p() SELECT FOUND_ROWS()", rules: [] },
  { sql: "CREATE OR REPLACE DEFINER=CURRENT_USER() TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET @n = 1", rules: [] },
  {
    sql: "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET @x = 1 */",
    rules: ["mysql.executable_comment"],
  },
  { sql: "CALL p(1)", rules: [] },
  // MariaDB SET STATEMENT ... FOR: the values last one statement; the statement itself is classified.
  { sql: "SET STATEMENT max_statement_time = 10 FOR SELECT * FROM t", rules: [] },
  { sql: "SET STATEMENT sort_buffer_size = 1 FOR SELECT GET_LOCK('a', 1)", rules: ["mysql.get_lock"] },
  // Truncated text: classified lexically.
  { sql: "SELECT * FROM t WHERE a = 'unterminated SET @x", rules: [], method: "lexical" },
  { sql: "SET @x = 'abc", rules: ["mysql.user_variable"], method: "lexical" },
  { sql: "SELECT GET_LOCK('x'", rules: ["mysql.get_lock"], method: "lexical" },
  { sql: "SELECT 1 /*!40101 SET", rules: ["mysql.executable_comment"], method: "lexical" },
  { sql: "SET sql_safe_updates = 1, @x = (SELECT", rules: ["mysql.system_variable", "mysql.user_variable"], method: "lexical" },
  // The fast path.
  { sql: "SELECT * FROM t WHERE id = 1", rules: [], method: "fast-path" },
  { sql: "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y');", rules: [], method: "fast-path" },
  { sql: "# leading comment\nSELECT 1", rules: [], method: "fast-path" },
  { sql: "/*!40101 SELECT 1 */", rules: ["mysql.executable_comment"], method: "parser" },
  // Statement text size.
  { sql: `INSERT INTO t VALUES ('${"x".repeat(16_400)}')`, rules: ["any.statement_over_16kb"], method: "fast-path" },
  { sql: `SET @big = '${"ж".repeat(8_200)}'`, rules: ["any.statement_over_16kb", "mysql.user_variable"] },
];

describe("MySQL / MariaDB rules", () => {
  let rulebook: Rulebook;
  beforeAll(async () => {
    rulebook = await loadRulebook("mysql");
  });

  test.each(cases.map((c) => [c.sql.length > 120 ? `${c.sql.slice(0, 100)}… (${c.sql.length} chars)` : c.sql, c]))(
    "%s",
    (_name, { sql, rules, method }) => {
      const result = rulebook.classify({ text: sql });
      expect(result.findings.map((finding) => finding.rule)).toEqual(rules);
      if (method) expect(result.method).toBe(method);
    },
  );

  test("reasons name the variable, lock or comment", () => {
    const reasons = (sql: string) => rulebook.classify({ text: sql }).findings.map((finding) => finding.reason);
    expect(reasons("SET autocommit = 0, SQL_SAFE_UPDATES = 1, @@session.max_execution_time = 5")).toEqual([
      "SQL changed session settings that the proxy doesn't track: sql_safe_updates, max_execution_time",
    ]);
    expect(reasons("SELECT @A, @b")).toEqual(["SQL used a user variable: @a, @b"]);
    expect(reasons("/*!40101 SELECT 1 */")).toEqual(["SQL contains an executable comment: /*!40101"]);
  });

  test("FOUND_ROWS() / ROW_COUNT() findings are documented-ambiguous", () => {
    expect(rulebook.classify({ text: "SELECT FOUND_ROWS()" }).findings[0]?.ambiguous).toBe(true);
    expect(rulebook.classify({ text: "SELECT GET_LOCK('a', 1)" }).findings[0]?.ambiguous).toBe(false);
  });
});

describe("MySQL binary protocol", () => {
  test.each(PROFILES)("COM_STMT_PREPARE pins in profile %s; COM_STMT_EXECUTE adds nothing", async (profile) => {
    const rulebook = await loadRulebook("mysql", profile);
    const prepare = rulebook.classify({ text: "SELECT * FROM t WHERE id = ?", via: "parse", statementName: "1" });
    expect(prepare.findings).toEqual([
      {
        rule: "mysql.prepared_statement",
        reason: "A prepared statement was used: COM_STMT_PREPARE",
        ambiguous: false,
      },
    ]);
    expect(rulebook.classify({ text: "SELECT * FROM t WHERE id = ?", via: "execute" }).findings).toEqual([]);
    expect(rulebook.classify({ text: "SELECT @x", via: "parse" }).findings.map((f) => f.rule)).toEqual([
      "mysql.prepared_statement",
      "mysql.user_variable",
    ]);
  });
});
