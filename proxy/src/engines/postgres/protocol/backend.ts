/**
 * Parse functions for the backend (server to client) messages the proxy reads, one per message type. Each takes the
 * whole message, header included (ReadyForQuery, read on every transaction, also where it starts in a larger chunk).
 */
import { ProtocolError, readCString } from "./frontend.js";
import type { TransactionStatus } from "./message-types.js";

export function parseReadyForQuery(chunk: Buffer, start = 0): TransactionStatus {
  switch (chunk[start + 5]) {
    case 0x49:
      return "I";
    case 0x54:
      return "T";
    case 0x45:
      return "E";
    default:
      throw new ProtocolError(`ReadyForQuery status "${String.fromCharCode(chunk[start + 5] ?? 0)}"`);
  }
}

export function parseParameterStatus(frame: Buffer): { name: string; value: string } {
  const name = readCString(frame, 5);
  return { name: name.value, value: readCString(frame, name.next).value };
}

export function parseBackendKeyData(frame: Buffer): { processId: number; secretKey: number } {
  return { processId: frame.readInt32BE(5), secretKey: frame.readInt32BE(9) };
}

/** ErrorResponse and NoticeResponse: field code (S, V, C, M, D, H, ...) to value. */
export type NoticeFields = Map<string, string>;

export function parseNoticeFields(frame: Buffer): NoticeFields {
  const fields: NoticeFields = new Map();
  let offset = 5;
  while (offset < frame.length && frame[offset] !== 0) {
    const code = String.fromCharCode(frame[offset]!);
    const value = readCString(frame, offset + 1);
    fields.set(code, value.value);
    offset = value.next;
  }
  return fields;
}

export type AuthenticationRequest =
  | { kind: "ok" }
  | { kind: "cleartext" }
  | { kind: "md5"; salt: Buffer }
  | { kind: "sasl"; mechanisms: string[] }
  | { kind: "sasl-continue"; data: Buffer }
  | { kind: "sasl-final"; data: Buffer }
  | { kind: "unsupported"; code: number };

export function parseAuthentication(frame: Buffer): AuthenticationRequest {
  const code = frame.readInt32BE(5);
  switch (code) {
    case 0:
      return { kind: "ok" };
    case 3:
      return { kind: "cleartext" };
    case 5:
      return { kind: "md5", salt: Buffer.from(frame.subarray(9, 13)) };
    case 10: {
      const mechanisms: string[] = [];
      let offset = 9;
      while (offset < frame.length && frame[offset] !== 0) {
        const mechanism = readCString(frame, offset);
        mechanisms.push(mechanism.value);
        offset = mechanism.next;
      }
      return { kind: "sasl", mechanisms };
    }
    case 11:
      return { kind: "sasl-continue", data: frame.subarray(9) };
    case 12:
      return { kind: "sasl-final", data: frame.subarray(9) };
    default:
      return { kind: "unsupported", code };
  }
}
