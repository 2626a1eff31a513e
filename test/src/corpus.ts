import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The external corpus of real logs, beside the repository (never copied into it): ../shared/corpus/real-logs. */
export const REAL_LOGS = resolve(fileURLToPath(import.meta.url), "../../../../shared/corpus/real-logs");

/** A file of the real-log corpus; throws naming where it looked when the corpus is not there. */
export function realLog(path: string): string {
  const file = join(REAL_LOGS, path);
  if (!existsSync(file)) {
    throw new Error(`real-log corpus file ${path} not found at ${file}: the corpus lives in ../shared/corpus/real-logs`);
  }
  return file;
}
