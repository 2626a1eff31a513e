import type { Socket } from "node:net";

/** Up to this many bytes in several parts are joined into one buffer rather than written as a vector. */
const JOIN_BELOW_BYTES = 16 * 1024;

/**
 * Writes what one read produced with one system call. A few small parts (a renamed Bind and the Execute and Sync
 * after it) are copied into one buffer: cheaper than Node's corked writev path, which allocates per part.
 */
export function writeParts(socket: Socket, parts: readonly Buffer[]): void {
  if (parts.length === 1) {
    socket.write(parts[0]!);
    return;
  }
  let total = 0;
  for (const part of parts) total += part.length;
  if (total <= JOIN_BELOW_BYTES) {
    socket.write(Buffer.concat(parts, total));
    return;
  }
  socket.cork();
  for (const part of parts) socket.write(part);
  socket.uncork();
}

/**
 * Gathers the messages to write after one read. Views that follow each other in memory (consecutive messages of the
 * same read) merge into one, so a read whose messages all pass through untouched is written as the original chunk.
 */
export class OutputBatch {
  private readonly parts: Buffer[] = [];
  /** The run being gathered: its first view, and where it ends now in that view's memory. */
  private first: Buffer | undefined;
  private memory: ArrayBufferLike | undefined;
  private end = 0;

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.memory === bytes.buffer && this.end === bytes.byteOffset) {
      this.end += bytes.length;
      return;
    }
    this.seal();
    this.first = bytes;
    this.memory = bytes.buffer;
    this.end = bytes.byteOffset + bytes.length;
  }

  get empty(): boolean {
    return this.first === undefined && this.parts.length === 0;
  }

  /** Everything gathered since the last take, in order. */
  take(): Buffer[] {
    this.seal();
    return this.parts.splice(0);
  }

  private seal(): void {
    const first = this.first;
    if (first === undefined) return;
    // A run of one view is written as that view: no new Buffer object.
    const start = first.byteOffset;
    this.parts.push(this.end === start + first.length ? first : Buffer.from(this.memory!, start, this.end - start));
    this.first = undefined;
    this.memory = undefined;
  }
}
