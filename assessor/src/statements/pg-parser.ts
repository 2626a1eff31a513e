import { fingerprintSync, loadModule, normalizeSync, parseSync } from "libpg-query";

export type {
  A_Const,
  DefElem,
  FuncCall,
  IntoClause,
  Node,
  ParseResult,
  RangeVar,
  SelectStmt,
  VariableSetStmt,
} from "libpg-query";

/** libpg-query (the PostgreSQL server's own parser compiled to WASM): synchronous once its module has loaded. */
export interface PostgresParser {
  /** Throws on text the server would reject. */
  parse: typeof parseSync;
  /** 16 hex digits; throws on text the server would reject. */
  fingerprint(text: string): string;
  /** Literals replaced by $1, $2 ...; call only on text that parses. */
  normalize: typeof normalizeSync;
}

const FINGERPRINT = /^[0-9a-f]{16}$/;

/**
 * Longer texts are not given to the parser: its WebAssembly memory grows to several times the largest text it has
 * seen and never shrinks (a 50 MB statement would cost the process about 200 MB for good). Callers fall back to the
 * lexical reading, as for text the parser rejects.
 */
export const MAX_PARSED_TEXT_LENGTH = 1024 * 1024;

/** libpg-query returns some errors (unterminated literals, empty input) as the result string instead of throwing. */
function fingerprint(text: string): string {
  const result = fingerprintSync(text);
  if (!FINGERPRINT.test(result)) throw new Error(result);
  return result;
}

let loading: Promise<PostgresParser> | undefined;

/** Loads the WASM module once per process; every later call gets the same parser. */
export function loadPostgresParser(): Promise<PostgresParser> {
  loading ??= loadModule().then(
    () => ({ parse: parseSync, fingerprint, normalize: normalizeSync }),
    (error: unknown) => {
      loading = undefined; // let a later call retry
      throw error;
    },
  );
  return loading;
}
