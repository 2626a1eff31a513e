import { describe, expect, test } from "vitest";
import { MYSQL_DIALECT, POSTGRES_DIALECT, type Token, tokenize } from "../../src/statements/lexer.js";

const kinds = (tokens: Token[]) => tokens.map((token) => [token.kind, token.text]);

describe("PostgreSQL lexing", () => {
  test("strings, dollar quotes, quoted identifiers, parameters and comments", () => {
    const sql = `SELECT 'it''s', E'a\\'b', $$x$$, $tag$ $$ nested $tag$, "Col ""A""", $1 -- c\n/* a /* b */ c */ x::int`;
    expect(kinds(tokenize(sql, POSTGRES_DIALECT))).toEqual([
      ["word", "SELECT"],
      ["string", "'it''s'"],
      ["punctuation", ","],
      ["string", "E'a\\'b'"],
      ["punctuation", ","],
      ["string", "$$x$$"],
      ["punctuation", ","],
      ["string", "$tag$ $$ nested $tag$"],
      ["punctuation", ","],
      ["quoted_identifier", '"Col ""A"""'],
      ["punctuation", ","],
      ["parameter", "$1"],
      ["word", "x"],
      ["operator", "::"],
      ["word", "int"],
    ]);
  });

  test("in standard strings a backslash is an ordinary character", () => {
    expect(kinds(tokenize("SELECT 'a\\' , 1", POSTGRES_DIALECT))).toEqual([
      ["word", "SELECT"],
      ["string", "'a\\'"],
      ["punctuation", ","],
      ["number", "1"],
    ]);
  });

  test("text cut off inside a string, dollar quote or identifier ends in an unterminated token", () => {
    for (const sql of ["SELECT 'abc", "SELECT $fn$ body", 'SELECT "col']) {
      const last = tokenize(sql, POSTGRES_DIALECT).at(-1)!;
      expect(last.unterminated).toBe(true);
      expect(last.end).toBe(sql.length);
    }
    expect(tokenize("SELECT 1 /* cut", POSTGRES_DIALECT).map((token) => token.text)).toEqual(["SELECT", "1"]);
  });

  test("numbers, signs and identifiers with $", () => {
    expect(kinds(tokenize("a$1 1.5e-3 .5 0x1F 1_000", POSTGRES_DIALECT))).toEqual([
      ["word", "a$1"],
      ["number", "1.5e-3"],
      ["number", ".5"],
      ["number", "0x1F"],
      ["number", "1_000"],
    ]);
  });
});

describe("MySQL lexing", () => {
  test("backslash escapes in both quote styles, backticks, # and -- comments", () => {
    const sql = "SELECT 'it\\'s', \"say \\\"hi\\\"\", `we``ird` # c\n-- c\nFROM t";
    expect(kinds(tokenize(sql, MYSQL_DIALECT))).toEqual([
      ["word", "SELECT"],
      ["string", "'it\\'s'"],
      ["punctuation", ","],
      ["string", '"say \\"hi\\""'],
      ["punctuation", ","],
      ["quoted_identifier", "`we``ird`"],
      ["word", "FROM"],
      ["word", "t"],
    ]);
  });

  test('"--" without a following space is two minus signs, not a comment', () => {
    expect(kinds(tokenize("SELECT 1--1", MYSQL_DIALECT))).toEqual([
      ["word", "SELECT"],
      ["number", "1"],
      ["operator", "--"],
      ["number", "1"],
    ]);
  });

  test("user and system variables; an @ glued to an account name is not a variable", () => {
    const sql = "SET @a = @'b', @@session.sql_mode = @@global.`x`; CREATE USER 'u'@'h'; DEFINER=root@localhost";
    expect(kinds(tokenize(sql, MYSQL_DIALECT)).filter(([kind]) => kind?.endsWith("variable"))).toEqual([
      ["user_variable", "@a"],
      ["user_variable", "@'b'"],
      ["system_variable", "@@session.sql_mode"],
      ["system_variable", "@@global.`x`"],
    ]);
  });

  test("executable comments are lexed as code between two markers; optimizer hints are comments", () => {
    expect(kinds(tokenize("/*!40101 SET x=1*/ /*M!100100 y */ /*+ BKA(t) */ /* plain */", MYSQL_DIALECT))).toEqual([
      ["executable_comment", "/*!40101"],
      ["word", "SET"],
      ["word", "x"],
      ["operator", "="],
      ["number", "1"],
      ["executable_comment", "*/"],
      ["executable_comment", "/*M!100100"],
      ["word", "y"],
      ["executable_comment", "*/"],
    ]);
  });

  test("? is a parameter marker", () => {
    expect(kinds(tokenize("a = ?", MYSQL_DIALECT))).toEqual([
      ["word", "a"],
      ["operator", "="],
      ["parameter", "?"],
    ]);
  });
});

test("every character of any input lands in a token, whitespace or a comment: nothing throws", () => {
  const input = "\u0000\ud800😀'\"`$@#/*-- ;\\é";
  for (const dialect of [POSTGRES_DIALECT, MYSQL_DIALECT]) {
    for (let i = 0; i < input.length; i++) expect(() => tokenize(input.slice(i), dialect)).not.toThrow();
  }
});
