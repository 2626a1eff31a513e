/** The memos and caches keyed by statement text keep nothing of a huge text, and what a report keeps is cut. */
import { describe, expect, test } from "vitest";
import { clipNormalized, memoizeByText } from "../../src/analysis/statement-cache.js";
import { loadStatementFingerprinter } from "../../src/rules/index.js";

describe("memoizeByText", () => {
  test("remembers short texts, computes texts over 16 KB every time", () => {
    let calls = 0;
    const memo = memoizeByText((sql) => {
      calls++;
      return sql.length;
    });
    memo("select 1");
    memo("select 1");
    expect(calls).toBe(1);
    const large = `select '${"x".repeat(16 * 1024)}'`;
    memo(large);
    memo(large);
    expect(calls).toBe(3);
  });

  test("starts over once the texts it holds pass 8 M characters, however few they are", () => {
    let calls = 0;
    const memo = memoizeByText((sql) => {
      calls++;
      return sql.length;
    });
    const first = `select 0 ${" ".repeat(16_000)}`;
    memo(first);
    for (let i = 1; i <= 600; i++) memo(`select ${i} ${" ".repeat(16_000)}`);
    const before = calls;
    memo(first);
    expect(calls).toBe(before + 1);
  });
});

describe("statement texts in reports", () => {
  test("a normalized text over 16 KB is cut, saying how long it was; the fingerprint is kept", () => {
    const long = { fingerprint: "0123456789abcdef", normalized: "x".repeat(20_000) };
    const clipped = clipNormalized(long);
    expect(clipped.fingerprint).toBe(long.fingerprint);
    expect(clipped.normalized).toBe(`${"x".repeat(16 * 1024)}... (20000 characters in all)`);
    const short = { fingerprint: "0123456789abcdef", normalized: "select $1" };
    expect(clipNormalized(short)).toBe(short);
  });

  test("a text over 1 MB is fingerprinted lexically, never by the parser", async () => {
    const fingerprint = await loadStatementFingerprinter("postgresql");
    const result = fingerprint(`select length('${"x".repeat(2 * 1024 * 1024)}') from t`);
    expect(result.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(result.normalized).not.toContain("$1");
    expect(fingerprint("select length('x') from t").normalized).toContain("$1");
  });
});
