import { beforeAll, describe, expect, test } from "vitest";
import { FindingCollector } from "../../src/rules/findings.js";
import { loadRulebook, type Rulebook } from "../../src/rules/index.js";
import { analyzePostgresLexically } from "../../src/rules/postgres-lexical.js";
import { POSTGRES_CASES } from "./postgres-cases.js";

describe("PostgreSQL rules", () => {
  let rulebook: Rulebook;
  beforeAll(async () => {
    rulebook = await loadRulebook("postgresql");
  });

  test.each(POSTGRES_CASES.map((c) => [c.sql.length > 120 ? `${c.sql.slice(0, 100)}… (${c.sql.length} chars)` : c.sql, c]))(
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

  test("the lexical fallback agrees with the parser on every statement the parser reads", () => {
    const parsed = POSTGRES_CASES.filter(({ sql }) => rulebook.classify({ text: sql }).method === "parser");
    expect(parsed.length).toBeGreaterThan(80);
    for (const { sql } of parsed) {
      const lexical = new FindingCollector();
      analyzePostgresLexically(sql, lexical);
      // The size rule belongs to the shared pipeline, not to either analysis.
      const rules = (findings: { rule: string }[]) => findings.map((f) => f.rule).filter((rule) => !rule.startsWith("any."));
      expect(rules(lexical.findings()), sql.slice(0, 80)).toEqual(rules(rulebook.classify({ text: sql }).findings));
    }
  });

  test("DO blocks and CALLs are listed as not inspected, by the parser and by the lexical fallback; function calls are not", () => {
    const notInspected = (sql: string) => rulebook.classify({ text: sql }).notInspected;
    expect(notInspected("DO $$ BEGIN PERFORM pg_advisory_lock(1); END $$")).toEqual(["DO block"]);
    expect(notInspected("CALL app.do_things(1); CALL app.do_things(2)")).toEqual(["CALL app.do_things"]);
    expect(notInspected("DO $$ BEGIN PERFORM 1")).toEqual(["DO block"]);
    expect(notInspected("CALL do_things(1, 'a")).toEqual(["CALL do_things"]);
    expect(notInspected("SELECT do_things(1)")).toEqual([]);
    expect(notInspected("SET a.b = 1")).toEqual([]);
    expect(notInspected("SELECT 1")).toEqual([]);
  });

  test("reasons name objects created in pg_temp", () => {
    expect(rulebook.classify({ text: "CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql RETURN 1" }).findings[0]?.reason).toBe(
      "SQL created an object in the session's temporary schema: FUNCTION pg_temp.f",
    );
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
