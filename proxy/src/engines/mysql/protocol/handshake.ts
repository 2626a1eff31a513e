/**
 * The connection phase: the server's HandshakeV10, the client's SSLRequest and HandshakeResponse41, and the auth
 * exchange after it (AuthSwitchRequest, AuthMoreData). One parse function per packet, taking the payload (no header),
 * and the serializer next to it, returning a payload: the caller frames it with the sequence id the exchange is at.
 */
import { Capability, Header } from "./constants.js";
import { PayloadReader } from "./payload-reader.js";
import { PayloadWriter } from "./payload-writer.js";
import { ErrorNumber, ProtocolError } from "./protocol-error.js";

export interface HandshakeV10 {
  protocolVersion: number;
  serverVersion: string;
  connectionId: number;
  /** The scramble (nonce): auth-plugin-data parts 1 and 2, without part 2's trailing NUL. Usually 20 bytes. */
  authPluginData: Buffer;
  /** Lower and upper capability flags joined, as an unsigned 32-bit number. */
  capabilities: number;
  /** MariaDB's extended capabilities, from the last 4 reserved bytes (0 from MySQL, which sets CLIENT_LONG_PASSWORD). */
  mariadbCapabilities: number;
  charset: number;
  statusFlags: number;
  /** Absent without CLIENT_PLUGIN_AUTH. */
  authPluginName: string | undefined;
}

export function parseHandshakeV10(payload: Buffer): HandshakeV10 {
  const r = new PayloadReader(payload, 0, payload.length, "handshake");
  const protocolVersion = r.int1("protocol version");
  if (protocolVersion !== 10) {
    throw new ProtocolError(`handshake: protocol version ${protocolVersion}, only 10 is supported`, ErrorNumber.HANDSHAKE_ERROR, "08S01");
  }
  const serverVersion = r.nulString("server version");
  const connectionId = r.int4("connection id");
  const part1 = r.bytes(8, "auth-plugin-data part 1");
  r.skip(1, "filler");
  let capabilities = r.int2("capability flags");
  if (r.atEnd) {
    return { protocolVersion, serverVersion, connectionId, authPluginData: Buffer.from(part1), capabilities, mariadbCapabilities: 0, charset: 0, statusFlags: 0, authPluginName: undefined };
  }
  const charset = r.int1("character set");
  const statusFlags = r.int2("status flags");
  capabilities = (capabilities | (r.int2("capability flags upper") << 16)) >>> 0;
  const authDataLength = r.int1("auth-plugin-data length");
  r.skip(6, "reserved");
  const extended = r.int4("reserved (MariaDB capabilities)");
  const mariadbCapabilities = capabilities & Capability.LONG_PASSWORD ? 0 : extended;
  let authPluginData = part1;
  if (capabilities & Capability.SECURE_CONNECTION) {
    const part2 = r.bytes(Math.max(13, authDataLength - 8), "auth-plugin-data part 2");
    // Part 2 ends with a NUL that is not part of the scramble.
    const scrambleEnd = part2[part2.length - 1] === 0 ? part2.length - 1 : part2.length;
    authPluginData = Buffer.concat([part1, part2.subarray(0, scrambleEnd)]);
  } else authPluginData = Buffer.from(part1);
  const authPluginName = capabilities & Capability.PLUGIN_AUTH ? r.nulStringOrRest("auth plugin name") : undefined;
  return { protocolVersion, serverVersion, connectionId, authPluginData, capabilities, mariadbCapabilities, charset, statusFlags, authPluginName };
}

export function serializeHandshakeV10(h: HandshakeV10): Buffer {
  const w = new PayloadWriter()
    .int1(h.protocolVersion)
    .nulString(h.serverVersion)
    .int4(h.connectionId)
    .bytes(h.authPluginData.subarray(0, 8))
    .int1(0)
    .int2(h.capabilities & 0xffff)
    .int1(h.charset)
    .int2(h.statusFlags)
    .int2(h.capabilities >>> 16)
    .int1(h.capabilities & Capability.PLUGIN_AUTH ? h.authPluginData.length + 1 : 0)
    .zeros(6)
    .int4(h.capabilities & Capability.LONG_PASSWORD ? 0 : h.mariadbCapabilities);
  if (h.capabilities & Capability.SECURE_CONNECTION) {
    const part2 = h.authPluginData.subarray(8);
    w.bytes(part2).zeros(Math.max(13 - part2.length, 1));
  }
  if (h.capabilities & Capability.PLUGIN_AUTH) w.nulString(h.authPluginName ?? "");
  return w.finish();
}

