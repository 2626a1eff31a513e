import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { InputError } from "./input-error.js";

/** One log to read: a file on disk, an upload, a test's buffer. */
export interface LogInput {
  /** Shown in the report and in every error message. */
  name: string;
  /** The raw bytes, possibly gzip-compressed (detected by magic bytes). Called once. */
  open(): AsyncIterable<Uint8Array>;
  /** Size in bytes when known, for progress. */
  size?: number;
}

export async function fileInput(path: string, name: string = path): Promise<LogInput> {
  const info = await stat(path);
  if (info.isDirectory()) throw new InputError("is a directory, not a log file", { file: name });
  return { name, size: info.size, open: () => createReadStream(path, { highWaterMark: 1 << 16 }) };
}

export function bufferInput(name: string, data: Uint8Array | string): LogInput {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  return {
    name,
    size: bytes.byteLength,
    async *open() {
      yield bytes;
    },
  };
}
