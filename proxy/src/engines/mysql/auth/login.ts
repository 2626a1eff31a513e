/**
 * The connection phase as two explicit state machines over packet payloads (the caller frames them and upgrades to
 * TLS): `ClientLogin` is the proxy logging in to the database, `ServerLogin` the proxy accepting an application.
 * Both pick the plugin the other side asks for among the ones here, switching plugins with AuthSwitchRequest.
 */
import { randomBytes } from "node:crypto";
import { Capability, Header } from "../protocol/constants.js";
import {
  type HandshakeResponse41,
  type HandshakeV10,
  parseAuthMoreData,
  parseAuthSwitchRequest,
  parseClientHello,
  serializeAuthMoreData,
  serializeAuthSwitchRequest,
  serializeHandshakeResponse41,
  serializeHandshakeV10,
} from "../protocol/handshake.js";
import { ErrorNumber, ProtocolError } from "../protocol/protocol-error.js";
import { type ErrPacket, type OkPacket, parseErr, parseOk, serializeErr } from "../protocol/responses.js";
import type { ClientAuthOptions, ClientAuthPlugin, Credential, ServerAuthOptions, ServerAuthPlugin } from "./auth-plugin.js";
import { CACHING_SHA2_PASSWORD, cachingSha2Client, cachingSha2Server } from "./caching-sha2-password.js";
import { NATIVE_PASSWORD, nativePasswordClient, nativePasswordServer } from "./native-password.js";

export const CLEAR_PASSWORD = "mysql_clear_password";

/** The client side of a plugin by name; undefined for one not implemented here. */
export function clientAuthPlugin(name: string, options: ClientAuthOptions): ClientAuthPlugin | undefined {
  switch (name) {
    case NATIVE_PASSWORD:
      return nativePasswordClient(options.password);
    case CACHING_SHA2_PASSWORD:
      return cachingSha2Client(options);
    case CLEAR_PASSWORD:
      // Sent as is: RDS IAM authentication uses it, over TLS only.
      return { name, initialResponse: () => Buffer.from(`${options.password}\0`, "utf8"), moreData: () => undefined };
    default:
      return undefined;
  }
}

/** The server side of a plugin by name; undefined for one not implemented here. */
export function serverAuthPlugin(name: string, scramble: Buffer, credential: Credential, options: ServerAuthOptions): ServerAuthPlugin | undefined {
  switch (name) {
    case NATIVE_PASSWORD:
      return nativePasswordServer(scramble, credential);
    case CACHING_SHA2_PASSWORD:
      return cachingSha2Server(scramble, credential, options);
    default:
      return undefined;
  }
}

/** A 20-byte scramble as MySQL makes one: 7-bit, no NUL and no '$'. */
export function newScramble(): Buffer {
  const s = randomBytes(20);
  for (let i = 0; i < s.length; i++) {
    s[i] = s[i]! & 0x7f;
    if (s[i] === 0 || s[i] === 0x24) s[i]! += 1;
  }
  return s;
}

export type ClientLoginStep =
  | { kind: "send"; payload: Buffer }
  | { kind: "wait" }
  | { kind: "ok"; ok: OkPacket }
  | { kind: "error"; error: ErrPacket };

export interface ClientLoginOptions extends ClientAuthOptions {
  username: string;
  database?: string;
  /** Capabilities the proxy wants; the ones the server lacks are dropped. */
  capabilities: number;
  mariadbCapabilities?: number;
  charset: number;
  maxPacketSize: number;
  connectAttributes?: Map<string, string>;
  /** The plugin to answer the handshake with; by default the server's own when implemented here. */
  authPluginName?: string;
}

/** Capabilities a client may ask for: only what the server offers, and always CLIENT_PROTOCOL_41. */
export function negotiateCapabilities(server: number, wanted: number): number {
  if (!(server & Capability.PROTOCOL_41)) throw new ProtocolError("server without CLIENT_PROTOCOL_41 is not supported", ErrorNumber.HANDSHAKE_ERROR, "08S01");
  return (server & wanted) >>> 0;
}

export class ClientLogin {
  /** Capabilities both sides agreed on. */
  readonly capabilities: number;
  readonly mariadbCapabilities: number;
  private plugin: ClientAuthPlugin;

  constructor(
    private readonly handshake: HandshakeV10,
    private readonly options: ClientLoginOptions,
  ) {
    let caps = negotiateCapabilities(handshake.capabilities, options.capabilities | Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION);
    if (options.database === undefined) caps &= ~Capability.CONNECT_WITH_DB;
    if (options.connectAttributes === undefined) caps &= ~Capability.CONNECT_ATTRS;
    this.capabilities = caps >>> 0;
    this.mariadbCapabilities = this.capabilities & Capability.LONG_PASSWORD ? 0 : (handshake.mariadbCapabilities & (options.mariadbCapabilities ?? 0)) >>> 0;
    // The server's default plugin when implemented here; a server that wants another switches to it.
    const first = options.authPluginName ?? handshake.authPluginName ?? NATIVE_PASSWORD;
    this.plugin = clientAuthPlugin(first, options) ?? nativePasswordClient(options.password);
  }

  /** The HandshakeResponse41 payload. */
  handshakeResponse(): Buffer {
    const response: HandshakeResponse41 = {
      capabilities: this.capabilities,
      maxPacketSize: this.options.maxPacketSize,
      charset: this.options.charset,
      mariadbCapabilities: this.mariadbCapabilities,
      username: this.options.username,
      authResponse: this.plugin.initialResponse(this.handshake.authPluginData),
      database: this.options.database,
      authPluginName: this.plugin.name,
      connectAttributes: this.options.connectAttributes,
      zstdCompressionLevel: undefined,
    };
    return serializeHandshakeResponse41(response);
  }