/** The first 32 bytes of a HandshakeResponse41: all an SSLRequest has. */
export interface ClientHelloHead {
  capabilities: number;
  maxPacketSize: number;
  charset: number;
  /** MariaDB's extended capabilities, from the last 4 filler bytes (0 when the client sets CLIENT_LONG_PASSWORD). */
  mariadbCapabilities: number;
}

export interface HandshakeResponse41 extends ClientHelloHead {
  username: string;
  authResponse: Buffer;
  /** With CLIENT_CONNECT_WITH_DB. */
  database: string | undefined;
  /** With CLIENT_PLUGIN_AUTH. */
  authPluginName: string | undefined;
  /** With CLIENT_CONNECT_ATTRS, in the order sent. */
  connectAttributes: Map<string, string> | undefined;
  /** With CLIENT_ZSTD_COMPRESSION_ALGORITHM (MySQL 8.0.18+). */
  zstdCompressionLevel: number | undefined;
}

export type ClientHello = ({ kind: "ssl-request" } & ClientHelloHead) | ({ kind: "handshake-response" } & HandshakeResponse41);

const HELLO_HEAD_BYTES = 32;

function readHelloHead(r: PayloadReader): ClientHelloHead {
  const capabilities = r.int4("capability flags");
  if (!(capabilities & Capability.PROTOCOL_41)) {
    throw new ProtocolError(`${r.what}: client without CLIENT_PROTOCOL_41 (HandshakeResponse320) is not supported`, ErrorNumber.HANDSHAKE_ERROR, "08S01");
  }
  const maxPacketSize = r.int4("max packet size");
  const charset = r.int1("character set");
  r.skip(19, "filler");
  const extended = r.int4("filler (MariaDB capabilities)");
  return { capabilities, maxPacketSize, charset, mariadbCapabilities: capabilities & Capability.LONG_PASSWORD ? 0 : extended };
}

/** The client's first packet: an SSLRequest (32 bytes with CLIENT_SSL) or a HandshakeResponse41. */
export function parseClientHello(payload: Buffer): ClientHello {
  if (payload.length === HELLO_HEAD_BYTES) {
    const head = readHelloHead(new PayloadReader(payload, 0, payload.length, "SSLRequest"));
    if (!(head.capabilities & Capability.SSL)) throw new ProtocolError("SSLRequest without CLIENT_SSL", ErrorNumber.HANDSHAKE_ERROR, "08S01");
    return { kind: "ssl-request", ...head };
  }
  return { kind: "handshake-response", ...parseHandshakeResponse41(payload) };
}

export function parseHandshakeResponse41(payload: Buffer): HandshakeResponse41 {
  const r = new PayloadReader(payload, 0, payload.length, "HandshakeResponse41");
  const head = readHelloHead(r);
  const caps = head.capabilities;
  const username = r.nulString("username");
  let authResponse: Buffer;
  if (caps & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) authResponse = r.lenencBytes("auth response");
  else if (caps & Capability.SECURE_CONNECTION) authResponse = r.bytes(r.int1("auth response length"), "auth response");
  else authResponse = r.nulBytes("auth response");
  // The trailing optional fields: MySQL's server reads each only when bytes remain.
  const database = caps & Capability.CONNECT_WITH_DB && !r.atEnd ? r.nulString("database") : undefined;
  const authPluginName = caps & Capability.PLUGIN_AUTH && !r.atEnd ? r.nulStringOrRest("auth plugin name") : undefined;
  let connectAttributes: Map<string, string> | undefined;
  if (caps & Capability.CONNECT_ATTRS && !r.atEnd) {
    const length = r.lenenc("connect attributes length");
    const end = r.offset + length;
    if (end > r.end) r.fail(`connect attributes of ${length} bytes overrun the packet`);
    const attrs = new PayloadReader(payload, r.offset, end, "HandshakeResponse41 connect attributes");
    connectAttributes = new Map();
    while (!attrs.atEnd) connectAttributes.set(attrs.lenencString("attribute name"), attrs.lenencString("attribute value"));
    r.offset = end;
  }
  const zstdCompressionLevel = caps & Capability.ZSTD_COMPRESSION_ALGORITHM && !r.atEnd ? r.int1("zstd compression level") : undefined;
  r.done();
  return { ...head, username, authResponse, database, authPluginName, connectAttributes, zstdCompressionLevel };
}

