/** 1-based line numbers for offsets into a text, computed once per text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  lineAt(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }
}

/** A setting as found in a file: the key as written, its value without quotes, and where. */
export interface Setting {
  key: string;
  value: string;
  line: number;
}

/** The last occurrence of a key (later settings override earlier ones in every format read here). */
export function lastSetting(settings: readonly Setting[], matches: (key: string) => boolean): Setting | undefined {
  for (let i = settings.length - 1; i >= 0; i--) if (matches(settings[i]!.key)) return settings[i];
  return undefined;
}

/** Spring relaxed binding and friends: "maximum-pool-size", "maximumPoolSize" and "MAXIMUM_POOL_SIZE" are one key. */
export function canonicalKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

/** True for a (dotted) key whose last segment is `name` under relaxed binding. */
export function keyEndsWith(key: string, name: string): boolean {
  const last = key.split(".").pop() ?? key;
  return canonicalKey(last) === canonicalKey(name);
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && /^(true|yes|on|1)$/i.test(value.trim());
}

export function isFalsy(value: string | undefined): boolean {
  return value !== undefined && /^(false|no|off|0)$/i.test(value.trim());
}

export function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'" || v[0] === "`") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}
