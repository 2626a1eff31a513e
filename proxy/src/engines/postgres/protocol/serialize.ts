/** Builders for the messages the proxy writes itself, in both directions. Each returns one complete message. */
import { Buffer } from "node:buffer";
import { Backend, Frontend, StartupCode, type TransactionStatus } from "./message-types.js";

/** A typed message from a body made of strings (NUL-terminated), int32s, int16s and raw bytes. */
type Part = { cstring: string } | { int32: number } | { int16: number } | { bytes: Buffer } | { byte: number };

function partLength(part: Part): number {
  if ("cstring" in part) return Buffer.byteLength(part.cstring) + 1;
  if ("int32" in part) return 4;
  if ("int16" in part) return 2;
  if ("byte" in part) return 1;
  return part.bytes.length;
}

function build(type: number | null, parts: Part[]): Buffer {
  const headerBytes = type === null ? 4 : 5;
  const bodyBytes = parts.reduce((sum, part) => sum + partLength(part), 0);
  const out = Buffer.allocUnsafe(headerBytes + bodyBytes);
  let offset = 0;
  if (type !== null) out[offset++] = type;
  offset = out.writeInt32BE(4 + bodyBytes, offset);
  for (const part of parts) {
    if ("cstring" in part) {
      offset += out.write(part.cstring, offset, "utf8");
      out[offset++] = 0;
    } else if ("int32" in part) offset = out.writeInt32BE(part.int32, offset);
    else if ("int16" in part) offset = out.writeInt16BE(part.int16, offset);
    else if ("byte" in part) out[offset++] = part.byte;
    else offset += part.bytes.copy(out, offset);
  }
  return out;
}

// Backend messages (proxy to client).

export function authenticationOk(): Buffer {
  return build(Backend.Authentication, [{ int32: 0 }]);
}

export function authenticationMd5(salt: Buffer): Buffer {
  return build(Backend.Authentication, [{ int32: 5 }, { bytes: salt }]);
}

export function authenticationCleartext(): Buffer {
  return build(Backend.Authentication, [{ int32: 3 }]);
}

export function authenticationSasl(mechanisms: readonly string[]): Buffer {
  return build(Backend.Authentication, [{ int32: 10 }, ...mechanisms.map((m) => ({ cstring: m })), { byte: 0 }]);
}

export function authenticationSaslContinue(data: string): Buffer {
  return build(Backend.Authentication, [{ int32: 11 }, { bytes: Buffer.from(data) }]);
}

export function authenticationSaslFinal(data: string): Buffer {
  return build(Backend.Authentication, [{ int32: 12 }, { bytes: Buffer.from(data) }]);
}

export function parameterStatus(name: string, value: string): Buffer {
  return build(Backend.ParameterStatus, [{ cstring: name }, { cstring: value }]);
}

export function backendKeyData(processId: number, secretKey: number): Buffer {
  return build(Backend.BackendKeyData, [{ int32: processId }, { int32: secretKey }]);
}

const READY: Record<TransactionStatus, Buffer> = {
  I: build(Backend.ReadyForQuery, [{ byte: 0x49 }]),
  T: build(Backend.ReadyForQuery, [{ byte: 0x54 }]),
  E: build(Backend.ReadyForQuery, [{ byte: 0x45 }]),
};

export function readyForQuery(status: TransactionStatus): Buffer {
  return READY[status];
}

export const CLOSE_COMPLETE: Buffer = build(Backend.CloseComplete, []);

