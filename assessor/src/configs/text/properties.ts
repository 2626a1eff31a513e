import type { Setting } from "./lines.js";

/**
 * Java .properties (java.util.Properties syntax): key=value, key: value or key value; # and ! comments; a trailing
 * backslash continues the value on the next line.
 */
export function readProperties(text: string): Setting[] {
  const settings: Setting[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i]!.trimStart();
    if (logical === "" || logical.startsWith("#") || logical.startsWith("!")) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.trimStart();
    }
    const match = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(logical);
    if (!match) {
      settings.push({ key: logical.replace(/\\(.)/g, "$1"), value: "", line: startLine });
      continue;
    }
    settings.push({ key: match[1]!.replace(/\\(.)/g, "$1"), value: match[2]!.replace(/\\(.)/g, "$1").trim(), line: startLine });
  }
  return settings;
}

/** A file is properties-shaped when most of its non-comment lines are key=value / key: value. */
export function looksLikeProperties(text: string): boolean {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "" && !/^\s*[#!]/.test(l));
  if (lines.length === 0) return false;
  return lines.filter((l) => /^\s*[\w.\-[\]]+\s*[=:]/.test(l)).length / lines.length >= 0.8;
}
