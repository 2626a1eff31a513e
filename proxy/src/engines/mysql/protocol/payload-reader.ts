/**
 * A cursor over one packet payload, bytes [start, end) of a buffer. Every read checks the bounds and throws
 * ProtocolError naming the field when the payload is too short, so parse functions read like the layout they parse.
 */
import { ProtocolError } from "./protocol-error.js";

export class PayloadReader {
  offset: number;

  constructor(
    readonly buf: Buffer,
    readonly start = 0,
    readonly end = buf.length,
    /** Named in errors: "OK packet", "COM_STMT_EXECUTE", ... */
    readonly what = "packet",
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  fail(problem: string): never {
    throw new ProtocolError(`${this.what}: ${problem}`);
  }

  private need(n: number, field: string): number {
    if (this.end - this.offset < n) this.fail(`${field} needs ${n} bytes, ${this.end - this.offset} left`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  int1(field: string): number {
    return this.buf[this.need(1, field)]!;
  }

  int2(field: string): number {
    return this.buf.readUInt16LE(this.need(2, field));
  }

  int3(field: string): number {
    return this.buf.readUIntLE(this.need(3, field), 3);
  }

  int4(field: string): number {
    return this.buf.readUInt32LE(this.need(4, field));
  }

  int8(field: string): bigint {
    return this.buf.readBigUInt64LE(this.need(8, field));
  }

  peek(): number | undefined {
    return this.offset < this.end ? this.buf[this.offset] : undefined;
  }

  bytes(n: number, field: string): Buffer {
    const at = this.need(n, field);
    return this.buf.subarray(at, at + n);
  }

  skip(n: number, field: string): void {
    this.need(n, field);
  }

  /** The rest of the payload. */
  rest(): Buffer {
    const at = this.offset;
    this.offset = this.end;
    return this.buf.subarray(at, this.end);
  }

  restString(): string {
    const at = this.offset;
    this.offset = this.end;
    return this.buf.toString("utf8", at, this.end);
  }

  /** A NUL-terminated string. */
  nulBytes(field: string): Buffer {
    const nul = this.buf.indexOf(0, this.offset);
    if (nul < 0 || nul >= this.end) this.fail(`${field} has no terminating NUL`);
    const at = this.offset;
    this.offset = nul + 1;
    return this.buf.subarray(at, nul);
  }

  nulString(field: string): string {
    return this.nulBytes(field).toString("utf8");
  }

  /**
   * A NUL-terminated string whose NUL may be missing at the very end of the payload (the auth plugin name of some
   * servers and clients, the last field before a bug fix in MySQL 5.5.10).
   */
  nulStringOrRest(field: string): string {
    const nul = this.buf.indexOf(0, this.offset);
    if (nul >= 0 && nul < this.end) return this.nulString(field);
    return this.restString();
  }

  /** A length-encoded integer; null for the 0xFB (NULL) marker. Values above 2^53 are refused, not rounded. */
  lenencOrNull(field: string): number | null {
    const first = this.int1(field);
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.int2(field);
    if (first === 0xfd) return this.int3(field);
    if (first === 0xfe) {
      const value = this.int8(field);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${field} of ${value} is too large`);
      return Number(value);
    }
    return this.fail(`${field} starts with 0xff, not a length-encoded integer`);
  }

  /** A length-encoded integer as a bigint: affected rows and last insert ids may pass 2^53. */
  lenencBigint(field: string): bigint {
    const first = this.int1(field);
    if (first < 0xfb) return BigInt(first);
    if (first === 0xfc) return BigInt(this.int2(field));
    if (first === 0xfd) return BigInt(this.int3(field));
    if (first === 0xfe) return this.int8(field);
    return this.fail(`${field} starts with 0x${first.toString(16)}, not a length-encoded integer`);
  }

  lenenc(field: string): number {
    const value = this.lenencOrNull(field);
    if (value === null) this.fail(`${field} is NULL (0xfb)`);
    return value;
  }

  lenencBytes(field: string): Buffer {
    return this.bytes(this.lenenc(field), field);
  }

  lenencString(field: string): string {
    return this.lenencBytes(field).toString("utf8");
  }

  /** Throws unless the payload has been read to its last byte. */
  done(): void {
    if (this.offset !== this.end) this.fail(`${this.end - this.offset} bytes left over after its last field`);
  }
}
