/**
 * The server's packets in the command phase, one parse function each, taking the payload (no header) and the
 * capabilities both sides agreed on; the serializer of each packet the proxy writes itself is next to its parser.
 * Result-set rows are never decoded: the proxy forwards them and only needs to know where a result set ends.
 */
import { Capability, Header, MariadbCapability, MAX_PAYLOAD, ServerStatus, SessionTrackType } from "./constants.js";
import { PayloadReader } from "./payload-reader.js";
import { PayloadWriter } from "./payload-writer.js";
import { ProtocolError } from "./protocol-error.js";

/** One SESSION_TRACK entry of an OK packet. */
export type SessionStateChange =
  | { type: "system-variable"; name: string; value: string }
  | { type: "schema"; schema: string }
  | { type: "state-change"; changed: boolean }
  | { type: "gtids"; encoding: number; gtids: string }
  | { type: "transaction-characteristics"; statements: string }
  /** Eight characters, "T_______" style: explicit/implicit transaction, reads, writes, unsafe statements, ... */
  | { type: "transaction-state"; state: string }
  | { type: "unknown"; code: number; data: Buffer };

export interface OkPacket {
  /** 0x00, or 0xfe for an OK that ends a result set under CLIENT_DEPRECATE_EOF. */
  header: number;
  affectedRows: bigint;
  lastInsertId: bigint;
  statusFlags: number;
  warnings: number;
  info: string;
  /** With CLIENT_SESSION_TRACK and SERVER_SESSION_STATE_CHANGED. */
  sessionStateChanges: SessionStateChange[];
}

/** OK, and the OK-as-EOF (header 0xfe) of CLIENT_DEPRECATE_EOF. */
export function parseOk(payload: Buffer, capabilities: number): OkPacket {
  const r = new PayloadReader(payload, 0, payload.length, "OK packet");
  const header = r.int1("header");
  if (header !== Header.OK && header !== Header.EOF) r.fail(`header 0x${header.toString(16)} is neither 0x00 nor 0xfe`);
  const affectedRows = r.lenencBigint("affected rows");
  const lastInsertId = r.lenencBigint("last insert id");
  let statusFlags = 0;
  let warnings = 0;
  if (capabilities & Capability.PROTOCOL_41) {
    statusFlags = r.int2("status flags");
    warnings = r.int2("warnings");
  } else if (capabilities & Capability.TRANSACTIONS) statusFlags = r.int2("status flags");
  let info = "";
  const sessionStateChanges: SessionStateChange[] = [];
  if (capabilities & Capability.SESSION_TRACK) {
    if (!r.atEnd) info = r.lenencString("info");
    if (statusFlags & ServerStatus.SESSION_STATE_CHANGED && !r.atEnd) {
      const state = r.lenencBytes("session state info");
      const entries = new PayloadReader(state, 0, state.length, "OK packet session state");
      while (!entries.atEnd) sessionStateChanges.push(readSessionStateChange(entries));
    }
    r.done();
  } else info = r.restString();
  return { header, affectedRows, lastInsertId, statusFlags, warnings, info, sessionStateChanges };
}

function readSessionStateChange(r: PayloadReader): SessionStateChange {
  const code = r.int1("session state type");
  const data = r.lenencBytes("session state data");
  const d = new PayloadReader(data, 0, data.length, `OK packet session state entry ${code}`);
  let change: SessionStateChange;
  switch (code) {
    case SessionTrackType.SYSTEM_VARIABLES:
      change = { type: "system-variable", name: d.lenencString("variable name"), value: d.lenencString("variable value") };
      break;
    case SessionTrackType.SCHEMA:
      change = { type: "schema", schema: d.lenencString("schema") };
      break;
    case SessionTrackType.STATE_CHANGE:
      // The flag itself, not a length-encoded string: MySQL's and MariaDB's trackers store the byte '1' alone.
      change = { type: "state-change", changed: d.restString() === "1" };
      break;
    case SessionTrackType.GTIDS:
      change = { type: "gtids", encoding: d.int1("gtid encoding"), gtids: d.lenencString("gtids") };
      break;
    case SessionTrackType.TRANSACTION_CHARACTERISTICS:
      change = { type: "transaction-characteristics", statements: d.lenencString("transaction characteristics") };
      break;
    case SessionTrackType.TRANSACTION_STATE:
      change = { type: "transaction-state", state: d.lenencString("transaction state") };
      break;
    default:
      return { type: "unknown", code, data };
  }
  d.done();
  return change;
}

export function serializeOk(ok: OkPacket, capabilities: number): Buffer {
  const w = new PayloadWriter().int1(ok.header).lenenc(ok.affectedRows).lenenc(ok.lastInsertId);
  if (capabilities & Capability.PROTOCOL_41) w.int2(ok.statusFlags).int2(ok.warnings);
  else if (capabilities & Capability.TRANSACTIONS) w.int2(ok.statusFlags);
  if (capabilities & Capability.SESSION_TRACK) {
    const state = ok.statusFlags & ServerStatus.SESSION_STATE_CHANGED;
    if (state || ok.info !== "") w.lenencBytes(ok.info);
    if (state) {
      const entries = new PayloadWriter();
      for (const change of ok.sessionStateChanges) writeSessionStateChange(entries, change);
      w.lenencBytes(entries.finish());
    }
  } else w.string(ok.info);
  return w.finish();
}

