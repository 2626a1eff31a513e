import { type Setting, unquote } from "./lines.js";

/**
 * The YAML that configuration files use (Spring application.yml, Rails database.yml, TypeORM ormconfig.yml), read
 * into flat dotted settings with line numbers: block mappings, `- ` sequences (index segments), flow mappings
 * `{ a: 1 }`, block scalars `|` / `>`, comments, and anchors with `<<: *alias` merges (Rails' `default: &default`).
 * Values are kept as text; ERB (`<%= ... %>`) is left as written.
 */
export interface YamlResult {
  settings: Setting[];
  problems: Array<{ line: number; message: string }>;
}

interface Frame {
  indent: number;
  path: string[];
}

const KEY_LINE = /^(-\s+)?("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#'"{[][^:#]*?)\s*:(?:\s+(.*?))?\s*$/;

export function readYaml(text: string): YamlResult {
  const settings: Setting[] = [];
  const problems: YamlResult["problems"] = [];
  const anchors = new Map<string, string[]>();
  const lines = text.split(/\r?\n/);
  const stack: Frame[] = [{ indent: -1, path: [] }];
  const sequenceCounters = new Map<string, number>();

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    if (/^\s*(#|$)/.test(raw) || /^(---|\.\.\.)\s*$/.test(raw) || /^%/.test(raw)) continue;
    if (/^\t/.test(raw)) {
      problems.push({ line: lineNo, message: "tab used for indentation (YAML allows spaces only)" });
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    const content = stripComment(raw.trim());
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1]!;

    const match = KEY_LINE.exec(content);
    if (!match) {
      const item = /^-\s*(.*)$/.exec(content);
      if (item) {
        const index = nextIndex(sequenceCounters, parent.path);
        settings.push({ key: [...parent.path, String(index)].join("."), value: unquote(item[1]!), line: lineNo });
        continue;
      }
      problems.push({ line: lineNo, message: `not a "key: value" line: ${content.slice(0, 80)}` });
      continue;
    }
    const [, dash, rawKey, rawValue] = match;
    let path = parent.path;
    let keyIndent = indent;
    if (dash) {
      // "- key: value" opens a new mapping inside a sequence.
      path = [...parent.path, String(nextIndex(sequenceCounters, parent.path))];
      stack.push({ indent, path });
      keyIndent = indent + dash.length;
    }
    const key = unquote(rawKey!);
    const value = rawValue ?? "";

    if (key === "<<") {
      for (const alias of value.replace(/^\[|\]$/g, "").split(",")) {
        const source = anchors.get(alias.trim().replace(/^\*/, ""));
        if (!source) {
          problems.push({ line: lineNo, message: `merge of unknown alias ${alias.trim()}` });
          continue;
        }
        const prefix = source.join(".");
        for (const s of settings.filter((s) => s.key.startsWith(`${prefix}.`))) {
          settings.push({ key: [...path, s.key.slice(prefix.length + 1)].join("."), value: s.value, line: s.line });
        }
      }
      continue;
    }

    const childPath = [...path, key];
    const anchor = /^&(\S+)\s*(.*)$/.exec(value);
    const rest = anchor ? anchor[2]! : value;
    if (anchor) anchors.set(anchor[1]!, childPath);

    if (rest === "") {
      stack.push({ indent: keyIndent, path: childPath });
      continue;
    }
    if (/^[|>][-+]?\d*$/.test(rest)) {
      const block: string[] = [];
      while (i + 1 < lines.length && (lines[i + 1]!.trim() === "" || indentOf(lines[i + 1]!) > keyIndent)) {
        block.push(lines[++i]!.trim());
      }
      settings.push({ key: childPath.join("."), value: block.join(rest.startsWith(">") ? " " : "\n").trim(), line: lineNo });
      continue;
    }
    if (rest.startsWith("{") && rest.endsWith("}")) {
      for (const pair of splitFlow(rest.slice(1, -1))) {
        const kv = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(pair);
        if (kv) settings.push({ key: [...childPath, unquote(kv[1]!)].join("."), value: unquote(kv[2]!), line: lineNo });
      }
      continue;
    }
    if (rest.startsWith("*")) {
      const source = anchors.get(rest.slice(1));
      const prefix = source?.join(".");
      if (prefix !== undefined) {
        for (const s of settings.filter((s) => s.key === prefix || s.key.startsWith(`${prefix}.`))) {
          settings.push({ key: [childPath.join("."), s.key.slice(prefix.length + 1)].filter(Boolean).join("."), value: s.value, line: s.line });
        }
      }
      continue;
    }
    settings.push({ key: childPath.join("."), value: unquote(rest), line: lineNo });
  }
  return { settings, problems };
}

function nextIndex(counters: Map<string, number>, path: string[]): number {
  const key = path.join(".");
  const index = counters.get(key) ?? 0;
  counters.set(key, index + 1);
  return index;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Drops a " # comment" that is outside quotes. */
function stripComment(content: string): string {
  let quote: string | undefined;
  for (let i = 0; i < content.length; i++) {
    const c = content[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(content[i - 1]!))) {
      return content.slice(0, i).trimEnd();
    }
  }
  return content;
}

/** Splits "a: 1, b: 'x, y'" at top-level commas. */
function splitFlow(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.filter((p) => p.trim() !== "");
}

/** A file is YAML-shaped when it has several "key:" lines and no "key=" lines outside comments. */
export function looksLikeYaml(text: string): boolean {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "" && !/^\s*#/.test(l));
  if (lines.length === 0) return false;
  const keyLines = lines.filter((l) => /^\s*(-\s+)?[\w."'<>-]+\s*:(\s|$)/.test(l) || /^\s*-\s/.test(l)).length;
  return keyLines / lines.length >= 0.8;
}
