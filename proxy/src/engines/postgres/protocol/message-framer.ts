/**
 * The framing loop for typed messages (everything after the startup message). It hands out each complete message as
 * a range of the chunk it arrived in (no view, no copy: a message that is only forwarded is written as part of that
 * chunk, and a view is made only for a message someone reads); only a message that straddles two reads is joined.
 * Large messages whose content the proxy never reads (DataRow, CopyData, ...) are streamed in pieces instead of being
 * held whole.
 */
import { Buffer } from "node:buffer";

export interface FrameSink {
  /** A whole message, 5-byte header included: bytes [start, end) of `chunk`. */
  message(type: number, chunk: Buffer, start: number, end: number): void;
  /** A piece of a large streamed message; `first` carries the header, `last` ends the message. */
  piece(type: number, bytes: Buffer, first: boolean, last: boolean): void;
  /** The peer broke framing (length below 4, or larger than allowed). Nothing more is delivered. */
  invalid(reason: string): void;
}

export interface FramerOptions {
  /** Types whose content the proxy reads: always delivered whole. */
  mustRead: (type: number) => boolean;
  /** Largest message accepted, header included. */
  maxMessageBytes: number;
  /** Read when a message begins without being complete, for `incompleteSince`. */
  clock?: { readonly now: number };
}

/** Messages up to this size are always delivered whole, even when the proxy does not read them. */
const STREAM_ABOVE_BYTES = 64 * 1024;
const HEADER_BYTES = 5;

export class MessageFramer {
  /** Bytes of an incomplete message kept from earlier reads, and how many the message needs in all. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingNeed = HEADER_BYTES;
  /** A streamed message in progress. */
  private streamType = 0;
  private streamRemaining = 0;
  private broken = false;
  /** When the message now incomplete began to arrive (by options.clock). */
  private startedAt = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly options: FramerOptions,
  ) {}

  /** True while the peer is in the middle of a message. */
  get midMessage(): boolean {
    return this.pendingBytes > 0 || this.streamRemaining > 0;
  }

  /** When the peer began the message it is in the middle of, by options.clock; undefined between messages. */
  get incompleteSince(): number | undefined {
    return this.midMessage ? this.startedAt : undefined;
  }

  push(chunk: Buffer): void {
    if (this.broken) return;
    let buf = chunk;
    if (this.streamRemaining > 0) {
      const n = Math.min(this.streamRemaining, buf.length);
      this.streamRemaining -= n;
      this.sink.piece(this.streamType, buf.subarray(0, n), false, this.streamRemaining === 0);
      if (n === buf.length) return;
      buf = buf.subarray(n);
    }
    if (this.pendingBytes > 0) {
      buf = this.joinPending(buf);
      if (buf.length === 0) return;
    }
    this.scan(buf);
  }

  /** Adds a read to the incomplete message; returns the buffer to scan, or an empty one while still incomplete. */
  private joinPending(chunk: Buffer): Buffer {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingNeed === HEADER_BYTES && this.pendingBytes >= HEADER_BYTES) {
      const head = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      this.pending = [head];
      const total = 1 + head.readUInt32BE(1);
      if (!this.checkLength(head[0]!, total)) return Buffer.alloc(0);
      this.pendingNeed = total;
      if (!this.options.mustRead(head[0]!) && total > STREAM_ABOVE_BYTES) {
        // Became a streamed message once its header was known.
        this.pending = [];
        this.pendingBytes = 0;
        this.pendingNeed = HEADER_BYTES;
        return this.startStream(head);
      }
    }
    if (this.pendingBytes < this.pendingNeed) return Buffer.alloc(0);
    const joined = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingNeed = HEADER_BYTES;
    return joined;
  }

  private scan(buf: Buffer): void {
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      if (end - pos < HEADER_BYTES) {
        this.startedAt = this.options.clock?.now ?? 0;
        this.keep(this.rest(buf, pos), HEADER_BYTES);
        return;
      }
      const type = buf[pos]!;
      const total = 1 + buf.readUInt32BE(pos + 1);
      if (!this.checkLength(type, total)) return;
      if (end - pos >= total) {
        this.sink.message(type, buf, pos, pos + total);
        pos += total;
        if (this.broken) return;
        continue;
      }
      this.startedAt = this.options.clock?.now ?? 0;
      if (!this.options.mustRead(type) && total > STREAM_ABOVE_BYTES) {
        this.startStream(buf.subarray(pos));
        return;
      }
      this.keep(this.rest(buf, pos), total);
      return;
    }
  }

  /**
   * The start of an incomplete message, bytes [pos, end) of `buf`: a view, unless `buf` is a large joined message
   * the rest would otherwise keep alive (a client that sends 50 MB and then a few bytes must not hold the 50 MB).
   */
  private rest(buf: Buffer, pos: number): Buffer {
    return buf.length > STREAM_ABOVE_BYTES && pos > buf.length / 2 ? Buffer.from(buf.subarray(pos)) : buf.subarray(pos);
  }

  private startStream(head: Buffer): Buffer {
    const type = head[0]!;
    const total = 1 + head.readUInt32BE(1);
    if (head.length >= total) {
      // The whole message is already here: deliver it and scan what follows.
      this.sink.message(type, head, 0, total);
      return head.subarray(total);
    }
    this.streamType = type;
    this.streamRemaining = total - head.length;
    this.sink.piece(type, head, true, false);
    return Buffer.alloc(0);
  }

  private keep(part: Buffer, need: number): void {
    this.pending = [part];
    this.pendingBytes = part.length;
    this.pendingNeed = need;
  }

  private checkLength(type: number, total: number): boolean {
    if (total < HEADER_BYTES) {
      this.fail(`message type 0x${type.toString(16)} has length ${total - 1}, below the minimum of 4`);
      return false;
    }
    if (total > this.options.maxMessageBytes) {
      this.fail(`message type 0x${type.toString(16)} claims ${total} bytes, above the limit of ${this.options.maxMessageBytes}`);
      return false;
    }
    return true;
  }

  private fail(reason: string): void {
    this.broken = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.sink.invalid(reason);
  }
}