function writeSessionStateChange(w: PayloadWriter, change: SessionStateChange): void {
  const d = new PayloadWriter();
  let code: number;
  switch (change.type) {
    case "system-variable":
      code = SessionTrackType.SYSTEM_VARIABLES;
      d.lenencBytes(change.name).lenencBytes(change.value);
      break;
    case "schema":
      code = SessionTrackType.SCHEMA;
      d.lenencBytes(change.schema);
      break;
    case "state-change":
      code = SessionTrackType.STATE_CHANGE;
      d.string(change.changed ? "1" : "0");
      break;
    case "gtids":
      code = SessionTrackType.GTIDS;
      d.int1(change.encoding).lenencBytes(change.gtids);
      break;
    case "transaction-characteristics":
      code = SessionTrackType.TRANSACTION_CHARACTERISTICS;
      d.lenencBytes(change.statements);
      break;
    case "transaction-state":
      code = SessionTrackType.TRANSACTION_STATE;
      d.lenencBytes(change.state);
      break;
    case "unknown":
      code = change.code;
      d.bytes(change.data);
      break;
  }
  w.int1(code).lenencBytes(d.finish());
}

/** A simple OK: no rows, no session state. */
export function okPayload(statusFlags: number, capabilities: number, affectedRows = 0n, info = ""): Buffer {
  return serializeOk({ header: Header.OK, affectedRows, lastInsertId: 0n, statusFlags, warnings: 0, info, sessionStateChanges: [] }, capabilities);
}

export interface ErrPacket {
  errno: number;
  /** Five characters; absent before CLIENT_PROTOCOL_41 and in errors sent before the handshake. */
  sqlState: string | undefined;
  message: string;
}

/** Error number MariaDB uses for a progress report (CLIENT_PROGRESS): not an error and not the end of a response. */
export const PROGRESS_REPORT_ERRNO = 0xffff;

export function parseErr(payload: Buffer, capabilities: number): ErrPacket {
  const r = new PayloadReader(payload, 0, payload.length, "ERR packet");
  if (r.int1("header") !== Header.ERR) r.fail("header is not 0xff");
  const errno = r.int2("error code");
  let sqlState: string | undefined;
  // The marker is there only with CLIENT_PROTOCOL_41, and not in errors sent before the client said it has it.
  if (errno !== PROGRESS_REPORT_ERRNO && capabilities & Capability.PROTOCOL_41 && r.peek() === 0x23) {
    r.skip(1, "SQL state marker");
    sqlState = r.bytes(5, "SQL state").toString("latin1");
  }
  return { errno, sqlState, message: r.restString() };
}

export function serializeErr(err: ErrPacket, capabilities: number): Buffer {
  const w = new PayloadWriter().int1(Header.ERR).int2(err.errno);
  if (capabilities & Capability.PROTOCOL_41 && err.sqlState !== undefined) w.int1(0x23).string(err.sqlState.padEnd(5, "0").slice(0, 5));
  return w.string(err.message).finish();
}

export interface EofPacket {
  warnings: number;
  statusFlags: number;
}

/** Whether a packet starting with 0xfe of `length` payload bytes is an EOF (old style, under 9 bytes). */
export function isEofPacket(firstByte: number, length: number): boolean {
  return firstByte === Header.EOF && length < 9;
}

/**
 * Whether a packet ends a result set's rows: an EOF, or under CLIENT_DEPRECATE_EOF an OK with header 0xfe (a row
 * can start with 0xfe only for a first value of 16 MB or more, so its first packet is full-sized).
 */
export function isResultSetEnd(firstByte: number, length: number, capabilities: number): boolean {
  if (firstByte !== Header.EOF) return false;
  return capabilities & Capability.DEPRECATE_EOF ? length < MAX_PAYLOAD : length < 9;
}

export function parseEof(payload: Buffer, capabilities: number): EofPacket {
  const r = new PayloadReader(payload, 0, payload.length, "EOF packet");
  if (r.int1("header") !== Header.EOF) r.fail("header is not 0xfe");
  if (payload.length >= 9) r.fail(`${payload.length} bytes, an EOF packet has fewer than 9`);
  if (!(capabilities & Capability.PROTOCOL_41)) return { warnings: 0, statusFlags: 0 };
  const eof = { warnings: r.int2("warnings"), statusFlags: r.int2("status flags") };
  r.done();
  return eof;
}

export function serializeEof(eof: EofPacket, capabilities: number): Buffer {
  const w = new PayloadWriter().int1(Header.EOF);
  if (capabilities & Capability.PROTOCOL_41) w.int2(eof.warnings).int2(eof.statusFlags);
  return w.finish();
}

