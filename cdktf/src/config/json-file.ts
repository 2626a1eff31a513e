import { readFileSync } from "node:fs";
import type { ConfigProblem } from "./field-reader.js";

export type JsonFileResult = { ok: true; value: unknown } | { ok: false; problem: ConfigProblem };

/** Reads and parses a JSON file; a missing file or a syntax error becomes a problem naming the file and line. */
export function readJsonFile(file: string): JsonFileResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === "ENOENT" ? "file not found" : `cannot read the file (${code ?? String(error)})`;
    return { ok: false, problem: { file, field: "", message } };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: { file, field: "", message: `not valid JSON: ${locate((error as Error).message, text)}` } };
  }
}

/** Node 20 reports JSON syntax errors by character offset; people look for a line and column. */
function locate(message: string, text: string): string {
  const match = /position (\d+)/.exec(message);
  if (!match) return message;
  const offset = Number(match[1]);
  const before = text.slice(0, offset).split("\n");
  const line = before.length;
  const column = (before.at(-1)?.length ?? 0) + 1;
  return `${message.replace(/ in JSON at position \d+.*$/, "")} at line ${line}, column ${column}`;
}
