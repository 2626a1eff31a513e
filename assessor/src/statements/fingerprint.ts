import { createHash } from "node:crypto";
import type { Engine } from "../events/log-event.js";
import { type Dialect, MYSQL_DIALECT, POSTGRES_DIALECT, tokenize } from "./lexer.js";
import { normalizeTokens } from "./normalize.js";
import { loadPostgresParser } from "./pg-parser.js";
import { StatementCache } from "./statement-cache.js";
import { isComplete } from "./token-statements.js";

export interface StatementFingerprint {
  /** 16 hex digits; equal for statements that differ only in literal values, spacing, case or comments. */
  fingerprint: string;
  /** The statement with its literals replaced, for reports. */
  normalized: string;
}

export type StatementFingerprinter = (sql: string) => StatementFingerprint;

/**
 * Statements longer than this are fingerprinted by the lexical form of their first 16 KB alone. Every one of them pins
 * (RDS Proxy's 16 KB rule) and reports show no more of them than that, while a full reading costs time in proportion
 * to their length: a 400 KB INSERT of 50,000 rows took the parser about 0.3-3.7 s, the lexer 0.1-0.4 s, and through
 * the trial proxy that time blocked every client.
 */
export const MAX_FINGERPRINTED_LENGTH = 16 * 1024;

/**
 * MySQL/MariaDB: the lexical normalization (pt-query-digest style) and a hash of it.
 *
 * PostgreSQL: libpg-query's fingerprint (a hash of the parse tree, so IN lists of any length and formatting agree)
 * and its normalized text (pg_stat_statements style, literals as $1, $2 ...). Text the parser rejects (truncated in a
 * log) falls back to the lexical form. The parser costs about ten times the lexer, so answers are cached by lexical
 * form: statements that differ only in literals, spacing or comments (which the parse-tree fingerprint ignores too)
 * parse once. Truncated text never enters that cache, so a cut-off statement cannot stand in for a whole one.
 */
export async function loadStatementFingerprinter(engine: Engine): Promise<StatementFingerprinter> {
  if (engine === "mysql") {
    return (sql) => {
      if (sql.length > MAX_FINGERPRINTED_LENGTH) return longStatementFingerprint(sql, MYSQL_DIALECT);
      return Object.freeze(lexicalFingerprint(normalizeTokens(tokenize(sql, MYSQL_DIALECT))));
    };
  }
  if (engine !== "postgresql") throw new Error(`Unknown engine "${String(engine)}": expected "postgresql" or "mysql"`);
  const parser = await loadPostgresParser();
  const byLexicalForm = new StatementCache<StatementFingerprint>();
  return (sql) => {
    if (sql.length > MAX_FINGERPRINTED_LENGTH) return longStatementFingerprint(sql, POSTGRES_DIALECT);
    const tokens = tokenize(sql, POSTGRES_DIALECT);
    const lexicalForm = normalizeTokens(tokens);
    const complete = isComplete(tokens);
    const known = complete ? byLexicalForm.get(lexicalForm) : undefined;
    if (known) return known;
    let result: StatementFingerprint;
    try {
      result = Object.freeze({ fingerprint: parser.fingerprint(sql), normalized: numberRemainingLiterals(parser.normalize(sql).trim()) });
    } catch {
      result = Object.freeze(lexicalFingerprint(lexicalForm));
    }
    if (complete) byLexicalForm.set(lexicalForm, result);
    return result;
  };
}

/**
 * pg_stat_statements' normalization leaves the literals of some utility statements as written (EXECUTE's arguments,
 * FETCH counts, CREATE TABLE AS, DDL defaults): they become the next $n too, so no customer value reaches a report.
 */
function numberRemainingLiterals(normalized: string): string {
  const tokens = tokenize(normalized, POSTGRES_DIALECT);
  const literals = tokens.filter((token) => token.kind === "string" || token.kind === "number");
  if (literals.length === 0) return normalized;
  let next = 1;
  for (const token of tokens) {
    const n = token.kind === "parameter" ? Number(token.text.slice(1)) : Number.NaN;
    if (n >= next) next = n + 1;
  }
  let out = "";
  let at = 0;
  for (const literal of literals) {
    out += `${normalized.slice(at, literal.start)}$${next++}`;
    at = literal.end;
  }
  return out + normalized.slice(at);
}

/** The lexical form of the first 16 KB, marked as cut, so it never equals the form of a statement that short. */
function longStatementFingerprint(sql: string, dialect: Dialect): StatementFingerprint {
  return Object.freeze(lexicalFingerprint(`${normalizeTokens(tokenize(sql.slice(0, MAX_FINGERPRINTED_LENGTH), dialect))} ...`));
}

function lexicalFingerprint(normalized: string): StatementFingerprint {
  return { fingerprint: createHash("sha1").update(normalized).digest("hex").slice(0, 16), normalized };
}
