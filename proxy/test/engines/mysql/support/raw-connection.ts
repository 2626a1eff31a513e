/**
 * A raw MySQL client for tests that need the server's exact bytes: it logs in with the module's own ClientLogin,
 * sends command payloads, and records every packet both ways, split by the module's PacketFramer and ended by its
 * ResponseTracker. Pieces of streamed packets are joined here (tests only) so each recorded packet is whole.
 */
import { Buffer } from "node:buffer";
import { connect, type Socket } from "node:net";
import { type ClientLoginOptions, ClientLogin } from "../../../../src/engines/mysql/auth/index.js";
import {
  Capability,
  type CompletedResponse,
  framePackets,
  type HandshakeV10,
  MAX_PAYLOAD,
  PacketFramer,
  packetCount,
  parseHandshakeV10,
  ResponseTracker,
} from "../../../../src/engines/mysql/protocol/index.js";

export const MARIADB = { host: "127.0.0.1", port: 3306 };

export interface RecordedPacket {
  from: "server" | "client";
  sequenceId: number;
  /** The physical packet, header included. */
  raw: Buffer;
  continued: boolean;
}

export const payloadOf = (p: RecordedPacket): Buffer => p.raw.subarray(4);

/** What the mysql2 driver asks for, roughly: the capabilities a modern client sets. */
export const CLIENT_CAPABILITIES =
  Capability.LONG_PASSWORD |
  Capability.FOUND_ROWS |
  Capability.LONG_FLAG |
  Capability.CONNECT_WITH_DB |
  Capability.LOCAL_FILES |
  Capability.PROTOCOL_41 |
  Capability.TRANSACTIONS |
  Capability.SECURE_CONNECTION |
  Capability.MULTI_STATEMENTS |
  Capability.MULTI_RESULTS |
  Capability.PS_MULTI_RESULTS |
  Capability.PLUGIN_AUTH |
  Capability.CONNECT_ATTRS |
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.SESSION_TRACK;

export class RawConnection {
  readonly recorded: RecordedPacket[] = [];
  handshake!: HandshakeV10;
  handshakePacket!: Buffer;
  capabilities = 0;
  mariadbCapabilities = 0;
  tracker!: ResponseTracker;
  private readonly framer: PacketFramer;
  private readonly arrived: RecordedPacket[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private streaming: Buffer[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    this.framer = new PacketFramer(
      {
        packet: (sequenceId, chunk, start, end, continued) => this.deliver({ from: "server", sequenceId, raw: Buffer.from(chunk.subarray(start, end)), continued }),
        piece: (sequenceId, bytes, first, last, continued) => {
          if (first) this.streaming = [];
          this.streaming.push(Buffer.from(bytes));
          if (last) this.deliver({ from: "server", sequenceId, raw: Buffer.concat(this.streaming), continued });
        },
        invalid: (error) => this.fail(error),
      },
      { maxPayloadBytes: 1 << 30, mustRead: (first, length) => this.tracker?.mustRead(first, length) ?? true },
    );
    socket.on("data", (chunk) => this.framer.push(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static async open(login: Partial<ClientLoginOptions> & { user?: string } = {}): Promise<RawConnection> {
    const socket = connect(MARIADB);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const c = new RawConnection(socket);
    const first = await c.next();
    c.handshakePacket = first.raw;
    c.handshake = parseHandshakeV10(payloadOf(first));
    const client = new ClientLogin(c.handshake, {
      username: login.user ?? "root",
      password: "",
      secureTransport: false,
      capabilities: CLIENT_CAPABILITIES,
      charset: 45,
      maxPacketSize: 1 << 24,
      ...login,
    });
    c.capabilities = client.capabilities;
    c.mariadbCapabilities = client.mariadbCapabilities;
    c.send(client.handshakeResponse(), 1);
    for (;;) {
      const packet = await c.next();
      const step = client.serverPacket(payloadOf(packet));
      if (step.kind === "send") c.send(step.payload, packet.sequenceId + 1);
      else if (step.kind === "ok") break;
      else if (step.kind === "error") throw new Error(`login refused: ${step.error.errno} ${step.error.message}`);
    }
    c.tracker = new ResponseTracker(c.capabilities, c.mariadbCapabilities);
    return c;
  }

  /** Frames and writes a payload from `sequenceId`; returns the sequence id the server answers with. */
  send(payload: Buffer, sequenceId: number): number {
    const bytes = framePackets(payload, sequenceId);
    for (let at = 0; at < bytes.length; ) {
      const length = bytes.readUIntLE(at, 3);
      this.recorded.push({ from: "client", sequenceId: bytes[at + 3]!, raw: bytes.subarray(at, at + 4 + length), continued: at > 0 });
      at += 4 + length;
    }
    this.socket.write(bytes);
    const next = (sequenceId + packetCount(payload.length)) & 0xff;
    this.framer.expectSequence(next);
    return next;
  }

  /**
   * Sends a command and collects the server's packets until the tracker says the response is complete. `file`
   * answers a LOCAL INFILE request (split into packets of at most `fileChunk` bytes).
   */
  async command(
    payload: Buffer,
    options: { file?: Buffer; fileChunk?: number; answer?: (serverPayload: Buffer) => Buffer } = {},
  ): Promise<{ packets: RecordedPacket[]; completed: CompletedResponse }> {
    const { file, fileChunk = 16 * 1024, answer } = options;
    const sent = this.send(payload, 0);
    const silent = this.tracker.command(payload, 0, payload.length);
    if (silent !== undefined) return { packets: [], completed: silent };
    let sequence = sent;
    const packets: RecordedPacket[] = [];
    for (;;) {
      const p = await this.next();
      packets.push(p);
      sequence = (p.sequenceId + 1) & 0xff;
      const done = this.tracker.serverPacket(p.raw, 0, p.raw.length, p.continued);
      if (done !== undefined) return { packets, completed: done };
      if (this.tracker.clientSendsNext && this.tracker.expecting.kind === "auth") {
        if (answer === undefined) throw new Error("the server asks the client to answer, and the test gave no answer");
        const reply = answer(payloadOf(p));
        sequence = this.send(reply, sequence);
        this.tracker.clientPacket(framePackets(reply, 0), 0, 4 + reply.length, false);
      } else if (this.tracker.clientSendsNext) {
        const data = file ?? Buffer.alloc(0);
        for (let at = 0; at < data.length; at += fileChunk) sequence = this.sendFilePacket(data.subarray(at, at + fileChunk), sequence);
        sequence = this.sendFilePacket(Buffer.alloc(0), sequence);
      }
    }
  }

  private sendFilePacket(data: Buffer, sequenceId: number): number {
    if (data.length >= MAX_PAYLOAD) throw new Error("file chunks stay below 16 MB here");
    const next = this.send(data, sequenceId);
    this.tracker.clientPacket(framePackets(data, sequenceId), 0, 4 + data.length, false);
    return next;
  }

  /** The next server packet. */
  async next(): Promise<RecordedPacket> {
    for (;;) {
      if (this.failure) throw this.failure;
      const p = this.arrived.shift();
      if (p) return p;
      if (this.closed) throw new Error("server closed the connection");
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  /** Resolves when the server has closed the connection. */
  async closedByServer(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(p: RecordedPacket): void {
    this.recorded.push(p);
    this.arrived.push(p);
    this.wake?.();
  }

  private fail(error: Error): void {
    this.failure = error;
    this.wake?.();
  }
}

/** A command payload: the command byte and its fields. */
export function commandPayload(command: number, ...parts: Array<Buffer | string>): Buffer {
  return Buffer.concat([Buffer.from([command]), ...parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p))]);
}
