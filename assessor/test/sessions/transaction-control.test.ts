import { describe, expect, it } from "vitest";
import { isReadOnly, transactionEffects } from "../../src/sessions/transaction-control.js";

describe("transactionEffects", () => {
  it.each([
    ["BEGIN", ["begin"]],
    ["begin isolation level serializable", ["begin"]],
    ["START TRANSACTION READ ONLY", ["begin"]],
    ["COMMIT", ["commit"]],
    ["end", ["commit"]],
    ["ROLLBACK", ["rollback"]],
    ["ABORT", ["rollback"]],
    ["ROLLBACK TO SAVEPOINT a", []],
    ["rollback work to a", []],
    ["SELECT 1", []],
    ["UPDATE t SET a = 1", []],
    ["SELECT 'BEGIN; COMMIT'", []],
    ["/* BEGIN */ SELECT 1", []],
    ["BEGIN; UPDATE t SET a = a + 1; COMMIT;", ["begin", "commit"]],
  ])("postgresql %s", (sql, expected) => {
    expect(transactionEffects(sql, "postgresql")).toEqual(expected);
  });

  it.each([
    ["SET autocommit=0", ["autocommit-off"]],
    ["set autocommit = 1", ["autocommit-on"]],
    ["SET SESSION autocommit = OFF", ["autocommit-off"]],
    ["SET @@autocommit=0", ["autocommit-off"]],
    ["SET SESSION sql_mode = 0", []],
    ["SELECT 'it\\'s; COMMIT'", []],
    ["START TRANSACTION", ["begin"]],
  ])("mysql %s", (sql, expected) => {
    expect(transactionEffects(sql, "mysql")).toEqual(expected);
  });
});

describe("isReadOnly", () => {
  it.each([
    ["SELECT * FROM t WHERE id = 1", true],
    ["  (select 1)", true],
    ["WITH x AS (SELECT 1) SELECT * FROM x", true],
    ["SHOW search_path", true],
    ["BEGIN", true],
    ["SELECT * FROM t FOR UPDATE", false],
    ["SELECT nextval('s')", false],
    ["SELECT * INTO t2 FROM t", false],
    ["WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", false],
    ["UPDATE t SET a = 1", false],
    ["INSERT INTO t VALUES (1)", false],
    ["CALL p()", false],
  ])("%s → %s", (sql, expected) => {
    expect(isReadOnly(sql)).toBe(expected);
  });
});
