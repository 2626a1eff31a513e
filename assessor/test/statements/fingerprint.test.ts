import { describe, expect, test } from "vitest";
import { loadStatementFingerprinter } from "../../src/rules/index.js";
import { MAX_FINGERPRINTED_LENGTH } from "../../src/statements/fingerprint.js";

describe("MySQL fingerprints (lexical, pt-query-digest style)", async () => {
  const fingerprint = await loadStatementFingerprinter("mysql");

  test("literals, IN-list length, spacing, case and comments do not change the fingerprint", () => {
    const variants = [
      "SELECT * FROM orders WHERE id IN (1, 2, 3) AND status = 'new'",
      "select *  from orders\n where id in (42) and status = \"paid\" -- retry",
      "SELECT * FROM orders /* app=web */ WHERE id IN (-7,8) AND status = 'x' # note",
    ];
    const results = variants.map(fingerprint);
    expect(results[0]!.normalized).toBe("select * from orders where id in(?+) and status = ?");
    expect(results[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    for (const result of results) expect(result).toEqual(results[0]);
  });

  test("multi-row VALUES collapse; different tables or columns do not", () => {
    const one = fingerprint("INSERT INTO t (a, b) VALUES (1, 'x')");
    const many = fingerprint("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, NULL)");
    expect(one.normalized).toBe("insert into t(a, b) values(?+)");
    expect(many.normalized).toBe("insert into t(a, b) values(?, ?), (?, ?), (?, null)");
    expect(fingerprint("INSERT INTO t (a, b) VALUES (5, 'z'), (6, 'w')")).toEqual(one);
    expect(fingerprint("INSERT INTO u (a, b) VALUES (1, 'x')").fingerprint).not.toBe(one.fingerprint);
    expect(fingerprint("SELECT a FROM t").fingerprint).not.toBe(fingerprint("SELECT b FROM t").fingerprint);
  });

  test("executable comments are kept; quoted identifiers keep their case; variables fold", () => {
    expect(fingerprint("/*!40101 SET @OLD = @@SQL_MODE */").normalized).toBe("/*!40101 set @old = @@sql_mode */");
    expect(fingerprint("SELECT `Col` FROM `T` WHERE x = -1.5e3").normalized).toBe("select `Col` from `T` where x = ?");
    expect(fingerprint("SELECT 1;").normalized).toBe("select ?");
  });

  test("EXECUTE of a prepared statement keeps no literal", () => {
    expect(fingerprint("EXECUTE order_by_id USING @id").normalized).toBe("execute order_by_id using @id");
    expect(fingerprint("SET @id = 30").normalized).toBe("set @id = ?");
    expect(fingerprint("PREPARE order_by_id FROM 'SELECT * FROM orders WHERE id = ?'").normalized).toBe("prepare order_by_id from ?");
  });

  test("truncated and empty text still fingerprints", () => {
    expect(fingerprint("SELECT * FROM t WHERE a = 'cut").normalized).toBe("select * from t where a = ?");
    expect(fingerprint("").normalized).toBe("");
  });
});

describe("PostgreSQL fingerprints (libpg-query)", async () => {
  const fingerprint = await loadStatementFingerprinter("postgresql");

  test("the parse-tree fingerprint ignores literal values, IN-list length and formatting", () => {
    const a = fingerprint("SELECT * FROM orders WHERE id IN (1, 2, 3) AND status = 'new'");
    const b = fingerprint("select *\n  from orders where id in ($1) and status = 'paid'");
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a.normalized).toBe("SELECT * FROM orders WHERE id IN ($1, $2, $3) AND status = $4");
    expect(fingerprint("SELECT * FROM invoices WHERE id = 1").fingerprint).not.toBe(a.fingerprint);
  });

  test("literals pg_stat_statements leaves in utility statements are numbered too", () => {
    expect(fingerprint("EXECUTE order_by_id(30)").normalized).toBe("EXECUTE order_by_id($1)");
    expect(fingerprint("EXECUTE order_by_id(31)")).toEqual(fingerprint("EXECUTE order_by_id(30)"));
    expect(fingerprint("EXECUTE transfer(7, 'alice', 12.5)").normalized).toBe("EXECUTE transfer($1, $2, $3)");
    expect(fingerprint("FETCH 100 FROM orders_cursor").normalized).toBe("FETCH $1 FROM orders_cursor");
    expect(fingerprint("CREATE TEMP TABLE scratch AS SELECT 5 AS n").normalized).toBe("CREATE TEMP TABLE scratch AS SELECT $1 AS n");
    // Numbering continues after the parameters the parser already numbered.
    expect(fingerprint("DECLARE c CURSOR FOR SELECT * FROM t WHERE a = 5").normalized).toBe("DECLARE c CURSOR FOR SELECT * FROM t WHERE a = $1");
    expect(fingerprint("SET search_path = app, 'x'").normalized).toBe("SET search_path = $1, $2");
  });

  test("text the parser rejects falls back to the lexical normalization", () => {
    const truncated = fingerprint("SELECT * FROM orders WHERE status = 'pai");
    expect(truncated.normalized).toBe("select * from orders where status = ?");
    expect(truncated.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint("SELECT * FROM orders WHERE status = 'ne")).toEqual(truncated);
    expect(fingerprint("").fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});

test("an unknown engine is named in the error", async () => {
  await expect(loadStatementFingerprinter("oracle" as "mysql")).rejects.toThrow('Unknown engine "oracle"');
});

describe("statements over 16 KB", () => {
  const rows = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `($${from + i})`).join(",");

  test.each(["postgresql", "mysql"] as const)("%s: fingerprinted by the lexical form of their first 16 KB, marked as cut", async (engine) => {
    const fingerprint = await loadStatementFingerprinter(engine);
    const long = `insert into test (x) values ${rows(50_000)}`;
    const result = fingerprint(long);
    expect(long.length).toBeGreaterThan(MAX_FINGERPRINTED_LENGTH * 20);
    expect(result.normalized.startsWith("insert into test")).toBe(true);
    expect(result.normalized.endsWith(" ...")).toBe(true);
    expect(result.normalized.length).toBeLessThan(MAX_FINGERPRINTED_LENGTH + 10);
    // Same first 16 KB, different tails: one group, as the report shows no more of them.
    expect(fingerprint(`${long},($0)`).fingerprint).toBe(result.fingerprint);
    expect(fingerprint("insert into test (x) values ($1)").fingerprint).not.toBe(result.fingerprint);
  });
});
