import { describe, expect, it } from "vitest";
import { transactionEffects } from "../../src/sessions/transaction-control.js";

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
