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
  /** Bytes of text (decompressed) in each chunk as it is decoded; may throw to stop reading. */
  onText?(bytes: number): void;
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
 * Reads an input as batches of lines, one batch per chunk read. Memory holds one chunk plus the unfinished last line,
 * and a chunk is let go as soon as its lines are decoded: it dies young instead of piling up in the old generation
 * while its lines are analysed.
 */
export async function* readLines(
  input: LogInput,
  events: LineReaderEvents = {},
  result: LineReaderResult = { compressed: false, bytes: 0 },
): AsyncGenerator<LineBatch> {
  const raw = await countedChunks(input, events, result);
  const chunks = result.compressed ? gunzipped(raw)[Symbol.asyncIterator]() : raw;
  const split = new LineSplitter();
  let checkedForBinary = false;
  const nextLines = async (): Promise<string[] | undefined> => {
    const next = await chunks.next();
    if (next.done) return undefined;
    const bytes = asBuffer(next.value as Uint8Array);
    events.onText?.(bytes.byteLength);
    if (!checkedForBinary) {
      checkedForBinary = true;
      if (looksBinary(bytes)) {
        throw new InputError(
          result.compressed ? "the decompressed data is binary, not a text log" : "the file holds binary data, not a text log",
          { file: input.name },
        );
      }
    }
    return split.chunk(bytes);
  };

  let lineNo = 1;
  try {
    for (let lines = await nextLines(); lines !== undefined; lines = await nextLines()) {
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

/**
 * The input's chunks as read (compressed or not), counted for progress. Refuses an empty input; tells gzip by its
 * magic bytes.
 */
async function countedChunks(
  input: LogInput,
  events: LineReaderEvents,
  result: LineReaderResult,
): Promise<CountedChunks> {
  const raw = input.open()[Symbol.asyncIterator]();
  const head = await raw.next();
  if (head.done || head.value.byteLength === 0) throw new InputError("the file is empty", { file: input.name });
  result.compressed = head.value[0] === GZIP_MAGIC_0 && head.value[1] === GZIP_MAGIC_1;
  return new CountedChunks(raw, head.value, (bytes) => {
    result.bytes += bytes;
    events.onBytes?.(result.bytes);
  });
}

/** Passes chunks on without keeping any (a generator would hold the last one while suspended). */
class CountedChunks implements AsyncIterableIterator<Uint8Array> {
  constructor(
    private readonly raw: AsyncIterator<Uint8Array>,
    private first: Uint8Array | undefined,
    private readonly onChunk: (bytes: number) => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    let chunk = this.first;
    this.first = undefined;
    if (chunk === undefined) {
      const next = await this.raw.next();
      if (next.done) return next;
      chunk = next.value;
    }
    this.onChunk(chunk.byteLength);
    return { done: false, value: chunk };
  }
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
    // A copy of the unfinished line, so that the chunk is not kept for it.
    if (start < bytes.length) this.pending.push(Buffer.from(bytes.subarray(start)));
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

/**
 * Text logs have few control bytes; random or compressed data has about one byte in nine below the space that is not
 * whitespace. A NUL alone does not make a log binary: MariaDB writes statements as received, a client's stray NUL
 * included. Looks at the first 4 KB only.
 */
function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.byteLength, 4096);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  return control > n / 20;
}

/**
 * Inflates a byte stream. pipe() does not pass the source's errors on, so a failing source (a cut-off upload, a read
 * error) is forwarded by hand: it then ends the iteration like a truncated stream instead of going unhandled.
 */
function gunzipped(raw: AsyncIterable<Uint8Array>): NodeJS.ReadableStream {
  const source = Readable.from(raw, { objectMode: false });
  const gunzip = createGunzip();
  source.on("error", (error) => gunzip.destroy(error));
  return source.pipe(gunzip);
}
