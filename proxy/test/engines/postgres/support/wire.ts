/**
 * A raw protocol-3 client for tests that need exact bytes: scripts run against PostgreSQL directly and through the
 * proxy to compare what each answered, and malformed input (the fuzzer, startup packets, protocol errors). The
 * builders take any field values; the client can open without logging in and sends whatever it is given.
 */
import { Buffer } from "node:buffer";
import { connect, type Socket } from "node:net";

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
export const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);

/** An Int16 field; counts in one are read by PostgreSQL as unsigned (up to 65,535 parameters). */
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

/**
 * Well-formed frontend messages. Parameters are sent as text; null as SQL NULL. Lists are joined before framing, so
 * that 65,535 of them are not spread into arguments.
 */
export const msg = {
  query: (sql: string) => frame("Q", cstr(sql)),
  parse: (name: string, sql: string, types: number[] = []) => frame("P", cstr(name), cstr(sql), int16(types.length), Buffer.concat(types.map(int32))),
  bind: (portal: string, statement: string, values: Array<string | null> = []) =>
    frame(
      "B",
      cstr(portal),
      cstr(statement),
      int16(0),
      int16(values.length),
      Buffer.concat(values.flatMap((v) => (v === null ? [int32(-1)] : [int32(Buffer.byteLength(v)), Buffer.from(v)]))),
      int16(0),
    ),
  describeStatement: (name: string) => frame("D", Buffer.from("S"), cstr(name)),
  describePortal: (name: string) => frame("D", Buffer.from("P"), cstr(name)),
  execute: (portal = "", maxRows = 0) => frame("E", cstr(portal), int32(maxRows)),
  closeStatement: (name: string) => frame("C", Buffer.from("S"), cstr(name)),
  sync: () => frame("S"),
  flush: () => frame("H"),
  copyData: (data: Buffer | string) => frame("d", Buffer.from(data)),
  copyDone: () => frame("c"),
  copyFail: (reason: string) => frame("f", cstr(reason)),
  terminate: () => frame("X"),
  /** FunctionCall of `oid` with text arguments and a text result. */
  functionCall: (oid: number, args: string[]) =>
    frame("F", int32(oid), int16(1), int16(0), int16(args.length), Buffer.concat(args.flatMap((a) => [int32(Buffer.byteLength(a)), Buffer.from(a)])), int16(0)),
};

export interface BackendMessage {
  /** The type byte as a character ("Z", "E", "1", ...). */
  type: string;
  /** The message body, after type and length. */
  body: Buffer;
}

/** The fields of an ErrorResponse or NoticeResponse body by their code letter (S, V, C, M, ...). */
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

/**
 * A short, comparable form of a backend message: "Z:I", "E:42P01", "C:SELECT 1", "D:[1,null]" (text columns),
 * "T:[a,b]", "1", "2", "3", "n", "t", "s", "G", "H", "d:<bytes>", "N:<code>"...
 */
export function summary(m: BackendMessage): string {
  switch (m.type) {
    case "Z":
      return `Z:${String.fromCharCode(m.body[0]!)}`;
    case "E":
    case "N":
      return `${m.type}:${errorFields(m.body).C}`;
    case "C":
      return `C:${m.body.toString("utf8", 0, m.body.length - 1)}`;
    case "D": {
      const values: Array<string | null> = [];
      let offset = 2;
      for (let i = m.body.readInt16BE(0); i > 0; i--) {
        const length = m.body.readInt32BE(offset);
        offset += 4;
        values.push(length < 0 ? null : m.body.toString("utf8", offset, offset + length));
        offset += Math.max(0, length);
      }
      return `D:${JSON.stringify(values)}`;
    }
    case "T": {
      const names: string[] = [];
      let offset = 2;
      for (let i = m.body.readInt16BE(0); i > 0; i--) {
        const end = m.body.indexOf(0, offset);
        names.push(m.body.toString("utf8", offset, end));
        offset = end + 1 + 18;
      }
      return `T:${names.join(",")}`;
    }
    case "d":
      return `d:${m.body.length}`;
    case "V": {
      const length = m.body.readInt32BE(0);
      return `V:${length < 0 ? "null" : m.body.toString("utf8", 4, 4 + length)}`;
    }
    default:
      return m.type;
  }
}

export class WireClient {
  /** Every backend message received, in order (readUntil hands them out once; they stay here). */
  readonly messages: BackendMessage[] = [];
  /** Resolves when the connection has closed. */
  readonly closed: Promise<void>;
  /** How many of `messages` readUntil has handed out. */
  private consumed = 0;
  /** What has arrived and is not yet a whole message: kept as chunks, joined only once a message is complete. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiters: (() => void)[] = [];
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.frame();
      this.wake();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.ended = true;
        resolve();
        this.wake();
      }),
    );
  }

  /** Connects without logging in. */
  static open(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => resolve(new WireClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Connects and logs in (trust), returning once the server is ready for queries. */
  static async connect(port: number, parameters?: Record<string, string>): Promise<WireClient> {
    const client = await WireClient.open(port);
    client.send(startupPacket(parameters));
    const login = await client.readUntil((m) => m.type === "Z" || m.type === "E");
    if (login.at(-1)!.type !== "Z") throw new Error(`login failed: ${errorFields(login.at(-1)!.body).M}`);
    return client;
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  send(...bytes: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(bytes));
  }

  /** Messages not yet read, up to and including the first that satisfies `last`; rejects when the connection ends first. */
  async readUntil(last: (m: BackendMessage) => boolean, timeoutMs = 20_000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.consumed; i < this.messages.length; i++) if (last(this.messages[i]!)) return this.read(i + 1);
      if (this.ended) throw new Error(`connection ended; received ${this.unread().map(summary).join(" ")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received ${this.unread().map(summary).join(" ")}`);
      await this.next(left);
    }
  }

  /** Summaries of the messages up to and including the `count`-th ReadyForQuery. */
  async untilReady(count = 1, timeoutMs?: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(...(await this.readUntil((m) => m.type === "Z", timeoutMs)).map(summary));
    return out;
  }

  /** Everything not yet read, once the server has closed the connection. */
  async untilClosed(timeoutMs = 20_000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open; received ${this.unread().map(summary).join(" ")}`);
      await this.next(left);
    }
    return this.read(this.messages.length);
  }

  /** The first ErrorResponse's fields, once the connection has closed. */
  async fatalError(): Promise<Record<string, string> | undefined> {
    await this.closed;
    const error = this.messages.find((m) => m.type === "E");
    return error ? errorFields(error.body) : undefined;
  }

  close(): void {
    if (!this.ended) this.socket.end(msg.terminate());
  }

  destroy(): void {
    this.socket.destroy();
  }

  private frame(): void {
    while (this.buffered >= 5) {
      let head = this.chunks[0]!;
      if (head.length < 5) {
        head = Buffer.concat(this.chunks);
        this.chunks = [head];
      }
      const length = head.readInt32BE(1);
      if (this.buffered < 1 + length) return;
      const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks);
      this.messages.push({ type: String.fromCharCode(all[0]!), body: Buffer.from(all.subarray(5, 1 + length)) });
      const rest = all.subarray(1 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  private unread(): BackendMessage[] {
    return this.messages.slice(this.consumed);
  }

  private read(upTo: number): BackendMessage[] {
    const out = this.messages.slice(this.consumed, upTo);
    this.consumed = upTo;
    return out;
  }

  /** Resolves at the next message or close, or after `ms`. */
  private next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
