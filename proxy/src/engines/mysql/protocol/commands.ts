/**
 * Parse functions for the client's commands (the command phase), one per command, each taking the payload where it
 * lies in a chunk (`start`, `end`: payload only, the 4-byte header excluded) and the capabilities both sides agreed
 * on. Each validates the exact layout and throws ProtocolError naming the command and field; `commandError` runs the
 * same checks and returns the problem instead, for the place where commands are framed.
 */
import { Capability, ColumnType, Command, CursorType } from "./constants.js";
import { PayloadReader } from "./payload-reader.js";
import { ProtocolError } from "./protocol-error.js";

export const COMMAND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Command).map(([name, code]) => [code, `COM_${name}`]),
);

function reader(chunk: Buffer, start: number, end: number, command: number): PayloadReader {
  const r = new PayloadReader(chunk, start, end, COMMAND_NAMES[command] ?? `command 0x${command.toString(16)}`);
  if (r.int1("command") !== command) r.fail("wrong command byte");
  return r;
}

/** A parameter or query attribute: its type (low byte) with the unsigned flag (0x8000), its name, its value. */
export interface BoundParameter {
  type: number;
  name: string | undefined;
  /** The binary-protocol value's bytes; null for NULL. */
  value: Buffer | null;
}

export interface QueryCommand {
  /** Query attributes (CLIENT_QUERY_ATTRIBUTES, MySQL 8.0.23+). */
  attributes: BoundParameter[];
  /** Where the SQL text starts: it runs to the end of the payload. */
  queryStart: number;
}

/** COM_QUERY's layout, without decoding the text. */
export function parseQueryCommand(chunk: Buffer, start = 0, end = chunk.length, capabilities = 0): QueryCommand {
  const r = reader(chunk, start, end, Command.QUERY);
  let attributes: BoundParameter[] = [];
  if (capabilities & Capability.QUERY_ATTRIBUTES) {
    const count = r.lenenc("parameter count");
    if (r.lenenc("parameter set count") !== 1) r.fail("parameter set count is not 1");
    if (count > 0) attributes = readBoundParameters(r, count, true, undefined);
  }
  return { attributes, queryStart: r.offset };
}

/** COM_QUERY's SQL text. */
export function parseQuery(chunk: Buffer, start = 0, end = chunk.length, capabilities = 0): string {
  // Without query attributes the text is all that follows the command byte: no layout to check.
  const queryStart = capabilities & Capability.QUERY_ATTRIBUTES ? parseQueryCommand(chunk, start, end, capabilities).queryStart : start + 1;
  if (chunk[start] !== Command.QUERY) throw new ProtocolError("COM_QUERY: wrong command byte");
  return chunk.toString("utf8", queryStart, end);
}

/**
 * A NULL bitmap, the new-params-bound flag, the types (with names under query attributes) when bound, and the
 * values: the layout COM_STMT_EXECUTE and COM_QUERY's attributes share. `previousTypes` are the types of the
 * statement's last execution, used when the client did not bind new ones; without them the values cannot be read.
 */
function readBoundParameters(r: PayloadReader, count: number, withNames: boolean, previousTypes: readonly number[] | undefined): BoundParameter[] {
  const bitmap = r.bytes(Math.floor((count + 7) / 8), "NULL bitmap");
  const bound = r.int1("new params bound flag");
  if (bound > 1) r.fail(`new params bound flag is ${bound}`);
  let types: readonly number[];
  const names: Array<string | undefined> = [];
  if (bound === 1) {
    const read: number[] = [];
    for (let i = 0; i < count; i++) {
      read.push(r.int2("parameter type"));
      names.push(withNames ? r.lenencString("parameter name") : undefined);
    }
    types = read;
  } else if (previousTypes !== undefined && previousTypes.length === count) types = previousTypes;
  else if (withNames) return r.fail("query attributes without their types");
  else return r.fail("parameter values without types (no earlier execution bound them)");
  const params: BoundParameter[] = [];
  for (let i = 0; i < count; i++) {
    const isNull = (bitmap[i >> 3]! & (1 << (i & 7))) !== 0;
    params.push({ type: types[i]!, name: names[i], value: isNull ? null : readBinaryValue(r, types[i]! & 0xff) });
  }
  return params;
}

