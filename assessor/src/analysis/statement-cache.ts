export interface StatementFingerprint {
  fingerprint: string;
  normalized: string;
}

/** Texts longer than this are computed every time: they are almost always unique, and each would pin its size. */
const MAX_MEMO_TEXT_LENGTH = 16 * 1024;
/** The summed length of the texts remembered: 10,000 texts of 16 KB would be 320 MB of keys. */
const MAX_MEMO_CHARS = 8 * 1024 * 1024;

/**
 * Memoizes an expensive per-statement function by exact text. Logs repeat the same pinning statements over and over;
 * the bounds (entries, and characters of text) keep memory flat on logs with endless distinct or huge texts (the
 * cache is simply dropped when full).
 */
export function memoizeByText<T>(compute: (sql: string) => T, capacity = 10_000): (sql: string) => T {
  let cache = new Map<string, T>();
  let chars = 0;
  return (sql) => {
    const hit = cache.get(sql);
    if (hit !== undefined) return hit;
    const value = compute(sql);
    if (sql.length > MAX_MEMO_TEXT_LENGTH) return value;
    if (cache.size >= capacity || chars + sql.length > MAX_MEMO_CHARS) {
      cache = new Map();
      chars = 0;
    }
    cache.set(sql, value);
    chars += sql.length;
    return value;
  };
}

/** The longest statement text a report keeps (per session and per fingerprint); the rest is cut, saying how long it was. */
const MAX_REPORTED_LENGTH = 16 * 1024;

/** The fingerprint with its normalized text cut to what a report keeps: a report must not hold a 50 MB statement. */
export function clipNormalized(print: StatementFingerprint): StatementFingerprint {
  const { normalized } = print;
  if (normalized.length <= MAX_REPORTED_LENGTH) return print;
  return Object.freeze({
    fingerprint: print.fingerprint,
    normalized: `${normalized.slice(0, MAX_REPORTED_LENGTH)}... (${normalized.length} characters in all)`,
  });
}
