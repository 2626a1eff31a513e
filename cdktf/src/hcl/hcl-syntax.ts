/**
 * Terraform JSON (as cdktf synthesizes it) rendered as HCL native syntax. Strings stay templates ("a ${x} b"), a string
 * that is one whole interpolation becomes the bare expression, JSON documents held in strings (IAM policies, container
 * definitions) become jsonencode(...), nested objects become blocks except the map attributes named below.
 */

/** An HCL expression written as is (a reference, a function call). */
export class Expression {
  constructor(readonly text: string) {}
}

/** A JSON document an attribute holds as a string, written as jsonencode(...) of its HCL form. */
export class JsonDocument {
  constructor(readonly value: unknown) {}
}

/** Attributes whose value is a map (`tags = {...}`), not a nested block, in the resource types the stacks use. */
const MAP_ATTRIBUTES = new Set(["tags", "dimensions", "default"]);
const WHOLE_INTERPOLATION = /^\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function renderValue(value: unknown, indent: string): string {
  if (value instanceof Expression) return value.text;
  if (value instanceof JsonDocument) return `jsonencode(${renderValue(value.value, indent)})`;
  if (typeof value === "string") return renderString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((item) => typeof item !== "object" || item === null || item instanceof Expression)) {
      const inline = `[${value.map((item) => renderValue(item, indent)).join(", ")}]`;
      if (inline.length <= 100) return inline;
    }
    const inner = `${indent}  `;
    return `[\n${value.map((item) => `${inner}${renderValue(item, inner)},`).join("\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  const inner = `${indent}  `;
  const width = Math.max(...entries.map(([key]) => renderKey(key).length));
  return `{\n${entries.map(([key, item]) => `${inner}${renderKey(key).padEnd(width)} = ${renderValue(item, inner)}`).join("\n")}\n${indent}}`;
}

function renderKey(key: string): string {
  return IDENTIFIER.test(key) ? key : JSON.stringify(key);
}

function renderString(text: string): string {
  const whole = WHOLE_INTERPOLATION.exec(text);
  if (whole) return whole[1]!;
  // JSON string escapes are HCL's; only a literal %{ would start an HCL template directive.
  return JSON.stringify(text).replaceAll("%{", "%%{");
}

/** The body of a block: attributes first (aligned, as terraform fmt does), then nested blocks. */
export function renderBody(body: Record<string, unknown>, indent: string): string {
  const attributes: Array<[string, unknown]> = [];
  const blocks: Array<[string, Record<string, unknown>]> = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === "//" || value === undefined) continue;
    if (!MAP_ATTRIBUTES.has(key) && isBlock(value)) {
      for (const item of Array.isArray(value) ? value : [value]) blocks.push([key, item as Record<string, unknown>]);
    } else {
      attributes.push([key, value]);
    }
  }
  const width = Math.max(0, ...attributes.map(([key]) => key.length));
  const lines = attributes.map(([key, value]) => `${indent}${key.padEnd(width)} = ${renderValue(value, indent)}`);
  for (const [key, block] of blocks) {
    if (lines.length > 0) lines.push("");
    lines.push(`${indent}${key} {`, renderBody(block, `${indent}  `), `${indent}}`);
  }
  return lines.filter((line, i) => line !== "" || lines[i - 1] !== "").join("\n");
}

function isBlock(value: unknown): boolean {
  if (value instanceof Expression || value instanceof JsonDocument || value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.length > 0 && value.every((item) => item !== null && typeof item === "object" && !(item instanceof Expression) && !(item instanceof JsonDocument) && !Array.isArray(item));
  return true;
}

/** `keyword "label" "label" { body }` */
export function renderBlock(keyword: string, labels: string[], body: Record<string, unknown>): string {
  const head = [keyword, ...labels.map((label) => JSON.stringify(label))].join(" ");
  const inner = renderBody(body, "  ");
  return inner === "" ? `${head} {}\n` : `${head} {\n${inner}\n}\n`;
}