export interface ErrorFields {
  severity: "ERROR" | "FATAL" | "WARNING" | "NOTICE" | "LOG";
  /** SQLSTATE. */
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function noticeParts(fields: ErrorFields): Part[] {
  const parts: Part[] = [
    { byte: 0x53 }, // S: localized severity
    { cstring: fields.severity },
    { byte: 0x56 }, // V: severity, never localized
    { cstring: fields.severity },
    { byte: 0x43 }, // C: SQLSTATE
    { cstring: fields.code },
    { byte: 0x4d }, // M: message
    { cstring: fields.message },
  ];
  if (fields.detail) parts.push({ byte: 0x44 }, { cstring: fields.detail });
  if (fields.hint) parts.push({ byte: 0x48 }, { cstring: fields.hint });
  parts.push({ byte: 0 });
  return parts;
}

export function errorResponse(fields: ErrorFields): Buffer {
  return build(Backend.ErrorResponse, noticeParts(fields));
}

/** An ErrorResponse with every field of one the database sent (severity, SQLSTATE, message, detail, routine, ...). */
export function errorResponseWithFields(fields: ReadonlyMap<string, string>): Buffer {
  const parts: Part[] = [];
  for (const [code, value] of fields) parts.push({ byte: code.charCodeAt(0) }, { cstring: value });
  parts.push({ byte: 0 });
  return build(Backend.ErrorResponse, parts);
}

export function noticeResponse(fields: ErrorFields): Buffer {
  return build(Backend.NoticeResponse, noticeParts(fields));
}

// Frontend messages (proxy to database).

export function startupMessage(parameters: ReadonlyMap<string, string>): Buffer {
  const parts: Part[] = [{ int32: StartupCode.Protocol3 }];
  for (const [name, value] of parameters) parts.push({ cstring: name }, { cstring: value });
  parts.push({ byte: 0 });
  return build(null, parts);
}

export function sslRequest(): Buffer {
  return build(null, [{ int32: StartupCode.SSLRequest }]);
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  return build(null, [{ int32: StartupCode.CancelRequest }, { int32: processId }, { int32: secretKey }]);
}

export function passwordMessage(password: string): Buffer {
  return build(Frontend.Password, [{ cstring: password }]);
}

export function saslInitialResponse(mechanism: string, data: string): Buffer {
  const bytes = Buffer.from(data);
  return build(Frontend.Password, [{ cstring: mechanism }, { int32: bytes.length }, { bytes }]);
}

export function saslResponse(data: string): Buffer {
  return build(Frontend.Password, [{ bytes: Buffer.from(data) }]);
}

export function query(text: string): Buffer {
  return build(Frontend.Query, [{ cstring: text }]);
}

export const SYNC: Buffer = build(Frontend.Sync, []);
export const TERMINATE: Buffer = build(Frontend.Terminate, []);

/** Parse with a new statement name and the original query and parameter types (bytes after the old name). */
export function renamedParse(statementName: string, queryAndTypes: Buffer): Buffer {
  return build(Frontend.Parse, [{ cstring: statementName }, { bytes: queryAndTypes }]);
}

/**
 * The Bind at [start, end) of `chunk` with a new statement name (ASCII, as the proxy's names are): its portal name,
 * the new name, then the rest of the original after its statement name's NUL (from `restStart`). Written out
 * directly rather than through build(): it runs for every Bind of a named statement.
 */
export function renamedBind(chunk: Buffer, start: number, statementStart: number, restStart: number, end: number, statementName: string): Buffer {
  const portalBytes = statementStart - start - 5;
  const out = Buffer.allocUnsafe(5 + portalBytes + statementName.length + 1 + end - restStart);
  out[0] = Frontend.Bind;
  out.writeInt32BE(out.length - 1, 1);
  let offset = 5;
  for (let i = start + 5; i < statementStart; i++) out[offset++] = chunk[i]!;
  for (let i = 0; i < statementName.length; i++) out[offset++] = statementName.charCodeAt(i);
  out[offset++] = 0;
  // A few parameter bytes (the usual Bind) are copied by hand: Buffer#copy of a range first makes a view of it.
  if (end - restStart <= 32) for (let i = restStart; i < end; i++) out[offset++] = chunk[i]!;
  else chunk.copy(out, offset, restStart, end);
  return out;
}

export function describeStatement(statementName: string): Buffer {
  return build(Frontend.Describe, [{ byte: 0x53 }, { cstring: statementName }]);
}

export function closeStatement(statementName: string): Buffer {
  return build(Frontend.Close, [{ byte: 0x53 }, { cstring: statementName }]);
}
