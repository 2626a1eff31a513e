import { isAscii } from "node:buffer";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { InputError } from "./input-error.js";
import type { LogInput } from "./log-input.js";

/** A batch of complete lines (without terminators), numbered from firstLine (1-based). */
export interface LineBatch {
  lines: string[];
  firstLine: number;
}

export interface LineReaderEvents {
  /** Compressed (as read) bytes so far, for progress. */
  onBytes?(bytesRead: number): void;
  /** Something went wrong after lines were accepted (a truncated gzip stream): reported, not thrown. */
  onProblem?(message: string, line: number): void;
}

export interface LineReaderResult {
  compressed: boolean;
  bytes: number;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Reads an input as batches of lines, one batch per chunk read. Memory holds one chunk plus the unfinished last line.
 */
export async function* readLines(
  input: LogInput,
  events: LineReaderEvents = {},
  result: LineReaderResult = { compressed: false, bytes: 0 },
): AsyncGenerator<LineBatch> {
  const raw = input.open()[Symbol.asyncIterator]();
  const head = await raw.next();
  if (head.done || head.value.byteLength === 0) throw new InputError("the file is empty", { file: input.name });
  const first = head.value;
  result.compressed = first[0] === GZIP_MAGIC_0 && first[1] === GZIP_MAGIC_1;

  let bytesRead = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    let chunk: IteratorResult<Uint8Array> = { done: false, value: first };
    while (!chunk.done) {
      bytesRead += chunk.value.byteLength;
      result.bytes = bytesRead;
      events.onBytes?.(bytesRead);
      yield chunk.value;
      chunk = await raw.next();
    }
  }
  const text: AsyncIterable<Uint8Array> = result.compressed
    ? Readable.from(counted(), { objectMode: false }).pipe(createGunzip())
    : counted();

  const split = new LineSplitter();
  let lineNo = 1;
  let checkedForBinary = false;
  try {
    for await (const chunk of text) {
      const bytes = asBuffer(chunk as Uint8Array);
      if (!checkedForBinary) {
        checkedForBinary = true;
        if (looksBinary(bytes)) {
          throw new InputError(
            result.compressed
              ? "the decompressed data is binary, not a text log"
              : "the file holds binary data, not a text log",
            { file: input.name },
          );
        }
      }
      const lines = split.chunk(bytes);
      if (lines.length > 0) {
        yield { lines, firstLine: lineNo };
        lineNo += lines.length;
      }
    }
  } catch (error) {
    if (error instanceof InputError || !result.compressed) throw error;
    // A truncated or corrupt gzip stream: keep every line already read and say where it stopped.
    events.onProblem?.(`the compressed data ends early or is corrupt (${(error as Error).message})`, lineNo);
  }
  const last = split.end();
  if (last !== undefined) yield { lines: [last], firstLine: lineNo };
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;

/**
 * Cuts bytes into lines at newline bytes (a UTF-8 multi-byte sequence never contains one) and decodes each line on
 * its own. A line is thus a string of its own, not a slice of a chunk-sized string: whatever keeps a line (a cache
 * key, a session's name) keeps those few bytes alive, never the megabyte around them. Chunks of pure ASCII, nearly
 * every log, decode as latin1, a plain copy.
 */
class LineSplitter {
  /** The start of an unfinished line: the tails of earlier chunks. */
  private pending: Buffer[] = [];

  chunk(bytes: Buffer): string[] {
    let end = bytes.indexOf(NEWLINE);
    if (end === -1) {
      this.pending.push(bytes);
      return [];
    }
    const ascii = isAscii(bytes);
    const lines: string[] = [];
    let start = 0;
    if (this.pending.length > 0) {
      this.pending.push(bytes.subarray(0, end));
      lines.push(this.takePending());
      start = end + 1;
      end = bytes.indexOf(NEWLINE, start);
    }
    while (end !== -1) {
      lines.push(decodeLine(bytes, start, end, ascii));
      start = end + 1;
      end = bytes.indexOf(NEWLINE, start);
    }
    if (start < bytes.length) this.pending.push(bytes.subarray(start));
    return lines;
  }

  /** The last line when the input does not end with a newline. */
  end(): string | undefined {
    return this.pending.length > 0 ? this.takePending() : undefined;
  }

  private takePending(): string {
    const line = Buffer.concat(this.pending);
    this.pending = [];
    return decodeLine(line, 0, line.length, isAscii(line));
  }
}

function decodeLine(bytes: Buffer, start: number, end: number, ascii: boolean): string {
  const stop = end > start && bytes[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
  return bytes.toString(ascii ? "latin1" : "utf8", start, stop);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Text logs have no NUL bytes and few control characters; look at the first 4 KB only. */
function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.byteLength, 4096);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  return control > n / 10;
}