/** One binary-protocol value of a column type: fixed-size numbers, length-prefixed temporals, lenenc strings. */
function readBinaryValue(r: PayloadReader, type: number): Buffer {
  switch (type) {
    case ColumnType.NULL:
      return Buffer.alloc(0);
    case ColumnType.TINY:
      return r.bytes(1, "TINY value");
    case ColumnType.SHORT:
    case ColumnType.YEAR:
      return r.bytes(2, "SHORT value");
    case ColumnType.LONG:
    case ColumnType.INT24:
    case ColumnType.FLOAT:
      return r.bytes(4, "LONG value");
    case ColumnType.LONGLONG:
    case ColumnType.DOUBLE:
      return r.bytes(8, "LONGLONG value");
    case ColumnType.DATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
    case ColumnType.TIME:
      return r.bytes(r.int1("temporal value length"), "temporal value");
    default:
      return r.lenencBytes("string value");
  }
}

/** COM_STMT_PREPARE: the SQL text. */
export function parseStmtPrepare(chunk: Buffer, start = 0, end = chunk.length): string {
  const r = reader(chunk, start, end, Command.STMT_PREPARE);
  return r.restString();
}

export interface StmtExecute {
  statementId: number;
  /** CursorType bits. */
  flags: number;
  iterationCount: number;
  /** Undefined when the statement's parameter count was not given and the client did not send one. */
  parameters: BoundParameter[] | undefined;
}

/** What the proxy knows of a prepared statement, for reading its COM_STMT_EXECUTE. */
export interface PreparedParameters {
  paramCount: number;
  /** Types bound at the last execution (the client may omit them). */
  lastTypes?: readonly number[];
}

export function parseStmtExecute(chunk: Buffer, start = 0, end = chunk.length, capabilities = 0, statement?: PreparedParameters): StmtExecute {
  const r = reader(chunk, start, end, Command.STMT_EXECUTE);
  const statementId = r.int4("statement id");
  const flags = r.int1("flags");
  const iterationCount = r.int4("iteration count");
  const attributes = (capabilities & Capability.QUERY_ATTRIBUTES) !== 0;
  let count = statement?.paramCount;
  // Under query attributes the count (parameters plus attributes) is sent whenever there are parameters, or the
  // flag says it is.
  if (attributes && (flags & CursorType.PARAMETER_COUNT_AVAILABLE || (count ?? 0) > 0)) count = r.lenenc("parameter count");
  if (count === undefined) {
    // The statement is unknown here: only the fixed part can be checked.
    return { statementId, flags, iterationCount, parameters: undefined };
  }
  const parameters = count > 0 ? readBoundParameters(r, count, attributes, statement?.lastTypes) : [];
  r.done();
  return { statementId, flags, iterationCount, parameters };
}

export interface StmtSendLongData {
  statementId: number;
  paramId: number;
  data: Buffer;
}

export function parseStmtSendLongData(chunk: Buffer, start = 0, end = chunk.length): StmtSendLongData {
  const r = reader(chunk, start, end, Command.STMT_SEND_LONG_DATA);
  return { statementId: r.int4("statement id"), paramId: r.int2("param id"), data: r.rest() };
}

export function parseStmtFetch(chunk: Buffer, start = 0, end = chunk.length): { statementId: number; rowCount: number } {
  const r = reader(chunk, start, end, Command.STMT_FETCH);
  const fetch = { statementId: r.int4("statement id"), rowCount: r.int4("number of rows") };
  r.done();
  return fetch;
}

/** COM_STMT_CLOSE and COM_STMT_RESET: the statement id. */
export function parseStatementId(chunk: Buffer, start = 0, end = chunk.length): number {
  const command = chunk[start] ?? 0;
  if (command !== Command.STMT_CLOSE && command !== Command.STMT_RESET) throw new ProtocolError("neither COM_STMT_CLOSE nor COM_STMT_RESET");
  const r = reader(chunk, start, end, command);
  const id = r.int4("statement id");
  r.done();
  return id;
}

/** COM_INIT_DB: the schema name. */
export function parseInitDb(chunk: Buffer, start = 0, end = chunk.length): string {
  return reader(chunk, start, end, Command.INIT_DB).restString();
}

export function parseFieldList(chunk: Buffer, start = 0, end = chunk.length): { table: string; wildcard: string } {
  const r = reader(chunk, start, end, Command.FIELD_LIST);
  return { table: r.nulString("table"), wildcard: r.restString() };
}

