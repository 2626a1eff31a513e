/**
 * A raw protocol-3 client for tests that need exact messages: it sends the bytes it is given and reads the backend's
 * messages one by one, so a test can run the same script against PostgreSQL directly and through the proxy and
 * compare what each answered.
 */
import { Buffer } from "node:buffer";
import { connect, type Socket } from "node:net";

export interface BackendMessage {
  /** The type byte as a character ("Z", "E", "1", ...). */
  type: string;
  /** The message body, after type and length. */
  body: Buffer;
}

function message(type: string, parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const cstring = (s: string) => Buffer.from(`${s}\0`);
/** A count in an Int16 field, read by PostgreSQL as unsigned (up to 65,535 parameters). */
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** Frontend messages. Parameters are sent as text; null as SQL NULL. */
export const msg = {
  query: (sql: string) => message("Q", [cstring(sql)]),
  parse: (name: string, sql: string, types: number[] = []) => message("P", [cstring(name), cstring(sql), int16(types.length), ...types.map(int32)]),
  bind: (portal: string, statement: string, values: Array<string | null> = []) =>
    message("B", [
      cstring(portal),
      cstring(statement),
      int16(0),
      int16(values.length),
      ...values.flatMap((v) => (v === null ? [int32(-1)] : [int32(Buffer.byteLength(v)), Buffer.from(v)])),
      int16(0),
    ]),
  describeStatement: (name: string) => message("D", [Buffer.from("S"), cstring(name)]),
  describePortal: (name: string) => message("D", [Buffer.from("P"), cstring(name)]),
  execute: (portal = "", maxRows = 0) => message("E", [cstring(portal), int32(maxRows)]),
  closeStatement: (name: string) => message("C", [Buffer.from("S"), cstring(name)]),
  sync: () => message("S", []),
  flush: () => message("H", []),
  copyData: (data: Buffer | string) => message("d", [Buffer.from(data)]),
  copyDone: () => message("c", []),
  copyFail: (reason: string) => message("f", [cstring(reason)]),
  terminate: () => message("X", []),
};

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
      return `${m.type}:${fields(m.body).get("C")}`;
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
    default:
      return m.type;
  }
}

/** The fields of an ErrorResponse or NoticeResponse body. */
export function fields(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const end = body.indexOf(0, offset + 1);
    out.set(String.fromCharCode(body[offset]!), body.toString("utf8", offset + 1, end));
    offset = end + 1;
  }
  return out;
}

export class WireClient {
  /** What has arrived and is not yet a whole message: kept as chunks, joined only once a message is complete. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly messages: BackendMessage[] = [];
  private wake: (() => void) | undefined;
  ended = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.frame();
      this.wake?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on("error", () => {});
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

  /** Connects and logs in (trust), returning once the server is ready for queries. */
  static async connect(port: number, user = "postgres", database = "postgres"): Promise<WireClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
      s.once("error", reject);
    });
    const client = new WireClient(socket);
    const body = Buffer.concat([int32(196608), cstring("user"), cstring(user), cstring("database"), cstring(database), Buffer.from([0])]);
    socket.write(Buffer.concat([int32(4 + body.length), body]));
    const login = await client.readUntil((m) => m.type === "Z" || m.type === "E");
    if (login.at(-1)!.type !== "Z") throw new Error(`login failed: ${fields(login.at(-1)!.body).get("M")}`);
    return client;
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /** Writes bytes as they are (a message split over several writes, say). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Messages up to and including the first that satisfies `last`; rejects when the connection ends first. */
  async readUntil(last: (m: BackendMessage) => boolean, timeoutMs = 20_000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.messages.findIndex(last);
      if (at >= 0) return this.messages.splice(0, at + 1);
      if (this.ended) throw new Error(`connection ended; received ${this.messages.map(summary).join(" ")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received ${this.messages.map(summary).join(" ")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Summaries of the messages up to and including the `count`-th ReadyForQuery. */
  async untilReady(count = 1, timeoutMs?: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(...(await this.readUntil((m) => m.type === "Z", timeoutMs)).map(summary));
    return out;
  }

  /** Everything received until the server closes the connection. */
  async untilClosed(timeoutMs = 20_000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`still open; received ${this.messages.map(summary).join(" ")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.messages.splice(0);
  }

  close(): void {
    if (!this.ended) this.socket.end(msg.terminate());
  }
}
