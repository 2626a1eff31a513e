import { POSTGRES_DIALECT, type Token, tokenize } from "../statements/lexer.js";
import {
  callArguments,
  functionCalls,
  identifier,
  isPunctuation,
  keyword,
  splitStatements,
} from "../statements/token-statements.js";
import type { FindingCollector } from "./findings.js";
import { isTemporarySchema, isTrueText, recordFunctionCall } from "./postgres-functions.js";

/**
 * The fallback for text libpg-query rejects, usually a statement cut off in a log. It works on tokens, so string
 * literals, dollar quotes, quoted identifiers and comments never look like keywords, and it decides from the
 * statement's leading keywords and its function calls, which survive truncation.
 */
export function analyzePostgresLexically(text: string, findings: FindingCollector): void {
  for (const statement of splitStatements(tokenize(text, POSTGRES_DIALECT))) {
    analyzeStatement(statement, findings);
  }
}

/** Statements whose function calls are definitions, not executed now (see DEFINITIONS in postgres.ts). */
const DEFINING_KEYWORDS = new Set(["create", "alter", "do", "comment", "prepare"]);

function analyzeStatement(statement: Token[], findings: FindingCollector): void {
  const start = statement.findIndex((token) => !isPunctuation(token, "("));
  if (start === -1) return;
  const tokens = statement.slice(start);
  const words = tokens.slice(0, 6).map(keyword);
  switch (words[0]) {
    case "set":
      set(words, findings);
      return;
    case "reset":
      findings.add("pg.reset", words[1] === "all" ? "RESET ALL" : words[1]);
      return;
    case "prepare":
    case "execute":
    case "deallocate":
      findings.add("pg.sql_prepare", words[0].toUpperCase());
      break;
    case "discard":
      findings.add("pg.discard", `DISCARD ${(words[1] ?? "").toUpperCase()}`.trim());
      return;
    case "declare":
      findings.add("pg.cursor", identifier(tokens[1]));
      break;
    case "listen":
      findings.add("pg.listen", `LISTEN ${identifier(tokens[1]) ?? ""}`.trim());
      return;
    case "load":
      findings.add("pg.load", "LOAD");
      return;
    case "create":
      createTemporary(tokens, words, findings);
      break;
    case "alter":
      // ALTER ... SET SCHEMA pg_temp
      for (let i = 0; i + 2 < tokens.length; i++) {
        if (keyword(tokens[i]) === "set" && keyword(tokens[i + 1]) === "schema" && isTemporarySchema(identifier(tokens[i + 2]))) {
          findings.add("pg.temp_schema_object", `${(words[1] ?? "").toUpperCase()} SET SCHEMA pg_temp`);
        }
      }
      return;
    case "do":
      findings.notInspected("DO block");
      return;
    case "call":
      findings.notInspected(`CALL ${tokens[1] === undefined ? "" : (identifier(tokens[1]) ?? tokens[1].text)}`.trim());
      break;
    case "explain":
      // Plain EXPLAIN plans without running; EXPLAIN ANALYZE / EXPLAIN (ANALYZE) runs the statement.
      if (!tokens.slice(1, 4).some(isAnalyzeOption)) return;
      break;
  }
  if (words[0] === "select" || words[0] === "with") selectIntoTemporary(tokens, findings);
  // CREATE TABLE ... AS SELECT runs its query; other definitions do not run theirs.
  if (words[0] !== undefined && DEFINING_KEYWORDS.has(words[0]) && !isCreateTableAs(tokens)) return;
  for (const call of functionCalls(tokens)) {
    const args = call.name === "set_config" ? callArguments(tokens, call) : [];
    const parameter = singleString(args[0]);
    const local = args[2]?.[0];
    recordFunctionCall(
      {
        name: call.name,
        ...(call.qualifier === undefined ? {} : { schema: call.qualifier }),
        ...(parameter === undefined ? {} : { parameter }),
        transactionLocal: local !== undefined && isTrueText(unquote(local)),
      },
      findings,
    );
  }
}

