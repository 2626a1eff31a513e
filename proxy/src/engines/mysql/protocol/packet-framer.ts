/**
 * The framing loop for MySQL packets: a 3-byte little-endian payload length, a sequence id, the payload. It hands out
 * each physical packet as a range of the chunk it arrived in (no copy); only a packet that straddles two reads is
 * joined. A payload of exactly 16 MB - 1 bytes continues in the next packet (the "16 MB split"): those packets are
 * delivered one by one, flagged `continued`, never joined into one logical packet, so memory stays at one physical
 * packet at most. Packets above `streamAboveBytes` that the owner does not need whole (rows, LOCAL INFILE data,
 * long data) are streamed in pieces as they arrive. Sequence ids are checked; the logical size is bounded.
 */
import { Buffer } from "node:buffer";
import { MAX_PAYLOAD } from "./constants.js";
import { ErrorNumber, ProtocolError } from "./protocol-error.js";

export interface PacketSink {
  /**
   * A whole physical packet, 4-byte header included: bytes [start, end) of `chunk`. `continued`: it continues a
   * logical packet split at 16 MB, so its first payload byte is not a header.
   */
  packet(sequenceId: number, chunk: Buffer, start: number, end: number, continued: boolean): void;
  /** A piece of a large streamed packet; the `first` piece starts with the 4-byte header, `last` ends the packet. */
  piece(sequenceId: number, bytes: Buffer, first: boolean, last: boolean, continued: boolean): void;
  /** The peer broke framing (sequence out of order, or a packet larger than allowed). Nothing more is delivered. */
  invalid(error: ProtocolError): void;
}

export interface PacketFramerOptions {
  /** Largest logical payload accepted, summed over a 16 MB split (the server's max_allowed_packet). */
  maxPayloadBytes: number;
  /**
   * Whether a large packet (above `streamAboveBytes`) that starts a logical packet with `firstByte` and has `length`
   * payload bytes must be delivered whole; the others stream. Absent: every large packet streams.
   */
  mustRead?: (firstByte: number, length: number) => boolean;
  /** Packets up to this size (header included) are always delivered whole. */
  streamAboveBytes?: number;
  /** Check sequence ids (each packet one more than the last, from what `expectSequence` set). Default true. */
  checkSequence?: boolean;
}

const HEADER_BYTES = 4;
const DEFAULT_STREAM_ABOVE = 64 * 1024;

export class PacketFramer {
  /** Bytes of an incomplete packet kept from earlier reads, and how many must be here before it is looked at again. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingNeed = HEADER_BYTES;
  /** A streamed packet in progress. */
  private streamSequence = 0;
  private streamContinued = false;
  private streamRemaining = 0;
  private broken = false;
  /** The sequence id the next packet must carry. */
  private nextSequence = 0;
  /** The last packet had a full 16 MB - 1 payload: the next one continues its logical packet. */
  private continuing = false;
  /** Payload bytes so far of the logical packet being split. */
  private logicalBytes = 0;
  private readonly streamAbove: number;

  constructor(
    private readonly sink: PacketSink,
    private readonly options: PacketFramerOptions,
  ) {
    this.streamAbove = options.streamAboveBytes ?? DEFAULT_STREAM_ABOVE;
  }

  /** Sets the sequence id the next packet must carry: 0 before a new command, the last sent + 1 after writing. */
  expectSequence(sequenceId: number): void {
    this.nextSequence = sequenceId & 0xff;
  }

  /** The sequence id the next packet must carry. */
  get expectedSequence(): number {
    return this.nextSequence;
  }

  /** True while the peer is in the middle of a packet, or of a logical packet split at 16 MB. */
  get midPacket(): boolean {
    return this.pendingBytes > 0 || this.streamRemaining > 0 || this.continuing;
  }