export function parseProcessKill(chunk: Buffer, start = 0, end = chunk.length): number {
  const r = reader(chunk, start, end, Command.PROCESS_KILL);
  const id = r.int4("connection id");
  r.done();
  return id;
}

export function parseSetOption(chunk: Buffer, start = 0, end = chunk.length): number {
  const r = reader(chunk, start, end, Command.SET_OPTION);
  const option = r.int2("option");
  r.done();
  return option;
}

export interface ChangeUser {
  username: string;
  authResponse: Buffer;
  database: string;
  /** Absent from old clients. */
  charset: number | undefined;
  authPluginName: string | undefined;
  connectAttributes: Map<string, string> | undefined;
}

export function parseChangeUser(chunk: Buffer, start = 0, end = chunk.length, capabilities = 0): ChangeUser {
  const r = reader(chunk, start, end, Command.CHANGE_USER);
  const username = r.nulString("username");
  const authResponse = capabilities & Capability.SECURE_CONNECTION ? r.bytes(r.int1("auth response length"), "auth response") : r.nulBytes("auth response");
  const database = r.nulString("database");
  // Like HandshakeResponse41, the trailing fields are read only when bytes remain.
  const charset = r.atEnd ? undefined : r.int2("character set");
  const authPluginName = capabilities & Capability.PLUGIN_AUTH && !r.atEnd ? r.nulStringOrRest("auth plugin name") : undefined;
  let connectAttributes: Map<string, string> | undefined;
  if (capabilities & Capability.CONNECT_ATTRS && !r.atEnd) {
    const attrs = new PayloadReader(r.lenencBytes("connect attributes"), 0, undefined, "COM_CHANGE_USER connect attributes");
    connectAttributes = new Map();
    while (!attrs.atEnd) connectAttributes.set(attrs.lenencString("attribute name"), attrs.lenencString("attribute value"));
  }
  r.done();
  return { username, authResponse, database, charset, authPluginName, connectAttributes };
}

/** Commands that are the command byte alone. */
const BARE_COMMANDS: ReadonlySet<number> = new Set([Command.QUIT, Command.PING, Command.STATISTICS, Command.RESET_CONNECTION, Command.DEBUG]);

/**
 * What is wrong with the command at [start, end) of `chunk` (payload only), or undefined. `statement` looks up what
 * the proxy knows of a prepared statement, so COM_STMT_EXECUTE is checked to its last value when it can be.
 */
export function commandError(
  chunk: Buffer,
  start: number,
  end: number,
  capabilities: number,
  statement?: (statementId: number) => PreparedParameters | undefined,
): string | undefined {
  if (start >= end) return "an empty packet where a command was expected";
  const command = chunk[start]!;
  try {
    switch (command) {
      case Command.QUERY:
        if (capabilities & Capability.QUERY_ATTRIBUTES) parseQueryCommand(chunk, start, end, capabilities);
        return undefined;
      case Command.STMT_PREPARE:
      case Command.INIT_DB:
        return undefined;
      case Command.STMT_EXECUTE: {
        const id = end - start >= 5 ? chunk.readUInt32LE(start + 1) : 0;
        parseStmtExecute(chunk, start, end, capabilities, statement?.(id));
        return undefined;
      }
      case Command.STMT_SEND_LONG_DATA:
        parseStmtSendLongData(chunk, start, end);
        return undefined;
      case Command.STMT_FETCH:
        parseStmtFetch(chunk, start, end);
        return undefined;
      case Command.STMT_CLOSE:
      case Command.STMT_RESET:
        parseStatementId(chunk, start, end);
        return undefined;
      case Command.FIELD_LIST:
        parseFieldList(chunk, start, end);
        return undefined;
      case Command.PROCESS_KILL:
        parseProcessKill(chunk, start, end);
        return undefined;
      case Command.SET_OPTION:
        parseSetOption(chunk, start, end);
        return undefined;
      case Command.CHANGE_USER:
        parseChangeUser(chunk, start, end, capabilities);
        return undefined;
      default:
        if (!BARE_COMMANDS.has(command)) return `unsupported command 0x${command.toString(16).padStart(2, "0")}`;
        return end - start === 1 ? undefined : `${COMMAND_NAMES[command]}: ${end - start - 1} bytes after the command byte`;
    }
  } catch (error) {
    if (error instanceof ProtocolError) return error.message;
    throw error;
  }
}
