// Imported rather than global: the global Buffer is a getter, read on every use.
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";

/** Up to this many bytes in several parts are joined into one buffer rather than written as a vector. */
const JOIN_BELOW_BYTES = 16 * 1024;
/** Stands in the slots of parts already written. */
const EMPTY = Buffer.alloc(0);

/**
 * Writes what one read produced with one system call. A few small parts (a renamed Bind and the Execute and Sync
 * after it) are copied into one buffer: cheaper than Node's corked writev path, which allocates per part.
 */
function writeParts(socket: Socket, parts: readonly Buffer[], count: number): void {
  if (count === 1) {
    socket.write(parts[0]!);
    return;
  }
  let total = 0;
  for (let i = 0; i < count; i++) total += parts[i]!.length;
  if (total <= JOIN_BELOW_BYTES) {
    const joined = Buffer.allocUnsafe(total);
    let offset = 0;
    for (let i = 0; i < count; i++) offset += parts[i]!.copy(joined, offset);
    socket.write(joined);
    return;
  }
  socket.cork();
  for (let i = 0; i < count; i++) socket.write(parts[i]!);
  socket.uncork();
}

/**
 * Gathers the messages to write after one read. Consecutive ranges of one buffer (consecutive messages of the same
 * read) merge into one, so a read whose messages all pass through untouched is written as the original chunk, without
 * so much as a new view of it.
 */
export class OutputBatch {
  /** Sealed runs: parts[0, count). The array is reused, its stale tail overwritten as it fills again. */
  private readonly parts: Buffer[] = [];
  private count = 0;
  /** The run being gathered: bytes [start, end) of `run`. */
  private run: Buffer | undefined;
  private start = 0;
  private end = 0;

  /** Adds bytes [start, end) of `bytes`. */
  push(bytes: Buffer, start = 0, end = bytes.length): void {
    if (end === start) return;
    // Compared by identity, not by the memory behind it: reading `.buffer` costs a call into V8's runtime.
    if (this.run === bytes && this.end === start) {
      this.end = end;
      return;
    }
    this.seal();
    this.run = bytes;
    this.start = start;
    this.end = end;
  }

  get empty(): boolean {
    return this.run === undefined && this.count === 0;
  }

  /** Writes everything gathered since the last write, in order, with one system call. */
  writeTo(socket: Socket): void {
    this.seal();
    writeParts(socket, this.parts, this.count);
    this.clear();
  }

  /** Drops everything gathered (its destination is gone). */
  clear(): void {
    this.run = undefined;
    // The parts written are dropped too: a batch must not keep a client's bytes alive until it writes again.
    for (let i = 0; i < this.count; i++) this.parts[i] = EMPTY;
    this.count = 0;
  }

  private seal(): void {
    const run = this.run;
    if (run === undefined) return;
    // A run that is a whole buffer (a read whose messages all pass through) is written as it is.
    this.parts[this.count++] = this.start === 0 && this.end === run.length ? run : run.subarray(this.start, this.end);
    this.run = undefined;
  }
}