  push(chunk: Buffer): void {
    if (this.broken) return;
    let buf = chunk;
    if (this.streamRemaining > 0) {
      const n = Math.min(this.streamRemaining, buf.length);
      this.streamRemaining -= n;
      this.sink.piece(this.streamSequence, buf.subarray(0, n), false, this.streamRemaining === 0, this.streamContinued);
      if (n === buf.length || this.broken) return;
      buf = buf.subarray(n);
    }
    if (this.pendingBytes > 0) {
      this.pending.push(buf);
      this.pendingBytes += buf.length;
      if (this.pendingBytes < this.pendingNeed) return;
      buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.scan(buf);
  }

  private scan(buf: Buffer): void {
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      const available = end - pos;
      if (available < HEADER_BYTES) {
        this.keep(buf, pos, HEADER_BYTES);
        return;
      }
      const length = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16);
      const sequenceId = buf[pos + 3]!;
      const problem = this.check(sequenceId, length);
      if (problem !== undefined) {
        this.fail(problem);
        return;
      }
      const total = HEADER_BYTES + length;
      if (available >= total) {
        const continued = this.advance(sequenceId, length);
        this.sink.packet(sequenceId, buf, pos, pos + total, continued);
        if (this.broken) return;
        pos += total;
        continue;
      }
      if (total > this.streamAbove) {
        // A continuation's first byte is data, never a header: it always streams.
        const mustRead = this.options.mustRead;
        if (!this.continuing && mustRead !== undefined && available === HEADER_BYTES) {
          this.keep(buf, pos, HEADER_BYTES + 1);
          return;
        }
        if (this.continuing || mustRead === undefined || !mustRead(buf[pos + 4]!, length)) {
          this.startStream(buf, pos, sequenceId, length);
          return;
        }
      }
      this.keep(buf, pos, total);
      return;
    }
  }

  /** What is wrong with a packet header, checked before any of the packet is held. */
  private check(sequenceId: number, length: number): ProtocolError | undefined {
    if (this.options.checkSequence !== false && sequenceId !== this.nextSequence) {
      return new ProtocolError(
        `packet sequence id ${sequenceId}, expected ${this.nextSequence}: packets out of order`,
        ErrorNumber.NET_PACKETS_OUT_OF_ORDER,
        "08S01",
      );
    }
    const logical = (this.continuing ? this.logicalBytes : 0) + length;
    if (logical > this.options.maxPayloadBytes) {
      return new ProtocolError(
        `packet of ${logical} payload bytes, above the limit of ${this.options.maxPayloadBytes} (max_allowed_packet)`,
        ErrorNumber.NET_PACKET_TOO_LARGE,
        "08S01",
      );
    }
    return undefined;
  }

  /** Moves past a packet's header; returns whether the packet continues a split logical packet. */
  private advance(sequenceId: number, length: number): boolean {
    const continued = this.continuing;
    this.nextSequence = (sequenceId + 1) & 0xff;
    this.logicalBytes = (continued ? this.logicalBytes : 0) + length;
    this.continuing = length === MAX_PAYLOAD;
    return continued;
  }

  private startStream(buf: Buffer, pos: number, sequenceId: number, length: number): void {
    this.streamContinued = this.advance(sequenceId, length);
    this.streamSequence = sequenceId;
    this.streamRemaining = HEADER_BYTES + length - (buf.length - pos);
    this.sink.piece(sequenceId, buf.subarray(pos), true, false, this.streamContinued);
  }

  /**
   * Keeps the start of an incomplete packet, bytes [pos, end) of `buf`, until `need` bytes are here: a view, unless
   * `buf` is a large joined buffer that the view would keep alive.
   */
  private keep(buf: Buffer, pos: number, need: number): void {
    const part = buf.length > this.streamAbove && pos > buf.length / 2 ? Buffer.from(buf.subarray(pos)) : buf.subarray(pos);
    this.pending = [part];
    this.pendingBytes = part.length;
    this.pendingNeed = need;
  }

  private fail(error: ProtocolError): void {
    this.broken = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.sink.invalid(error);
  }
}
