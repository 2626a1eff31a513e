import { createHash } from "node:crypto";
import type { Engine } from "../events/log-event.js";
import { type Dialect, MYSQL_DIALECT, POSTGRES_DIALECT } from "./lexer.js";
import { normalizeStatement } from "./normalize.js";
import { loadPostgresParser } from "./pg-parser.js";
import { StatementCache } from "./statement-cache.js";

export interface StatementFingerprint {
  /** 16 hex digits; equal for statements that differ only in literal values, spacing, case or comments. */
  fingerprint: string;
  /** The statement with its literals replaced, for reports. */
  normalized: string;
}

export type StatementFingerprinter = (sql: string) => StatementFingerprint;

/**
 * PostgreSQL: libpg-query's fingerprint (a hash of the parse tree, so IN lists of any length and formatting agree)
 * and its normalized text (pg_stat_statements style, literals as $1, $2 ...). Text the parser rejects (truncated in a
 * log) falls back to the lexical normalization. MySQL/MariaDB: the lexical normalization (pt-query-digest style).
 * The lexical fingerprint is a hash of the normalized text.
 */
export async function loadStatementFingerprinter(engine: Engine): Promise<StatementFingerprinter> {
  if (engine === "mysql") return cached((sql) => lexicalFingerprint(sql, MYSQL_DIALECT));
  if (engine !== "postgresql") throw new Error(`Unknown engine "${String(engine)}": expected "postgresql" or "mysql"`);
  const parser = await loadPostgresParser();
  return cached((sql) => {
    try {
      return { fingerprint: parser.fingerprint(sql), normalized: parser.normalize(sql).trim() };
    } catch {
      return lexicalFingerprint(sql, POSTGRES_DIALECT);
    }
  });
}

function lexicalFingerprint(sql: string, dialect: Dialect): StatementFingerprint {
  const normalized = normalizeStatement(sql, dialect);
  return { fingerprint: createHash("sha1").update(normalized).digest("hex").slice(0, 16), normalized };
}

function cached(fingerprinter: StatementFingerprinter): StatementFingerprinter {
  const cache = new StatementCache<StatementFingerprint>();
  return (sql) => {
    const known = cache.get(sql);
    if (known) return known;
    const result = Object.freeze(fingerprinter(sql));
    cache.set(sql, result);
    return result;
  };
}
