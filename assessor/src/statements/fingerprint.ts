import { createHash } from "node:crypto";
import type { Engine } from "../events/log-event.js";
import { MYSQL_DIALECT, POSTGRES_DIALECT, tokenize } from "./lexer.js";
import { normalizeTokens } from "./normalize.js";
import { loadPostgresParser, MAX_PARSED_TEXT_LENGTH } from "./pg-parser.js";
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
 * MySQL/MariaDB: the lexical normalization (pt-query-digest style) and a hash of it.
 *
 * PostgreSQL: libpg-query's fingerprint (a hash of the parse tree, so IN lists of any length and formatting agree)
 * and its normalized text (pg_stat_statements style, literals as $1, $2 ...). Text the parser rejects (truncated in a
 * log) falls back to the lexical form. The parser costs about ten times the lexer, so answers are cached by lexical
 * form: statements that differ only in literals, spacing or comments (which the parse-tree fingerprint ignores too)
 * parse once. Truncated text never enters that cache, so a cut-off statement cannot stand in for a whole one.
 */
export async function loadStatementFingerprinter(engine: Engine): Promise<StatementFingerprinter> {
  if (engine === "mysql") return (sql) => Object.freeze(lexicalFingerprint(normalizeTokens(tokenize(sql, MYSQL_DIALECT))));
  if (engine !== "postgresql") throw new Error(`Unknown engine "${String(engine)}": expected "postgresql" or "mysql"`);
  const parser = await loadPostgresParser();
  const byLexicalForm = new StatementCache<StatementFingerprint>();
  return (sql) => {
    const tokens = tokenize(sql, POSTGRES_DIALECT);
    const lexicalForm = normalizeTokens(tokens);
    const complete = isComplete(tokens);
    const known = complete ? byLexicalForm.get(lexicalForm) : undefined;
    if (known) return known;
    if (sql.length > MAX_PARSED_TEXT_LENGTH) return Object.freeze(lexicalFingerprint(lexicalForm));
    let result: StatementFingerprint;
    try {
      result = Object.freeze({ fingerprint: parser.fingerprint(sql), normalized: parser.normalize(sql).trim() });
    } catch {
      result = Object.freeze(lexicalFingerprint(lexicalForm));
    }
    if (complete) byLexicalForm.set(lexicalForm, result);
    return result;
  };
}

function lexicalFingerprint(normalized: string): StatementFingerprint {
  return { fingerprint: createHash("sha1").update(normalized).digest("hex").slice(0, 16), normalized };
}
