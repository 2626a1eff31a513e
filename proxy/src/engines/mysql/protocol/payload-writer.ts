/**
 * Builds packet payloads field by field, and frames a payload as packets (3-byte length, sequence id), splitting it
 * at 16 MB as the protocol asks.
 */
import { Buffer } from "node:buffer";
import { MAX_PAYLOAD } from "./constants.js";

export class PayloadWriter {
  private parts: Buffer[] = [];
  private length = 0;

  private add(part: Buffer): this {
    this.parts.push(part);
    this.length += part.length;
    return this;
  }

  int1(value: number): this {
    return this.add(Buffer.from([value & 0xff]));
  }

  int2(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16LE(value & 0xffff);
    return this.add(b);
  }

  int3(value: number): this {
    const b = Buffer.allocUnsafe(3);
    b.writeUIntLE(value & 0xffffff, 0, 3);
    return this.add(b);
  }

  int4(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(value >>> 0);
    return this.add(b);
  }

  int8(value: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(value);
    return this.add(b);
  }

  zeros(n: number): this {
    return this.add(Buffer.alloc(n));
  }

  bytes(value: Buffer): this {
    return this.add(value);
  }

  string(value: string): this {
    return this.add(Buffer.from(value, "utf8"));
  }

  nulString(value: string | Buffer): this {
    this.add(typeof value === "string" ? Buffer.from(value, "utf8") : value);
    return this.int1(0);
  }

  lenenc(value: number | bigint): this {
    const n = BigInt(value);
    if (n < 0xfbn) return this.int1(Number(n));
    if (n <= 0xffffn) return this.int1(0xfc).int2(Number(n));
    if (n <= 0xffffffn) return this.int1(0xfd).int3(Number(n));
    return this.int1(0xfe).int8(n);
  }

  lenencBytes(value: Buffer | string): this {
    const b = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    return this.lenenc(b.length).bytes(b);
  }

  finish(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length);
  }
}

/**
 * The packets that carry `payload`, starting at sequence id `sequenceId`: 16 MB - 1 bytes each, and an empty packet
 * after a payload that fills its last packet exactly (the reader would otherwise wait for more).
 */
export function framePackets(payload: Buffer, sequenceId: number): Buffer {
  if (payload.length < MAX_PAYLOAD) {
    const out = Buffer.allocUnsafe(4 + payload.length);
    out.writeUIntLE(payload.length, 0, 3);
    out[3] = sequenceId & 0xff;
    payload.copy(out, 4);
    return out;
  }
  const packets: Buffer[] = [];
  let seq = sequenceId;
  for (let at = 0; ; at += MAX_PAYLOAD) {
    const size = Math.min(MAX_PAYLOAD, payload.length - at);
    const header = Buffer.allocUnsafe(4);
    header.writeUIntLE(size, 0, 3);
    header[3] = seq++ & 0xff;
    packets.push(header, payload.subarray(at, at + size));
    if (size < MAX_PAYLOAD) break;
  }
  return Buffer.concat(packets);
}

/** How many packets `framePackets` writes for a payload of `length` bytes (the next sequence id is start + this). */
export function packetCount(length: number): number {
  return Math.floor(length / MAX_PAYLOAD) + 1;
}