function set(words: (string | undefined)[], findings: FindingCollector): void {
  const scope = words[1];
  if (scope === "local") findings.add("pg.set_local", parameterName(words.slice(2)));
  else if (scope === "transaction") findings.add("pg.set_local", "SET TRANSACTION");
  else if (scope === "constraints") findings.add("pg.set_local", "SET CONSTRAINTS");
  else if (scope === "session" && words[2] !== "authorization") findings.add("pg.set", parameterName(words.slice(2)));
  else findings.add("pg.set", parameterName(words.slice(1)));
}

/** The parameter a SET names, spelled as the parser reports it (SET TIME ZONE sets "timezone"). */
function parameterName(words: (string | undefined)[]): string | undefined {
  if (words[0] === "time" && words[1] === "zone") return "timezone";
  if (words[0] === "session" && words[1] === "authorization") return "session_authorization";
  if (words[0] === "characteristics") return "SESSION CHARACTERISTICS";
  return words[0];
}

const TEMPORARY = new Set(["temp", "temporary"]);

function createTemporary(tokens: Token[], words: (string | undefined)[], findings: FindingCollector): void {
  // CREATE [OR REPLACE] [GLOBAL | LOCAL] {TEMP | TEMPORARY} {TABLE | SEQUENCE | VIEW} ...
  const at = words.findIndex((word) => word !== undefined && TEMPORARY.has(word));
  if (at !== -1 && at <= 4) {
    findings.add("pg.temp_object", `TEMP ${(words[at + 1] ?? "").toUpperCase()}`.trim());
    return;
  }
  // CREATE TABLE pg_temp.name, CREATE FUNCTION pg_temp.name(...), CREATE TEXT SEARCH DICTIONARY pg_temp.name ...
  const schema = tokens.findIndex((token, i) => i < 8 && isTemporarySchema(identifier(token)) && isPunctuation(tokens[i + 1], "."));
  if (schema === -1) return;
  const object = (words.slice(1).find((word) => word === undefined || !CREATE_MODIFIERS.has(word)) ?? "").toUpperCase();
  const name = identifier(tokens[schema + 2]) ?? "";
  if (object === "TABLE" || object === "SEQUENCE" || object === "VIEW") findings.add("pg.temp_object", `TEMP ${object} ${name}`.trim());
  else findings.add("pg.temp_schema_object", `${object} pg_temp.${name}`);
}

function selectIntoTemporary(tokens: Token[], findings: FindingCollector): void {
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (keyword(tokens[i]) !== "into") continue;
    const next = keyword(tokens[i + 1]);
    if (next !== undefined && TEMPORARY.has(next)) findings.add("pg.temp_object", "TEMP TABLE");
  }
}

const CREATE_MODIFIERS = new Set(["or", "replace", "global", "local", "temp", "temporary", "unlogged"]);

/** CREATE [modifiers] TABLE ... AS query, or CREATE MATERIALIZED VIEW ... AS query: the query runs now. */
function isCreateTableAs(tokens: Token[]): boolean {
  if (keyword(tokens[0]) !== "create") return false;
  const object = tokens
    .slice(1, 6)
    .map(keyword)
    .find((word) => word === undefined || !CREATE_MODIFIERS.has(word));
  if (object !== "table" && object !== "materialized") return false;
  const as = tokens.findIndex((token) => keyword(token) === "as");
  const query = tokens[as + 1];
  return as !== -1 && (isPunctuation(query, "(") || ["select", "with", "values", "table"].includes(keyword(query) ?? ""));
}

function isAnalyzeOption(token: Token): boolean {
  const word = keyword(token);
  return word === "analyze" || word === "analyse";
}

function singleString(tokens: Token[] | undefined): string | undefined {
  return tokens?.length === 1 && tokens[0]!.kind === "string" ? unquote(tokens[0]!) : undefined;
}

/** The value of a simple literal token ('abc' -> abc); other tokens as written. */
function unquote(token: Token): string {
  if (token.kind !== "string" || !token.text.startsWith("'")) return token.text;
  return (token.unterminated ? token.text.slice(1) : token.text.slice(1, -1)).replaceAll("''", "'");
}
