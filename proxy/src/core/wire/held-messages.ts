/**
 * Client messages that arrive while a connection is being borrowed, held until it comes: consecutive whole messages
 * of one read as one run (a view of that read, made once per run rather than once per message), and copies of the
 * pieces of a large message streamed through.
 */
import { Buffer } from "node:buffer";

/** Told of each held message in order; each call returns false to stop (the client closed, say). */
export interface HeldMessageSink {
  message(type: number, chunk: Buffer, start: number, end: number): boolean;
  piece(bytes: Buffer, last: boolean): boolean;
}

/** What a held run is: whole messages, or a copied piece of a streamed message (and whether it ends it). */
const MESSAGES = 0;
const PIECE = 1;
const LAST_PIECE = 2;
/** Stands in the slots of runs already released. */
const EMPTY = Buffer.alloc(0);

export class HeldMessages {
  /** Runs held: runs[0, count), each with its kind. The arrays are reused: most borrows under load hold something. */
  private readonly runs: Buffer[] = [];
  private readonly kinds: number[] = [];
  private count = 0;
  /** The run being gathered: bytes [start, end) of chunk. */
  private chunk: Buffer | undefined;
  private start = 0;
  private end = 0;
  /** Bytes held in all. */
  private held = 0;

  get empty(): boolean {
    return this.chunk === undefined && this.count === 0;
  }

  get bytes(): number {
    return this.held;
  }

  /** Holds a whole message, bytes [start, end) of `chunk`. */
  message(chunk: Buffer, start: number, end: number): void {
    this.held += end - start;
    if (this.chunk === chunk && this.end === start) {
      this.end = end;
      return;
    }
    this.seal();
    this.chunk = chunk;
    this.start = start;
    this.end = end;
  }

  /** Holds a piece of a streamed message (a copy: the read it came in is not kept). */
  piece(bytes: Buffer, last: boolean): void {
    this.held += bytes.length;
    this.seal();
    this.add(Buffer.from(bytes), last ? LAST_PIECE : PIECE);
  }

  /**
   * Hands everything held to `sink`, in order, and forgets it, including what a sink that stopped did not see. The
   * sink must not hold new messages meanwhile (a sink runs once a connection is borrowed, when nothing is held).
   */
  release(sink: HeldMessageSink): void {
    this.seal();
    const count = this.count;
    try {
      for (let i = 0; i < count; i++) {
        const run = this.runs[i]!;
        const kind = this.kinds[i];
        if (kind !== MESSAGES) {
          if (!sink.piece(run, kind === LAST_PIECE)) return;
          continue;
        }
        for (let pos = 0; pos < run.length; ) {
          const end = pos + 1 + run.readUInt32BE(pos + 1);
          if (!sink.message(run[pos]!, run, pos, end)) return;
          pos = end;
        }
      }
    } finally {
      this.forget(count);
    }
  }

  clear(): void {
    this.chunk = undefined;
    this.forget(this.count);
  }

  private add(run: Buffer, kind: number): void {
    this.runs[this.count] = run;
    this.kinds[this.count] = kind;
    this.count++;
  }

  /** Drops the first `count` runs: a client's bytes are not kept alive until it next waits for a connection. */
  private forget(count: number): void {
    for (let i = 0; i < count; i++) this.runs[i] = EMPTY;
    this.count = 0;
    this.held = 0;
  }

  private seal(): void {
    const chunk = this.chunk;
    if (chunk === undefined) return;
    this.add(this.start === 0 && this.end === chunk.length ? chunk : chunk.subarray(this.start, this.end), MESSAGES);
    this.chunk = undefined;
  }
}
