import type { LineIndex, Setting } from "./lines.js";

/**
 * Settings written in source code: keyword arguments (`pool_recycle=3600`), dictionary and object keys
 * (`"CONN_MAX_AGE": 600`, `idleTimeoutMillis: 0`), Ruby / PHP hash arrows (`PDO::ATTR_PERSISTENT => true`). The
 * value is the literal that follows (string, number, boolean, None / null / nil) or, for anything else, the
 * expression text up to the next comma, bracket or line end.
 */
export function findCodeSettings(text: string, lines: Pick<LineIndex, "lineAt">, name: string): Setting[] {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(
    `(?<![\\w.$])["']?${escaped}["']?\\s*(?:=>|:(?!:)|=(?!=))\\s*("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|\`[^\`]*\`|[^,;)}\\]\\n]*)`,
    "g",
  );
  const settings: Setting[] = [];
  for (const match of text.matchAll(pattern)) {
    settings.push({ key: name, value: match[1]!.trim(), line: lines.lineAt(match.index) });
  }
  return settings;
}

/** Number from a code literal ("1_800", "30000", "600.0"); undefined for anything else. */
export function numberValue(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const cleaned = value.trim().replace(/_/g, "");
  if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return undefined;
  return Number(cleaned);
}

/** The literal is None / null / nil / undefined. */
export function isNullLiteral(value: string | undefined): boolean {
  return value !== undefined && /^(None|null|nil|undefined)$/.test(value.trim());
}

/** String literal contents, or undefined when the value is not a string literal. */
export function stringLiteral(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const quote = v[0];
  if ((quote === '"' || quote === "'" || quote === "`") && v.endsWith(quote) && v.length >= 2) return v.slice(1, -1);
  return undefined;
}

/** Durations as configs write them: "30m", "1800s", "PT30M", "1h30m", plain numbers in `defaultUnit`. Seconds. */
export function durationSeconds(value: string | undefined, defaultUnit: "ms" | "s"): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().replace(/^["']|["']$/g, "");
  const plain = numberValue(v);
  if (plain !== undefined) return defaultUnit === "ms" ? plain / 1000 : plain;
  const iso = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(v);
  if (iso && v.length > 2) return Number(iso[1] ?? 0) * 3600 + Number(iso[2] ?? 0) * 60 + Number(iso[3] ?? 0);
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86400 };
  let total = 0;
  let matched = "";
  for (const part of v.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)/gi)) {
    total += Number(part[1]) * units[part[2]!.toLowerCase()]!;
    matched += part[0];
  }
  return matched.replace(/\s/g, "") === v.replace(/\s/g, "") && matched !== "" ? total : undefined;
}

/**
 * The `{ ... }` object literal written after `key:` (JS / TS config objects such as `pool: { min: 0 }`), with its
 * offset in the text, or undefined. Braces inside strings are not counted.
 */
export function objectAfterKey(text: string, key: string): { body: string; offset: number } | undefined {
  const start = new RegExp(`(?<![\\w.$])["']?${key}["']?\\s*:\\s*\\{`).exec(text);
  if (!start) return undefined;
  const open = start.index + start[0].length - 1;
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return { body: text.slice(open, i + 1), offset: open };
  }
  return undefined;
}
