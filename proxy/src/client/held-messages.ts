/**
 * Client messages that arrive while a connection is being borrowed, held until it comes: consecutive whole messages
 * of one read as one run (a view of that read, made once per run rather than once per message), and copies of the
 * pieces of a large message streamed through.
 */

/** Told of each held message in order; each call returns false to stop (the client closed, say). */
export interface HeldMessageSink {
  message(type: number, chunk: Buffer, start: number, end: number): boolean;
  piece(bytes: Buffer, last: boolean): boolean;
}

export class HeldMessages {
  private runs: Buffer[] = [];
  /** The runs that are pieces, and whether each ends its message. */
  private readonly pieces = new Map<Buffer, boolean>();
  /** The run being gathered: bytes [start, end) of chunk. */
  private chunk: Buffer | undefined;
  private start = 0;
  private end = 0;

  get empty(): boolean {
    return this.chunk === undefined && this.runs.length === 0;
  }

  /** Holds a whole message, bytes [start, end) of `chunk`. */
  message(chunk: Buffer, start: number, end: number): void {
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
    this.seal();
    const copy = Buffer.from(bytes);
    this.pieces.set(copy, last);
    this.runs.push(copy);
  }

  /** Hands everything held to `sink`, in order, and forgets it, including what a sink that stopped did not see. */
  release(sink: HeldMessageSink): void {
    this.seal();
    const runs = this.runs;
    this.runs = [];
    try {
      for (const run of runs) {
        // Pieces are rare (a large CopyData while borrowing): no lookup when there are none.
        const last = this.pieces.size === 0 ? undefined : this.pieces.get(run);
        if (last !== undefined) {
          if (!sink.piece(run, last)) return;
          continue;
        }
        for (let pos = 0; pos < run.length; ) {
          const end = pos + 1 + run.readUInt32BE(pos + 1);
          if (!sink.message(run[pos]!, run, pos, end)) return;
          pos = end;
        }
      }
    } finally {
      this.pieces.clear();
    }
  }

  clear(): void {
    this.runs = [];
    this.pieces.clear();
    this.chunk = undefined;
  }

  private seal(): void {
    const chunk = this.chunk;
    if (chunk === undefined) return;
    this.runs.push(this.start === 0 && this.end === chunk.length ? chunk : chunk.subarray(this.start, this.end));
    this.chunk = undefined;
  }
}