/**
 * The end of a result set or a terminator, whichever form: an EOF (5 bytes), or an OK with header 0x00 or 0xfe
 * (under CLIENT_DEPRECATE_EOF, at least 7 bytes): its status flags and warnings.
 */
export function parseTerminator(payload: Buffer, capabilities: number): EofPacket {
  if (payload[0] === Header.EOF && payload.length < 7) return parseEof(payload, capabilities);
  const ok = parseOk(payload, capabilities);
  return { warnings: ok.warnings, statusFlags: ok.statusFlags };
}

export interface ColumnCount {
  count: number;
  /**
   * Whether column definitions follow: MySQL's CLIENT_OPTIONAL_RESULTSET_METADATA and MariaDB's CACHE_METADATA let
   * the server skip them (always true without those).
   */
  metadataFollows: boolean;
}

export function parseColumnCount(payload: Buffer, capabilities: number, mariadbCapabilities = 0): ColumnCount {
  const r = new PayloadReader(payload, 0, payload.length, "column count");
  const count = r.lenenc("column count");
  if (count === 0) r.fail("a result set of 0 columns");
  const optional = capabilities & Capability.OPTIONAL_RESULTSET_METADATA || mariadbCapabilities & MariadbCapability.CACHE_METADATA;
  const metadataFollows = optional ? r.int1("metadata follows") !== 0 : true;
  r.done();
  return { count, metadataFollows };
}

export interface ColumnDefinition {
  catalog: string;
  schema: string;
  table: string;
  orgTable: string;
  name: string;
  orgName: string;
  /** MariaDB's extended type info (MARIADB_CLIENT_EXTENDED_METADATA). */
  extendedMetadata: Buffer | undefined;
  charset: number;
  columnLength: number;
  type: number;
  flags: number;
  decimals: number;
  /** COM_FIELD_LIST only: the column's default value. */
  defaultValue: Buffer | undefined;
}

export function parseColumnDefinition41(payload: Buffer, mariadbCapabilities = 0): ColumnDefinition {
  const r = new PayloadReader(payload, 0, payload.length, "column definition");
  const catalog = r.lenencString("catalog");
  const schema = r.lenencString("schema");
  const table = r.lenencString("table");
  const orgTable = r.lenencString("org_table");
  const name = r.lenencString("name");
  const orgName = r.lenencString("org_name");
  const extendedMetadata = mariadbCapabilities & MariadbCapability.EXTENDED_METADATA ? r.lenencBytes("extended metadata") : undefined;
  if (r.lenenc("length of fixed fields") !== 0x0c) r.fail("length of fixed fields is not 12");
  const charset = r.int2("character set");
  const columnLength = r.int4("column length");
  const type = r.int1("type");
  const flags = r.int2("flags");
  const decimals = r.int1("decimals");
  r.skip(2, "filler");
  const defaultValue = r.atEnd ? undefined : r.lenencBytes("default value");
  r.done();
  return { catalog, schema, table, orgTable, name, orgName, extendedMetadata, charset, columnLength, type, flags, decimals, defaultValue };
}

export interface StmtPrepareOk {
  statementId: number;
  columnCount: number;
  paramCount: number;
  warnings: number;
  /** CLIENT_OPTIONAL_RESULTSET_METADATA: whether the definitions follow (always true without it). */
  metadataFollows: boolean;
}

export function parseStmtPrepareOk(payload: Buffer, capabilities: number): StmtPrepareOk {
  const r = new PayloadReader(payload, 0, payload.length, "COM_STMT_PREPARE_OK");
  if (r.int1("status") !== Header.OK) r.fail("status is not 0x00");
  const statementId = r.int4("statement id");
  const columnCount = r.int2("number of columns");
  const paramCount = r.int2("number of params");
  r.skip(1, "reserved");
  // The warning count is absent from some old servers' packets.
  const warnings = r.atEnd ? 0 : r.int2("warning count");
  const metadataFollows = capabilities & Capability.OPTIONAL_RESULTSET_METADATA && !r.atEnd ? r.int1("metadata follows") !== 0 : true;
  r.done();
  return { statementId, columnCount, paramCount, warnings, metadataFollows };
}

export function serializeStmtPrepareOk(ok: StmtPrepareOk, capabilities: number): Buffer {
  const w = new PayloadWriter().int1(Header.OK).int4(ok.statementId).int2(ok.columnCount).int2(ok.paramCount).int1(0).int2(ok.warnings);
  if (capabilities & Capability.OPTIONAL_RESULTSET_METADATA) w.int1(ok.metadataFollows ? 1 : 0);
  return w.finish();
}

/** LOCAL INFILE request (0xfb): the file name the client is to send. */
export function parseLocalInfileRequest(payload: Buffer): string {
  if (payload[0] !== Header.LOCAL_INFILE) throw new ProtocolError("LOCAL INFILE request: header is not 0xfb");
  return payload.toString("utf8", 1);
}

export function serializeLocalInfileRequest(fileName: string): Buffer {
  return new PayloadWriter().int1(Header.LOCAL_INFILE).string(fileName).finish();
}