  /** A packet from the server after the handshake response. */
  serverPacket(payload: Buffer): ClientLoginStep {
    switch (payload[0]) {
      case Header.OK:
        return { kind: "ok", ok: parseOk(payload, this.capabilities) };
      case Header.ERR:
        return { kind: "error", error: parseErr(payload, this.capabilities) };
      case Header.AUTH_SWITCH: {
        const request = parseAuthSwitchRequest(payload);
        const plugin = clientAuthPlugin(request.pluginName, this.options);
        if (plugin === undefined) {
          // CR_AUTH_PLUGIN_CANNOT_LOAD, as a MySQL client says it.
          return { kind: "error", error: { errno: 2059, sqlState: "HY000", message: `Authentication plugin '${request.pluginName}' cannot be loaded` } };
        }
        this.plugin = plugin;
        return { kind: "send", payload: plugin.initialResponse(request.pluginData) };
      }
      case Header.AUTH_MORE_DATA: {
        const answer = this.plugin.moreData(parseAuthMoreData(payload));
        return answer === undefined ? { kind: "wait" } : { kind: "send", payload: answer };
      }
      default:
        throw new ProtocolError(`login: unexpected server packet starting ${payload[0]}`);
    }
  }
}

export type ServerLoginStep =
  /** Send this payload (AuthSwitchRequest, AuthMoreData) and wait for the client's next packet. */
  | { kind: "send"; payload: Buffer }
  /** The client asked for TLS: upgrade the socket, then go on with its next packet. */
  | { kind: "ssl" }
  /** Logged in: send `payloads` (maybe AuthMoreData fast-auth success), then the caller's OK. */
  | { kind: "accepted"; response: HandshakeResponse41; payloads: Buffer[] }
  /** Refused: send `payload` (an ERR) and close. */
  | { kind: "rejected"; payload: Buffer; reason: string };

export interface ServerLoginOptions extends ServerAuthOptions {
  handshake: Omit<HandshakeV10, "authPluginData" | "protocolVersion"> & { authPluginName: string };
  /** The user's credential; undefined for an unknown user. */
  lookup: (username: string) => Credential | undefined;
  scramble?: Buffer;
}

export class ServerLogin {
  readonly scramble: Buffer;
  private phase: "hello" | "switch" | "plugin" | "done" = "hello";
  private response: HandshakeResponse41 | undefined;
  private plugin: ServerAuthPlugin | undefined;
  private secure: boolean;

  constructor(private readonly options: ServerLoginOptions) {
    this.scramble = options.scramble ?? newScramble();
    this.secure = options.secureTransport;
  }

  /** Capabilities both sides agreed on, once the client answered. */
  get capabilities(): number {
    return this.response === undefined ? 0 : (this.response.capabilities & this.options.handshake.capabilities) >>> 0;
  }

  /** The HandshakeV10 payload. */
  handshake(): Buffer {
    return serializeHandshakeV10({ ...this.options.handshake, protocolVersion: 10, authPluginData: this.scramble });
  }

  /** The socket became TLS after an SSLRequest. */
  secured(): void {
    this.secure = true;
  }

  /** A packet from the client. */
  clientPacket(payload: Buffer): ServerLoginStep {
    switch (this.phase) {
      case "hello":
        return this.hello(payload);
      case "switch":
        this.phase = "plugin";
        return this.step(payload);
      case "plugin":
        return this.step(payload);
      case "done":
        throw new ProtocolError("login: client packet after authentication ended");
    }
  }

  private hello(payload: Buffer): ServerLoginStep {
    const hello = parseClientHello(payload);
    if (hello.kind === "ssl-request") {
      if (!(this.options.handshake.capabilities & Capability.SSL)) throw new ProtocolError("SSLRequest to a server without CLIENT_SSL", ErrorNumber.HANDSHAKE_ERROR, "08S01");
      return { kind: "ssl" };
    }
    this.response = hello;
    const credential = this.options.lookup(hello.username);
    if (credential === undefined) return this.reject(`unknown user ${hello.username}`);
    const wanted = this.options.handshake.authPluginName;
    const options = { ...this.options, secureTransport: this.secure };
    this.plugin = serverAuthPlugin(wanted, this.scramble, credential, options);
    if (this.plugin === undefined) throw new ProtocolError(`login: server plugin ${wanted} is not implemented`);
    if (hello.capabilities & Capability.PLUGIN_AUTH && hello.authPluginName !== wanted) {
      // The client answered for another plugin: ask again for ours, over the same scramble.
      this.phase = "switch";
      return { kind: "send", payload: serializeAuthSwitchRequest({ pluginName: wanted, pluginData: this.scramble }) };
    }
    this.phase = "plugin";
    return this.step(hello.authResponse);
  }

  private step(response: Buffer): ServerLoginStep {
    const step = this.plugin!.step(response);
    switch (step.kind) {
      case "more":
        return { kind: "send", payload: serializeAuthMoreData(step.data) };
      case "accept":
        this.phase = "done";
        return { kind: "accepted", response: this.response!, payloads: step.data === undefined ? [] : [serializeAuthMoreData(step.data)] };
      case "reject":
        return this.reject(step.reason);
    }
  }

  private reject(reason: string): ServerLoginStep {
    this.phase = "done";
    const user = this.response?.username ?? "";
    const payload = serializeErr(
      { errno: ErrorNumber.ACCESS_DENIED, sqlState: "28000", message: `Access denied for user '${user}' (using password: ${this.response?.authResponse.length ? "YES" : "NO"})` },
      Capability.PROTOCOL_41,
    );
    return { kind: "rejected", payload, reason };
  }
}
