export interface StatementFingerprint {
  fingerprint: string;
  normalized: string;
}

/**
 * Memoizes an expensive per-statement function by exact text. Logs repeat the same pinning statements over and over;
 * the bound keeps memory flat on logs with endless distinct texts (the cache is simply dropped when full).
 */
export function memoizeByText<T>(compute: (sql: string) => T, capacity = 10_000): (sql: string) => T {
  let cache = new Map<string, T>();
  return (sql) => {
    const hit = cache.get(sql);
    if (hit !== undefined) return hit;
    const value = compute(sql);
    if (cache.size >= capacity) cache = new Map();
    cache.set(sql, value);
    return value;
  };
}
