/**
 * Bytes as they come, for tests of malformed input (the fuzzer, startup packets, protocol errors): builders that take
 * any field values, and a client that can open without logging in and sends whatever it is given. Well-formed
 * scripts compared against PostgreSQL use wire.ts.
 */
import { connect, type Socket } from "node:net";

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
export const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);

export function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
}

/** A typed message: type byte, length, body. */
export function frame(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type, "latin1"), int32(body.length + 4), body]);
}

export function startupPacket(parameters: Record<string, string> = { user: "postgres", database: "postgres" }): Buffer {
  const pairs = Object.entries(parameters).flatMap(([name, value]) => [cstr(name), cstr(value)]);
  const body = Buffer.concat([int32(196608), ...pairs, Buffer.from([0])]);
  return Buffer.concat([int32(body.length + 4), body]);
}

export interface BackendMessage {
  type: string;
  body: Buffer;
}

/** The fields of an ErrorResponse body by their code letter (S, V, C, M, ...). */
export function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const nul = body.indexOf(0, at + 1);
    fields[String.fromCharCode(body[at]!)] = body.toString("utf8", at + 1, nul);
    at = nul + 1;
  }
  return fields;
}

export class RawClient {
  readonly messages: BackendMessage[] = [];
  readonly closed: Promise<void>;
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.isClosed = true;
        resolve();
        this.wake();
      }),
    );
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Opens a connection and logs in (trust) up to the first ReadyForQuery. */
  static async login(port: number, parameters?: Record<string, string>): Promise<RawClient> {
    const client = await RawClient.open(port);
    client.send(startupPacket(parameters));
    await client.until((m) => m.type === "Z");
    return client;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Waits for a message matching `match` (counting from message `from`), or for the socket to close; returns it. */
  async until(match: (m: BackendMessage) => boolean, from = 0): Promise<BackendMessage | undefined> {
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found || this.isClosed) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The first ErrorResponse's fields, once the socket has closed. */
  async fatalError(): Promise<Record<string, string> | undefined> {
    await this.closed;
    const error = this.messages.find((m) => m.type === "E");
    return error ? errorFields(error.body) : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 5) {
      const total = 1 + this.buffered.readUInt32BE(1);
      if (this.buffered.length < total) break;
      this.messages.push({ type: String.fromCharCode(this.buffered[0]!), body: this.buffered.subarray(5, total) });
      this.buffered = this.buffered.subarray(total);
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
