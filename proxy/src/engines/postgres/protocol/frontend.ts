/**
 * Parse functions for the frontend (client to server) messages the proxy reads, one per message type. Each takes the
 * whole message (header included) and returns plain values; offsets let callers rewrite a message without reparsing.
 * The ones read on every transaction also take the message where it lies in a larger chunk (`start`, `end`), so the
 * proxy needs no view of it.
 */
import { Frontend, StartupCode } from "./message-types.js";

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
  | { kind: "cancel"; processId: number; secretKey: number }
  /** A packet PostgreSQL logs and drops without a reply (COMMERROR in its ProcessStartupPacket). */
  | { kind: "invalid"; reason: string };

/** `message` is the whole startup packet, length included. */
export function parseStartupRequest(message: Buffer): StartupRequest {
  if (message.length < 8) throw new ProtocolError(`startup packet of ${message.length} bytes is too short`);
  const code = message.readInt32BE(4);
  if (code === StartupCode.SSLRequest) return { kind: "ssl" };
  if (code === StartupCode.GSSENCRequest) return { kind: "gssenc" };
  if (code === StartupCode.CancelRequest) {
    if (message.length !== 16) return { kind: "invalid", reason: "invalid length of cancel request packet" };
    return { kind: "cancel", processId: message.readInt32BE(8), secretKey: message.readInt32BE(12) };
  }
  const major = code >>> 16;
  if (major !== 3) {
    throw new ProtocolError(`unsupported frontend protocol ${major}.${code & 0xffff}: server supports 3.0`, "0A000");
  }
  const parameters = new Map<string, string>();
  // Name and value pairs, then a NUL as the packet's very last byte (PostgreSQL's words for anything else).
  let offset = 8;
  while (offset < message.length && message[offset] !== 0) {
    const nameEnd = message.indexOf(0, offset);
    const valueEnd = nameEnd < 0 ? -1 : message.indexOf(0, nameEnd + 1);
    if (valueEnd < 0) break;
    parameters.set(message.toString("utf8", offset, nameEnd), message.toString("utf8", nameEnd + 1, valueEnd));
    offset = valueEnd + 1;
  }
  if (offset !== message.length - 1) throw new ProtocolError("invalid startup packet layout: expected terminator as last byte");
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

/** Throws ProtocolError for a malformed message, through the same check every framed FunctionCall passes. */
export function parseFunctionCall(chunk: Buffer, start = 0, end = chunk.length): FunctionCallMessage {
  const problem = checkFunctionCall(chunk, start + 5, end);
  if (problem !== undefined) throw new ProtocolError(`invalid FunctionCall message: ${problem}`);
  const functionOid = chunk.readUInt32BE(start + 5);
  const formatCount = chunk.readInt16BE(start + 9);
  let offset = start + 11 + 2 * formatCount;
  const argCount = chunk.readInt16BE(offset);
  offset += 2;
  const args: Array<Buffer | null> = [];
  const formats: number[] = [];
  for (let i = 0; i < argCount; i++) {
    const length = chunk.readInt32BE(offset);
    offset += 4;
    if (length === -1) args.push(null);
    else {
      args.push(chunk.subarray(offset, offset + length));
      offset += length;
    }
    formats.push(formatCount === 0 ? 0 : chunk.readInt16BE(start + 11 + 2 * (formatCount === 1 ? 0 : i)));
  }
  return { functionOid, args, formats };
}

/**
 * Validators: each checks the exact layout of one message type, bytes [start, end) of `chunk` (header included), and
 * returns what is wrong with it, or undefined. Every message of a logged-in client passes one where it is framed,
 * before it is held or read, so the parse functions above only ever see well-formed messages. They run on every
 * message: plain loops over the bytes, no allocation unless the message is malformed.
 */
export function frontendMessageError(type: number, chunk: Buffer, start: number, end: number): string | undefined {
  const body = start + 5;
  let problem: string | undefined;
  switch (type) {
    case Frontend.Query:
    case Frontend.CopyFail:
      problem = checkStringMessage(chunk, body, end);
      break;
    case Frontend.Parse:
      problem = checkParse(chunk, body, end);
      break;
    case Frontend.Bind:
      problem = checkBind(chunk, body, end);
      break;
    case Frontend.Describe:
    case Frontend.Close:
      problem = checkTargetMessage(chunk, body, end);
      break;
    case Frontend.Execute:
      problem = checkExecute(chunk, body, end);
      break;
    case Frontend.Sync:
    case Frontend.Flush:
    case Frontend.Terminate:
    case Frontend.CopyDone:
      problem = body === end ? undefined : `length ${end - start - 1}, expected 4`;
      break;
    case Frontend.FunctionCall:
      problem = checkFunctionCall(chunk, body, end);
      break;
    case Frontend.CopyData:
      return undefined;
    default:
      return `invalid frontend message type ${type}`;
  }
  return problem === undefined ? undefined : `invalid ${FRONTEND_MESSAGE_NAMES[type]} message: ${problem}`;
}

const FRONTEND_MESSAGE_NAMES: Record<number, string> = {
  [Frontend.Query]: "Query",
  [Frontend.CopyFail]: "CopyFail",
  [Frontend.Parse]: "Parse",
  [Frontend.Bind]: "Bind",
  [Frontend.Describe]: "Describe",
  [Frontend.Close]: "Close",
  [Frontend.Execute]: "Execute",
  [Frontend.Sync]: "Sync",
  [Frontend.Flush]: "Flush",
  [Frontend.Terminate]: "Terminate",
  [Frontend.CopyDone]: "CopyDone",
  [Frontend.FunctionCall]: "FunctionCall",
};

const NO_NUL = "string without its terminating NUL";
const SHORT = "insufficient data left in message";
const LEFT_OVER = "bytes left over after its last field";

/** The offset just past the NUL that ends the string at `offset`, or -1 when no NUL comes before `end`. */
function stringEnd(chunk: Buffer, offset: number, end: number): number {
  // Names and most statements are short: a loop beats a call into the runtime; long texts are searched natively.
  const stop = Math.min(end, offset + 64);
  for (let i = offset; i < stop; i++) if (chunk[i] === 0) return i + 1;
  if (stop === end) return -1;
  const nul = chunk.indexOf(0, stop);
  return nul < 0 || nul >= end ? -1 : nul + 1;
}

function uint16(chunk: Buffer, offset: number): number {
  return (chunk[offset]! << 8) | chunk[offset + 1]!;
}

function int32(chunk: Buffer, offset: number): number {
  return (chunk[offset]! << 24) | (chunk[offset + 1]! << 16) | (chunk[offset + 2]! << 8) | chunk[offset + 3]!;
}

/** Query, CopyFail: one string that ends exactly where the message does. */
function checkStringMessage(chunk: Buffer, offset: number, end: number): string | undefined {
  const next = stringEnd(chunk, offset, end);
  if (next < 0) return NO_NUL;
  return next === end ? undefined : LEFT_OVER;
}

/** Parse: statement name, query, int16 count, that many int32 type oids. */
function checkParse(chunk: Buffer, offset: number, end: number): string | undefined {
  let at = stringEnd(chunk, offset, end);
  if (at < 0) return NO_NUL;
  at = stringEnd(chunk, at, end);
  if (at < 0) return NO_NUL;
  if (at + 2 > end) return SHORT;
  at += 2 + 4 * uint16(chunk, at);
  if (at > end) return SHORT;
  return at === end ? undefined : LEFT_OVER;
}

/** Bind: portal, statement, format codes, parameter values (each -1 or a length and that many bytes), result formats. */
function checkBind(chunk: Buffer, offset: number, end: number): string | undefined {
  let at = stringEnd(chunk, offset, end);
  if (at < 0) return NO_NUL;
  at = stringEnd(chunk, at, end);
  if (at < 0) return NO_NUL;
  at = skipInt16List(chunk, at, end);
  if (at < 0) return SHORT;
  at = skipValues(chunk, at, end);
  if (at < 0) return at === BAD_LENGTH ? "a parameter length below -1" : SHORT;
  at = skipInt16List(chunk, at, end);
  if (at < 0) return SHORT;
  return at === end ? undefined : LEFT_OVER;
}

/** Describe, Close: 'S' or 'P', then a name that ends exactly where the message does. */
function checkTargetMessage(chunk: Buffer, offset: number, end: number): string | undefined {
  if (offset >= end) return SHORT;
  const target = chunk[offset];
  if (target !== 0x53 && target !== 0x50) return `target must be 'S' or 'P', got byte ${target}`;
  return checkStringMessage(chunk, offset + 1, end);
}

/** Execute: portal name, int32 row limit. */
function checkExecute(chunk: Buffer, offset: number, end: number): string | undefined {
  const at = stringEnd(chunk, offset, end);
  if (at < 0) return NO_NUL;
  if (at + 4 > end) return SHORT;
  return at + 4 === end ? undefined : LEFT_OVER;
}

/** FunctionCall: int32 function oid, argument format codes (none, one for all, or one each), arguments, int16 result format. */
function checkFunctionCall(chunk: Buffer, offset: number, end: number): string | undefined {
  if (offset + 4 > end) return SHORT;
  let at = skipInt16List(chunk, offset + 4, end);
  if (at < 0) return SHORT;
  if (at + 2 > end) return SHORT;
  const formatCount = uint16(chunk, offset + 4);
  const argCount = uint16(chunk, at);
  // Counts are int16: above 32767 they are negative.
  if (formatCount > 0x7fff || argCount > 0x7fff) return "a negative count";
  if (formatCount > 1 && formatCount !== argCount) return `${formatCount} argument formats for ${argCount} arguments`;
  at = skipValues(chunk, at, end);
  if (at < 0) return at === BAD_LENGTH ? "an argument length below -1" : SHORT;
  if (at + 2 > end) return SHORT;
  return at + 2 === end ? undefined : LEFT_OVER;
}

/** Past an int16 count and that many int16 values; -1 when they overrun `end`. */
function skipInt16List(chunk: Buffer, offset: number, end: number): number {
  if (offset + 2 > end) return -1;
  const next = offset + 2 + 2 * uint16(chunk, offset);
  return next > end ? -1 : next;
}

const BAD_LENGTH = -2;

/** Past an int16 count and that many values, each an int32 length (-1 for NULL) and its bytes; -1 when they overrun. */
function skipValues(chunk: Buffer, offset: number, end: number): number {
  if (offset + 2 > end) return -1;
  const count = uint16(chunk, offset);
  let at = offset + 2;
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) return -1;
    const length = int32(chunk, at);
    at += 4;
    if (length === -1) continue;
    if (length < 0) return BAD_LENGTH;
    at += length;
    if (at > end) return -1;
  }
  return at;
}
