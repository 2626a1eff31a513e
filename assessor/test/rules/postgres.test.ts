import { beforeAll, describe, expect, test } from "vitest";
import { type Classification, loadRulebook, type RuleId, type Rulebook } from "../../src/rules/index.js";

interface Case {
  sql: string;
  rules: RuleId[];
  method?: Classification["method"];
}

const cases: Case[] = [
  // pg.set: every session-level SET, whatever it is spelled like.
  { sql: "SET search_path = app", rules: ["pg.set"], method: "parser" },
  { sql: "set Search_Path to app, public", rules: ["pg.set"] },
  { sql: "SET SESSION statement_timeout = '5s'", rules: ["pg.set"] },
  { sql: "SET ROLE app_reader", rules: ["pg.set"] },
  { sql: "SET SESSION AUTHORIZATION bob", rules: ["pg.set"] },
  { sql: "SET TIME ZONE 'UTC'", rules: ["pg.set"] },
  { sql: "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", rules: ["pg.set"] },
  { sql: "SET application_name TO DEFAULT", rules: ["pg.set"] },
  { sql: "SET extra_float_digits = 3", rules: ["pg.set"] },
  // pg.set_local: transaction-scoped settings.
  { sql: "SET LOCAL statement_timeout = '5s'", rules: ["pg.set_local"] },
  { sql: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", rules: ["pg.set_local"] },
  { sql: "SET TRANSACTION READ ONLY", rules: ["pg.set_local"] },
  { sql: "SELECT set_config('request.jwt.claims', $1, true)", rules: ["pg.set_local"] },
  // pg.set_config: anywhere in a statement.
  { sql: "SELECT set_config('search_path', 'app', false)", rules: ["pg.set_config"] },
  { sql: "SELECT pg_catalog.set_config('a.b', 'c', $1)", rules: ["pg.set_config"] },
  { sql: "WITH s AS (SELECT set_config('a.b', 'c', false)) SELECT * FROM s", rules: ["pg.set_config"] },
  { sql: "SELECT * FROM t WHERE x = (SELECT set_config('a.b', 'c', false))", rules: ["pg.set_config"] },
  { sql: "SELECT current_setting('search_path')", rules: [], method: "fast-path" },
  // pg.reset
  { sql: "RESET search_path", rules: ["pg.reset"] },
  { sql: "RESET ALL", rules: ["pg.reset"] },
  { sql: "RESET ROLE", rules: ["pg.reset"] },
  // pg.sql_prepare
  { sql: "PREPARE q(int) AS SELECT $1", rules: ["pg.sql_prepare"] },
  { sql: "PREPARE q AS SELECT nextval('s')", rules: ["pg.sql_prepare"] },
  { sql: "EXECUTE q(1)", rules: ["pg.sql_prepare"] },
  { sql: "DEALLOCATE q", rules: ["pg.sql_prepare"] },
  { sql: "DEALLOCATE PREPARE q", rules: ["pg.sql_prepare"] },
  { sql: "DEALLOCATE ALL", rules: ["pg.sql_prepare"] },
  // pg.discard
  { sql: "DISCARD ALL", rules: ["pg.discard"] },
  { sql: "DISCARD TEMP", rules: ["pg.discard"] },
  { sql: "discard plans", rules: ["pg.discard"] },
  { sql: "DISCARD SEQUENCES", rules: ["pg.discard"] },
  // pg.temp_object
  { sql: "CREATE TEMP TABLE t (a int)", rules: ["pg.temp_object"] },
  { sql: "CREATE TEMPORARY TABLE IF NOT EXISTS t (a int) ON COMMIT DROP", rules: ["pg.temp_object"] },
  { sql: "CREATE LOCAL TEMP TABLE t (a int)", rules: ["pg.temp_object"] },
  { sql: "CREATE TEMP SEQUENCE s", rules: ["pg.temp_object"] },
  { sql: "CREATE TEMP VIEW v AS SELECT 1", rules: ["pg.temp_object"] },
  { sql: "CREATE OR REPLACE TEMPORARY VIEW v AS SELECT 1", rules: ["pg.temp_object"] },
  { sql: "CREATE TEMP TABLE t AS SELECT * FROM u", rules: ["pg.temp_object"] },
  { sql: "SELECT * INTO TEMP t FROM u", rules: ["pg.temp_object"] },
  { sql: "SELECT * INTO TEMPORARY TABLE t FROM u", rules: ["pg.temp_object"] },
  { sql: "CREATE TABLE pg_temp.t (a int)", rules: ["pg.temp_object"] },
  { sql: "CREATE TABLE t (a int)", rules: [] },
  { sql: "CREATE UNLOGGED TABLE t (a int)", rules: [] },
  { sql: "SELECT * INTO t FROM u", rules: [] },
  { sql: "CREATE TABLE temp_readings (temperature int)", rules: [] },
  // "temp" sends this to the parser, which finds nothing.
  { sql: "SELECT temperature FROM readings", rules: [], method: "parser" },
  // pg.cursor
  { sql: "DECLARE c CURSOR FOR SELECT 1", rules: ["pg.cursor"] },
  { sql: "DECLARE c BINARY NO SCROLL CURSOR WITH HOLD FOR SELECT * FROM t", rules: ["pg.cursor"] },
  { sql: "FETCH 10 FROM c", rules: [] },
  // pg.listen, pg.load
  { sql: "LISTEN jobs", rules: ["pg.listen"] },
  { sql: 'LISTEN "Jobs Channel"', rules: ["pg.listen"] },
  { sql: "NOTIFY jobs, 'payload'", rules: [] },
  { sql: "UNLISTEN *", rules: [] },
  { sql: "LOAD 'auto_explain'", rules: ["pg.load"] },
  // pg.sequence_fn: only calls written in the statement.
  { sql: "SELECT nextval('orders_id_seq')", rules: ["pg.sequence_fn"] },
  { sql: "INSERT INTO t (id, a) VALUES (nextval('s'), 1)", rules: ["pg.sequence_fn"] },
  { sql: "SELECT setval('s', 42)", rules: ["pg.sequence_fn"] },
  { sql: "SELECT pg_catalog.nextval('s')", rules: ["pg.sequence_fn"] },
  { sql: "SELECT NEXTVAL('s')", rules: ["pg.sequence_fn"] },
  { sql: "EXPLAIN ANALYZE SELECT nextval('s')", rules: ["pg.sequence_fn"] },
  { sql: "EXPLAIN (ANALYZE, BUFFERS) SELECT nextval('s')", rules: ["pg.sequence_fn"] },
  { sql: "EXPLAIN SELECT nextval('s')", rules: [] },
  { sql: "SELECT currval('s')", rules: [], method: "fast-path" },
  { sql: "SELECT lastval()", rules: [], method: "fast-path" },
  { sql: "INSERT INTO orders (a) VALUES (1) RETURNING id", rules: [], method: "fast-path" },
  { sql: "CREATE TABLE t (id bigint DEFAULT nextval('s'))", rules: [] },
  { sql: "ALTER TABLE t ALTER COLUMN id SET DEFAULT nextval('s')", rules: [] },
  { sql: "CREATE VIEW v AS SELECT nextval('s')", rules: [] },
  { sql: "SELECT myschema.nextval('s')", rules: [] },
  { sql: `SELECT "NextVal"('s')`, rules: [] },
  { sql: 'SELECT "nextval" FROM t', rules: [] },
  // pg.advisory_lock: session-level only.
  { sql: "SELECT pg_advisory_lock(42)", rules: ["pg.advisory_lock"] },
  { sql: "SELECT pg_advisory_lock_shared(1, 2)", rules: ["pg.advisory_lock"] },
  { sql: "SELECT pg_try_advisory_lock(42)", rules: ["pg.advisory_lock"] },
  { sql: "SELECT pg_try_advisory_lock_shared(42)", rules: ["pg.advisory_lock"] },
  { sql: "SELECT pg_advisory_xact_lock(42)", rules: [] },
  { sql: "SELECT pg_try_advisory_xact_lock(42)", rules: [] },
  { sql: "SELECT pg_advisory_unlock(42)", rules: [] },
  { sql: "SELECT pg_advisory_unlock_all()", rules: [] },
  // Functions and DO blocks: state changed inside them is not detected (AWS).
  {
    sql: "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('a.b', 'c', false); PERFORM nextval('s'); END $$",
    rules: [],
  },
  { sql: "DO $$ BEGIN PERFORM pg_advisory_lock(1); EXECUTE 'SET search_path = x'; END $$", rules: [] },
  { sql: "CREATE FUNCTION f() RETURNS bigint LANGUAGE sql RETURN nextval('s')", rules: [] },
  { sql: "SELECT refresh_everything()", rules: [], method: "fast-path" },
  { sql: "CALL do_things(1)", rules: [] },
  // Multi-statement simple queries: every statement counts, rules in order of first match.
  { sql: "BEGIN; SET LOCAL x.y = 1; SELECT 1; COMMIT", rules: ["pg.set_local"], method: "parser" },
  { sql: "SELECT 1; LISTEN a; SET search_path = b", rules: ["pg.listen", "pg.set"] },
  { sql: "SET a.b = 1; SET a.c = 2", rules: ["pg.set"] },
  // Quoting and comments never fool the rules.
  { sql: "SELECT 'SET search_path = x'", rules: [] },
  { sql: "SELECT $$nextval('s')$$", rules: [] },
  { sql: "SELECT $fn$ pg_advisory_lock(1) $fn$", rules: [] },
  { sql: "SELECT 1 -- nextval('s')", rules: [] },
  { sql: "SELECT /* set_config('a', 'b', false) */ 1", rules: [] },
  { sql: "SELECT /* outer /* nested */ nextval('s') */ 1", rules: [] },
  { sql: "SELECT E'it\\'s nextval(''s'')'", rules: [] },
  { sql: 'SELECT 1 AS "SET x = 1; LISTEN y"', rules: [] },
  // The fast path: harmless statements never reach the parser; UPDATE ... SET is not SET.
  { sql: "UPDATE t SET a = 1", rules: [], method: "fast-path" },
  { sql: "update pgbench_accounts set abalance = abalance + 1 where aid = 2", rules: [], method: "fast-path" },
  { sql: "SELECT 1", rules: [], method: "fast-path" },
  { sql: "  /* app=web */ (SELECT 1) UNION (SELECT 2)", rules: [], method: "fast-path" },
  { sql: "INSERT INTO t VALUES (1);", rules: [], method: "fast-path" },
  { sql: "select 1;;  \n", rules: [], method: "fast-path" },
  { sql: "COMMIT", rules: [], method: "fast-path" },
  { sql: "BEGIN ISOLATION LEVEL SERIALIZABLE", rules: [], method: "fast-path" },
  { sql: "SELECT 1; SELECT 2", rules: [], method: "parser" },
  { sql: "SELECTION", rules: [], method: "lexical" },
  // Text the parser rejects (cut off in a log): the lexical fallback.
  { sql: "SELECT pg_advisory_lock(12", rules: ["pg.advisory_lock"], method: "lexical" },
  { sql: "SET application_name = 'my a", rules: ["pg.set"], method: "lexical" },
  { sql: "SET LOCAL statement_timeout = '1", rules: ["pg.set_local"], method: "lexical" },
  { sql: "SET TIME ZONE 'Europe/Par", rules: ["pg.set"], method: "lexical" },
  { sql: "SELECT * FROM t WHERE s = 'SET x = 1", rules: [], method: "fast-path" },
  { sql: "SELECT * FROM t WHERE s = 'x; SET y = nextval(1)", rules: [], method: "lexical" },
  { sql: "SELECT $q$ nextval('s') ", rules: [], method: "lexical" },
  { sql: 'SELECT "nextval(" FROM', rules: [], method: "lexical" },
  { sql: "INSERT INTO t VALUES (nextval('s'), ", rules: ["pg.sequence_fn"], method: "lexical" },
  { sql: "CREATE TEMP TABLE x (a int", rules: ["pg.temp_object"], method: "lexical" },
  { sql: "CREATE TABLE pg_temp.x (a int", rules: ["pg.temp_object"], method: "lexical" },
  { sql: "SELECT 1 INTO TEMP t WHERE", rules: ["pg.temp_object"], method: "lexical" },
  {
    sql: "BEGIN; SET LOCAL a.b = 1; SELECT set_config('x.y', 'z', true), 'abc",
    rules: ["pg.set_local"],
    method: "lexical",
  },
  { sql: "SELECT set_config('a.b', 'c', false", rules: ["pg.set_config"], method: "lexical" },
  { sql: "DECLARE c CURSOR FOR SELECT * FROM t WHERE", rules: ["pg.cursor"], method: "lexical" },
  { sql: "CREATE FUNCTION f() RETURNS int AS $$ SELECT nextval('s')", rules: [], method: "lexical" },
  { sql: "/* unterminated SET x = 1", rules: [], method: "lexical" },
  { sql: "RESET ALL extra", rules: ["pg.reset"], method: "lexical" },
  { sql: "DISCARD AL", rules: ["pg.discard"], method: "lexical" },
  { sql: "DEALLOCATE ALL q", rules: ["pg.sql_prepare"], method: "lexical" },
  { sql: "LISTEN", rules: ["pg.listen"], method: "lexical" },
  { sql: "EXPLAIN SELECT nextval('s'", rules: [], method: "lexical" },
  { sql: "EXPLAIN ANALYZE SELECT nextval('s'", rules: ["pg.sequence_fn"], method: "lexical" },
  { sql: "CREATE TABLE t (id int DEFAULT nextval('s')", rules: [], method: "lexical" },
  // Statement text size (UTF-8 bytes, not characters).
  { sql: `SELECT '${"x".repeat(16_400)}'`, rules: ["any.statement_over_16kb"], method: "fast-path" },
  { sql: `SELECT '${"é".repeat(8_200)}'`, rules: ["any.statement_over_16kb"], method: "fast-path" },
  { sql: `SELECT '${"x".repeat(16_370)}'`, rules: [], method: "fast-path" },
  { sql: `SET application_name = '${"x".repeat(16_400)}'`, rules: ["any.statement_over_16kb", "pg.set"] },
];

describe("PostgreSQL rules", () => {
  let rulebook: Rulebook;
  beforeAll(async () => {
    rulebook = await loadRulebook("postgresql");
  });

  test.each(cases.map((c) => [c.sql.length > 120 ? `${c.sql.slice(0, 100)}… (${c.sql.length} chars)` : c.sql, c]))(
    "%s",
    (_name, { sql, rules, method }) => {
      const result = rulebook.classify({ text: sql });
      expect(result.findings.map((finding) => finding.rule)).toEqual(rules);
      if (method) expect(result.method).toBe(method);
    },
  );

  test("reasons name what was set, locked or called", () => {
    const reasons = (sql: string) => rulebook.classify({ text: sql }).findings.map((finding) => finding.reason);
    expect(reasons("SET search_path = app")).toEqual([
      "SQL changed session settings that the proxy doesn't track: search_path",
    ]);
    expect(reasons("SET a.b = 1; SET a.c = 2")).toEqual([
      "SQL changed session settings that the proxy doesn't track: a.b, a.c",
    ]);
    expect(reasons("SELECT set_config('request.jwt.claims', $1, true)")).toEqual([
      "SQL changed a setting for the current transaction only: set_config('request.jwt.claims')",
    ]);
    expect(reasons("DECLARE c CURSOR WITH HOLD FOR SELECT 1")).toEqual(["SQL declared a cursor: c WITH HOLD"]);
    expect(reasons("SELECT pg_try_advisory_lock(1)")).toEqual([
      "SQL took a session-level advisory lock: pg_try_advisory_lock()",
    ]);
    expect(reasons(`SELECT '${"é".repeat(8_200)}'`)).toEqual(["The statement text is larger than 16 KB: 16409 bytes"]);
  });

  test("SET LOCAL and the other transaction-scoped settings are documented-ambiguous; SET is not", () => {
    expect(rulebook.classify({ text: "SET LOCAL a.b = 1" }).findings[0]?.ambiguous).toBe(true);
    expect(rulebook.classify({ text: "SET a.b = 1" }).findings[0]?.ambiguous).toBe(false);
  });
});

describe("PostgreSQL extended query protocol, per profile", () => {
  test("rds-proxy: Parse, Bind and Execute never pin by themselves; the SQL they carry is classified", async () => {
    const rulebook = await loadRulebook("postgresql", "rds-proxy");
    for (const via of ["parse", "bind", "execute"] as const) {
      expect(rulebook.classify({ text: "SELECT * FROM t WHERE id = $1", via, statementName: "s1" }).findings).toEqual([]);
      expect(rulebook.classify({ text: "SET search_path = $1", via }).findings.map((f) => f.rule)).toEqual(["pg.set"]);
    }
  });

  test("rds-proxy-pre-2023: every Parse, named or unnamed, pins with RDS Proxy's reason", async () => {
    const rulebook = await loadRulebook("postgresql", "rds-proxy-pre-2023");
    for (const statementName of ["", "s1"]) {
      const result = rulebook.classify({ text: "SELECT * FROM t WHERE id = $1", via: "parse", statementName });
      expect(result.findings).toEqual([
        { rule: "pg.extended_protocol", reason: "A parse message was detected", ambiguous: false },
      ]);
      expect(result.method).toBe("fast-path");
    }
    expect(rulebook.classify({ text: "SET x.y = $1", via: "parse" }).findings.map((f) => f.rule)).toEqual([
      "pg.extended_protocol",
      "pg.set",
    ]);
    expect(rulebook.classify({ text: "SELECT 1", via: "bind" }).findings).toEqual([]);
    expect(rulebook.classify({ text: "SELECT 1", via: "execute" }).findings).toEqual([]);
    expect(rulebook.classify({ text: "SELECT 1", via: "simple" }).findings).toEqual([]);
  });

  test("SQL DEALLOCATE ALL pins in both profiles", async () => {
    for (const profile of ["rds-proxy", "rds-proxy-pre-2023"] as const) {
      const rulebook = await loadRulebook("postgresql", profile);
      expect(rulebook.classify({ text: "DEALLOCATE ALL" }).findings.map((f) => f.rule)).toEqual(["pg.sql_prepare"]);
    }
  });
});