function writeHelloHead(w: PayloadWriter, head: ClientHelloHead): PayloadWriter {
  return w
    .int4(head.capabilities)
    .int4(head.maxPacketSize)
    .int1(head.charset)
    .zeros(19)
    .int4(head.capabilities & Capability.LONG_PASSWORD ? 0 : head.mariadbCapabilities);
}

export function serializeSslRequest(head: ClientHelloHead): Buffer {
  return writeHelloHead(new PayloadWriter(), { ...head, capabilities: (head.capabilities | Capability.SSL) >>> 0 }).finish();
}

export function serializeHandshakeResponse41(h: HandshakeResponse41): Buffer {
  const caps = h.capabilities;
  const w = writeHelloHead(new PayloadWriter(), h).nulString(h.username);
  if (caps & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) w.lenencBytes(h.authResponse);
  else if (caps & Capability.SECURE_CONNECTION) {
    if (h.authResponse.length > 255) throw new ProtocolError("auth response above 255 bytes needs CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA");
    w.int1(h.authResponse.length).bytes(h.authResponse);
  } else w.nulString(h.authResponse);
  if (caps & Capability.CONNECT_WITH_DB) w.nulString(h.database ?? "");
  if (caps & Capability.PLUGIN_AUTH) w.nulString(h.authPluginName ?? "");
  if (caps & Capability.CONNECT_ATTRS) {
    const attrs = new PayloadWriter();
    for (const [name, value] of h.connectAttributes ?? []) attrs.lenencBytes(name).lenencBytes(value);
    w.lenencBytes(attrs.finish());
  }
  if (caps & Capability.ZSTD_COMPRESSION_ALGORITHM) w.int1(h.zstdCompressionLevel ?? 3);
  return w.finish();
}

/** AuthSwitchRequest: the server asks for another plugin, with that plugin's data (usually a new scramble). */
export interface AuthSwitchRequest {
  pluginName: string;
  /** Plugin data without the trailing NUL MySQL and MariaDB append to a scramble. */
  pluginData: Buffer;
}

export function parseAuthSwitchRequest(payload: Buffer): AuthSwitchRequest {
  const r = new PayloadReader(payload, 0, payload.length, "AuthSwitchRequest");
  if (r.int1("header") !== Header.AUTH_SWITCH) r.fail("header is not 0xfe");
  // A lone 0xfe is the pre-4.1 OldAuthSwitchRequest.
  if (r.atEnd) return { pluginName: "mysql_old_password", pluginData: Buffer.alloc(0) };
  const pluginName = r.nulStringOrRest("plugin name");
  const data = r.rest();
  return { pluginName, pluginData: data[data.length - 1] === 0 ? data.subarray(0, data.length - 1) : data };
}

export function serializeAuthSwitchRequest(request: AuthSwitchRequest): Buffer {
  return new PayloadWriter().int1(Header.AUTH_SWITCH).nulString(request.pluginName).nulString(request.pluginData).finish();
}

/** AuthMoreData: 0x01 then plugin data (caching_sha2_password's 0x03 / 0x04 status, or a PEM public key). */
export function parseAuthMoreData(payload: Buffer): Buffer {
  if (payload.length < 1 || payload[0] !== Header.AUTH_MORE_DATA) throw new ProtocolError("AuthMoreData: header is not 0x01");
  return payload.subarray(1);
}

export function serializeAuthMoreData(data: Buffer): Buffer {
  return new PayloadWriter().int1(Header.AUTH_MORE_DATA).bytes(data).finish();
}
