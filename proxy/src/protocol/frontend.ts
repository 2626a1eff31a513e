/**
 * Parse functions for the frontend (client to server) messages the proxy reads, one per message type. Each takes the
 * whole message (header included) and returns plain values; offsets let callers rewrite a message without reparsing.
 * The ones read on every transaction also take the message where it lies in a larger chunk (`start`, `end`), so the
 * proxy needs no view of it.
 */
import { StartupCode } from "./message-types.js";

export class ProtocolError extends Error {
  constructor(
    message: string,
    /** SQLSTATE to report to the peer. */
    readonly code = "08P01",
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Reads a NUL-terminated string at `offset`; returns it and the offset after the NUL. */
export function readCString(buf: Buffer, offset: number, end = buf.length): { value: string; next: number } {
  // Unnamed portals and statements ("") are the usual case in Bind and Parse: no search, no decoding.
  if (buf[offset] === 0 && offset < end) return { value: "", next: offset + 1 };
  const nul = buf.indexOf(0, offset);
  if (nul < 0 || nul >= end) throw new ProtocolError("string without its terminating NUL");
  return { value: buf.toString("utf8", offset, nul), next: nul + 1 };
}

/** The first message of a connection: untyped, length-prefixed. PostgreSQL caps it at 10,000 bytes. */
export const MAX_STARTUP_BYTES = 10_000;

export type StartupRequest =
  | { kind: "startup"; protocolVersion: number; parameters: Map<string, string> }
  | { kind: "ssl" }
  | { kind: "gssenc" }
  | { kind: "cancel"; processId: number; secretKey: number };

/** `message` is the whole startup packet, length included. */
export function parseStartupRequest(message: Buffer): StartupRequest {
  if (message.length < 8) throw new ProtocolError(`startup packet of ${message.length} bytes is too short`);
  const code = message.readInt32BE(4);
  if (code === StartupCode.SSLRequest) return { kind: "ssl" };
  if (code === StartupCode.GSSENCRequest) return { kind: "gssenc" };
  if (code === StartupCode.CancelRequest) {
    if (message.length !== 16) throw new ProtocolError("CancelRequest must be 16 bytes");
    return { kind: "cancel", processId: message.readInt32BE(8), secretKey: message.readInt32BE(12) };
  }
  const major = code >>> 16;
  if (major !== 3) {
    throw new ProtocolError(`unsupported frontend protocol ${major}.${code & 0xffff}: server supports 3.0`, "0A000");
  }
  const parameters = new Map<string, string>();
  let offset = 8;
  while (offset < message.length) {
    if (message[offset] === 0) break;
    const name = readCString(message, offset);
    const value = readCString(message, name.next);
    parameters.set(name.value, value.value);
    offset = value.next;
  }
  return { kind: "startup", protocolVersion: code, parameters };
}

/** Query: the SQL text. */
export function parseQuery(chunk: Buffer, start = 0, end = chunk.length): string {
  // The text ends with a NUL just before the end of the message.
  return chunk.toString("utf8", start + 5, end - 1);
}

export interface ParseMessage {
  statementName: string;
  query: string;
  /** Offset where the statement name's bytes start and where the query starts (just after the name's NUL). */
  nameStart: number;
  queryStart: number;
}

export function parseParse(chunk: Buffer, start = 0, end = chunk.length): ParseMessage {
  const name = readCString(chunk, start + 5, end);
  const query = readCString(chunk, name.next, end);
  return { statementName: name.value, query: query.value, nameStart: start + 5, queryStart: name.next };
}

/**
 * Bind: where its statement name lies (after the portal name), not decoded: the proxy looks statements up by their
 * bytes. The name is [statementStart, statementEnd); its NUL is at statementEnd, the parameters follow.
 */
export interface BindMessage {
  statementStart: number;
  statementEnd: number;
}

export function parseBind(chunk: Buffer, start = 0, end = chunk.length): BindMessage {
  const statementStart = cStringEnd(chunk, start + 5, end) + 1;
  return { statementStart, statementEnd: cStringEnd(chunk, statementStart, end) };
}

/** The offset of the NUL that ends the string at `offset`, searched byte by byte: these names are short. */
function cStringEnd(chunk: Buffer, offset: number, end: number): number {
  for (let i = offset; i < end; i++) if (chunk[i] === 0) return i;
  throw new ProtocolError("string without its terminating NUL");
}

/** Describe and Close: 'S' (statement) or 'P' (portal), and the name. */
export interface TargetMessage {
  target: "S" | "P";
  name: string;
}

export function parseTarget(chunk: Buffer, start = 0, end = chunk.length): TargetMessage {
  const target = chunk[start + 5];
  if (target !== 0x53 && target !== 0x50) throw new ProtocolError("Describe/Close target must be 'S' or 'P'");
  return { target: target === 0x53 ? "S" : "P", name: readCString(chunk, start + 6, end).value };
}

/** PasswordMessage (md5, cleartext): the password string. */
export function parsePasswordMessage(frame: Buffer): string {
  return readCString(frame, 5).value;
}

export interface SaslInitialResponse {
  mechanism: string;
  /** Client-first-message; empty when the client sent -1. */
  data: Buffer;
}

export function parseSaslInitialResponse(frame: Buffer): SaslInitialResponse {
  const mechanism = readCString(frame, 5);
  if (mechanism.next + 4 > frame.length) throw new ProtocolError("SASLInitialResponse is truncated");
  const length = frame.readInt32BE(mechanism.next);
  const start = mechanism.next + 4;
  if (length < 0) return { mechanism: mechanism.value, data: Buffer.alloc(0) };
  if (start + length > frame.length) throw new ProtocolError("SASLInitialResponse data overruns the message");
  return { mechanism: mechanism.value, data: frame.subarray(start, start + length) };
}

/** SASLResponse: the raw data. */
export function parseSaslResponse(frame: Buffer): Buffer {
  return frame.subarray(5);
}

/** FunctionCall: the function's oid and its arguments (null for SQL NULL), each with its format (0 text, 1 binary). */
export interface FunctionCallMessage {
  functionOid: number;
  args: Array<Buffer | null>;
  formats: number[];
}

export function parseFunctionCall(chunk: Buffer, start = 0, end = chunk.length): FunctionCallMessage {
  let offset = start + 5;
  const need = (bytes: number): void => {
    if (offset + bytes > end) throw new ProtocolError("FunctionCall is truncated");
  };
  need(6);
  const functionOid = chunk.readUInt32BE(offset);
  const formatCount = chunk.readInt16BE(offset + 4);
  offset += 6;
  need(2 * Math.max(0, formatCount) + 2);
  const declared: number[] = [];
  for (let i = 0; i < formatCount; i++, offset += 2) declared.push(chunk.readInt16BE(offset));
  const argCount = chunk.readInt16BE(offset);
  offset += 2;
  if (formatCount < 0 || argCount < 0 || (formatCount > 1 && formatCount !== argCount)) {
    throw new ProtocolError(`FunctionCall has ${formatCount} argument formats for ${argCount} arguments`);
  }
  const args: Array<Buffer | null> = [];
  const formats: number[] = [];
  for (let i = 0; i < argCount; i++) {
    need(4);
    const length = chunk.readInt32BE(offset);
    offset += 4;
    if (length < -1) throw new ProtocolError(`FunctionCall argument ${i + 1} has length ${length}`);
    if (length === -1) args.push(null);
    else {
      need(length);
      args.push(chunk.subarray(offset, offset + length));
      offset += length;
    }
    formats.push(formatCount === 0 ? 0 : (declared[formatCount === 1 ? 0 : i] ?? 0));
  }
  need(2);
  if (offset + 2 !== end) throw new ProtocolError("FunctionCall has bytes after its result format");
  return { functionOid, args, formats };
}
