import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
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
 * Reads an input as batches of lines. Works on whole chunks: one decode per chunk and indexOf for line ends, so the
 * cost per line is a slice. Memory holds one chunk plus the unfinished last line.
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

  const decoder = new StringDecoder("utf8");
  let pending = "";
  let lineNo = 1;
  let checkedForBinary = false;
  try {
    for await (const chunk of text) {
      const bytes = chunk as Uint8Array;
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
      const textChunk = pending + decoder.write(bytes as Buffer);
      const lines: string[] = [];
      let start = 0;
      let end = textChunk.indexOf("\n");
      while (end !== -1) {
        lines.push(lineAt(textChunk, start, end));
        start = end + 1;
        end = textChunk.indexOf("\n", start);
      }
      pending = textChunk.slice(start);
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
  const last = pending + decoder.end();
  if (last.length > 0) yield { lines: [stripCr(last)], firstLine: lineNo };
}

function lineAt(text: string, start: number, end: number): string {
  return text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
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
