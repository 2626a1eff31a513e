import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { RULE_DOCS, type RuleId, ruleDoc } from "../../src/rules/index.js";

/** Every rule id of the contract; the compiler fails here when the contract gains one. */
const ALL_RULES = {
  "any.statement_over_16kb": true,
  "pg.set": true,
  "pg.set_local": true,
  "pg.set_config": true,
  "pg.reset": true,
  "pg.sql_prepare": true,
  "pg.discard": true,
  "pg.temp_object": true,
  "pg.temp_schema_object": true,
  "pg.cursor": true,
  "pg.listen": true,
  "pg.load": true,
  "pg.sequence_fn": true,
  "pg.advisory_lock": true,
  "pg.extended_protocol": true,
  "mysql.lock_tables": true,
  "mysql.get_lock": true,
  "mysql.user_variable": true,
  "mysql.system_variable": true,
  "mysql.next_transaction_setting": true,
  "mysql.temp_table": true,
  "mysql.prepared_statement": true,
  "mysql.found_rows_row_count": true,
  "mysql.executable_comment": true,
} satisfies Record<RuleId, true>;

describe("RULE_DOCS", () => {
  test("documents every rule id exactly once", () => {
    expect(RULE_DOCS.map((doc) => doc.id).sort()).toEqual(Object.keys(ALL_RULES).sort());
  });

  test.each(RULE_DOCS.map((doc) => [doc.id, doc]))("%s: engine, title, remediation and an AWS source", (id, doc) => {
    expect(doc.engine).toBe(id.startsWith("pg.") ? "postgresql" : id.startsWith("mysql.") ? "mysql" : "any");
    expect(doc.title.length).toBeGreaterThan(5);
    expect(doc.remediation.length).toBeGreaterThan(20);
    expect(doc.source).toMatch(/^https:\/\/(docs\.)?aws\.amazon\.com\//);
    expect(ruleDoc(id)).toBe(doc);
  });

  test("exactly the documented-ambiguous rules are flagged", () => {
    expect(RULE_DOCS.filter((doc) => doc.ambiguous).map((doc) => doc.id)).toEqual([
      "pg.set_local",
      "mysql.found_rows_row_count",
    ]);
  });

  test("ruleDoc names an unknown id", () => {
    expect(() => ruleDoc("pg.nope" as RuleId)).toThrow('Unknown rule id "pg.nope"');
  });

  test("docs/rules.md has a section for every rule id", () => {
    const page = readFileSync(new URL("../../../docs/rules.md", import.meta.url), "utf8");
    for (const doc of RULE_DOCS) expect(page).toContain(`### \`${doc.id}\``);
  });
});
