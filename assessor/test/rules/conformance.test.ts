import { beforeAll, describe, expect, test } from "vitest";
import type { Engine } from "../../src/events/log-event.js";
import {
  type Classification,
  loadRulebook,
  PROFILES,
  type ProfileId,
  type Rulebook,
  ruleDoc,
  type StatementToClassify,
} from "../../src/rules/index.js";

/**
 * The contract every Rulebook (engine × profile) keeps, whatever its rules: synchronous, pure, never throws, and
 * only ever answers with its own engine's rules.
 */

const ENGINES: readonly Engine[] = ["postgresql", "mysql"];
const RULEBOOKS = ENGINES.flatMap((engine) => PROFILES.map((profile) => [engine, profile] as const));

/** mulberry32: a seeded generator, so a failing random input can be reproduced. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  "SELECT", "SET", "LOCAL", "SESSION", "GLOBAL", "RESET", "ALL", "CREATE", "TEMP", "TEMPORARY", "TABLE", "INTO",
  "PREPARE", "EXECUTE", "DEALLOCATE", "DECLARE", "CURSOR", "LISTEN", "LOAD", "LOCK", "TABLES", "FLUSH", "WITH",
  "set_config(", "nextval(", "pg_advisory_lock(", "GET_LOCK(", "FOUND_ROWS()", "'", "''", '"', "`", "$$", "$a$", "$1",
  "E'", "\\", "/*", "*/", "/*!", "/*M!100100", "--", "-- ", "#", "@", "@@", "@@session.", ";", "(", ")", ",", "=",
  ":=", "::", "?", "x", "1", "-", " ", "\n", "\t", "\u0000", "é", "\ud800", "😀", "\r\n",
];

function randomStatement(next: () => number): string {
  const parts: string[] = [];
  const length = 1 + Math.floor(next() * 40);
  for (let i = 0; i < length; i++) {
    if (next() < 0.1) parts.push(String.fromCharCode(Math.floor(next() * 0x3000)));
    else parts.push(FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]!);
    if (next() < 0.5) parts.push(" ");
  }
  return parts.join("");
}

const MEGABYTE = 1024 * 1024;

describe.each(RULEBOOKS)("Rulebook conformance: %s / %s", (engine, profile) => {
  let rulebook: Rulebook;
  beforeAll(async () => {
    rulebook = await loadRulebook(engine, profile);
  });

  const expectWellFormed = (result: Classification) => {
    expect(["parser", "lexical", "fast-path"]).toContain(result.method);
    const rules = result.findings.map((finding) => finding.rule);
    expect(new Set(rules).size).toBe(rules.length);
    for (const finding of result.findings) {
      const doc = ruleDoc(finding.rule);
      expect([engine, "any"]).toContain(doc.engine);
      expect(finding.ambiguous).toBe(doc.ambiguous);
      expect(finding.reason.length).toBeGreaterThan(0);
    }
  };

  test("names its engine and profile", () => {
    expect(rulebook.engine).toBe(engine);
    expect(rulebook.profile).toBe(profile);
  });

  test("classify() is synchronous", () => {
    const result = rulebook.classify({ text: "SELECT 1" });
    expect(result).not.toBeInstanceOf(Promise);
    expect(result.findings).toEqual([]);
  });

  test.each(["", " ", "\n\t", ";", ";;;", "--", "/*", "'", '"', "`", "$$", "()", "\u0000"])(
    "degenerate text %j never pins and never throws",
    (text) => {
      const result = rulebook.classify({ text });
      expectWellFormed(result);
      expect(result.findings).toEqual([]);
    },
  );

  test("1 MB inputs: still classified, and flagged as larger than 16 KB", () => {
    const inputs = [
      `SELECT '${"x".repeat(MEGABYTE)}'`,
      "SET a = 1;".repeat(MEGABYTE / 10),
      `SELECT ${"(".repeat(MEGABYTE)}`,
      `SELECT '${"é".repeat(MEGABYTE / 2)}`,
    ];
    for (const text of inputs) {
      const result = rulebook.classify({ text });
      expectWellFormed(result);
      expect(result.findings[0]?.rule).toBe("any.statement_over_16kb");
    }
  });

  test("never throws on random input, and answers the same twice", () => {
    const next = random(engine.length * 31 + profile.length);
    for (let i = 0; i < 400; i++) {
      const statement: StatementToClassify = {
        text: randomStatement(next),
        via: (["simple", "parse", "bind", "execute", undefined] as const)[Math.floor(next() * 5)],
      };
      const first = rulebook.classify(statement);
      expectWellFormed(first);
      expect(rulebook.classify(statement), statement.text).toEqual(first);
    }
  });

  test("pure: a fresh rulebook agrees with one that has seen (and cached) other statements", async () => {
    const fresh = await loadRulebook(engine, profile);
    const statements = ["SET search_path = a", "SET @x = 1", "SELECT 1", "LOCK TABLES t WRITE", "SELECT nextval('s')"];
    for (const text of statements) {
      for (const via of ["simple", "parse"] as const) {
        expect(fresh.classify({ text, via })).toEqual(rulebook.classify({ text, via }));
      }
    }
  });

  test("does not change its input, and its answers cannot be changed by the caller", () => {
    const statement: StatementToClassify = { text: "SET search_path = a; SET @x = 1", via: "parse", statementName: "s" };
    const copy = { ...statement };
    const result = rulebook.classify(statement);
    expect(statement).toEqual(copy);
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.findings)).toBe(true);
    for (const finding of result.findings) expect(Object.isFrozen(finding)).toBe(true);
    expect(rulebook.classify(statement)).toEqual(result);
  });
});

describe("loadRulebook", () => {
  test("rejects an unknown engine or profile by name", async () => {
    await expect(loadRulebook("oracle" as Engine)).rejects.toThrow('Unknown engine "oracle"');
    await expect(loadRulebook("postgresql", "pgbouncer" as ProfileId)).rejects.toThrow(
      'Unknown profile "pgbouncer": expected one of rds-proxy, rds-proxy-pre-2023',
    );
  });

  test("defaults to the current RDS Proxy behaviour", async () => {
    expect((await loadRulebook("postgresql")).profile).toBe("rds-proxy");
  });
});
