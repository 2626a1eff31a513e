/**
 * A PostgreSQL client that speaks the wire protocol by hand (trust authentication only), for what drivers do not
 * expose: FunctionCall messages, every ParameterStatus the server or proxy sends, arbitrary startup parameters.
 */
import { connect, type Socket } from "node:net";

export interface WireError {
  severity: string;
  code: string;
  message: string;
}

export interface WireResult {
  rows: Array<Array<string | null>>;
  error?: WireError;
  /** ParameterStatus messages received while the request ran, in order. */
  parameterStatus: Array<[string, string]>;
}

interface Message {
  type: string;
  body: Buffer;
}

export class WireClient {
  /** The latest value of every parameter reported (ParameterStatus), login included. */
  readonly parameters = new Map<string, string>();
  private buffer = Buffer.alloc(0);
  private readonly messages: Message[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 5) {
        const length = this.buffer.readInt32BE(1);
        if (this.buffer.length < 1 + length) break;
        this.messages.push({ type: String.fromCharCode(this.buffer[0]!), body: this.buffer.subarray(5, 1 + length) });
        this.buffer = this.buffer.subarray(1 + length);
      }
      this.waiter?.();
    });
    const onClose = () => {
      this.closed = true;
      this.waiter?.();
    };
    socket.on("close", onClose);
    socket.on("error", onClose);
  }

  /** Logs in; rejects with the server's (or proxy's) error when it refuses. */
  static async connect(port: number, parameters: Record<string, string>): Promise<WireClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
      s.once("error", reject);
    });
    const client = new WireClient(socket);
    const pairs = Object.entries(parameters).flatMap(([name, value]) => [cString(name), cString(value)]);
    const body = Buffer.concat([int32(196608), ...pairs, Buffer.from([0])]);
    socket.write(Buffer.concat([int32(body.length + 4), body]));
    const result = await client.untilReady();
    if (result.error) {
      socket.destroy();
      throw Object.assign(new Error(result.error.message), result.error);
    }
    return client;
  }

  query(sql: string): Promise<WireResult> {
    this.socket.write(message("Q", cString(sql)));
    return this.untilReady();
  }

  /** FunctionCall with text arguments and a text result: the result is the only row. */
  functionCall(oid: number, args: Array<string | null>): Promise<WireResult> {
    const parts = [int32(oid), int16(1), int16(0), int16(args.length)];
    for (const arg of args) {
      if (arg === null) parts.push(int32(-1));
      else {
        const bytes = Buffer.from(arg, "utf8");
        parts.push(int32(bytes.length), bytes);
      }
    }
    parts.push(int16(0));
    this.socket.write(message("F", Buffer.concat(parts)));
    return this.untilReady();
  }

  /** Sends bytes as they are (a malformed message, say) and reads until ReadyForQuery or a FATAL error. */
  raw(bytes: Buffer): Promise<WireResult> {
    this.socket.write(bytes);
    return this.untilReady();
  }

  end(): void {
    this.socket.end(message("X", Buffer.alloc(0)));
  }

  /** Drops the socket without a Terminate: a crashed client. */
  destroy(): void {
    this.socket.destroy();
  }

  private async untilReady(): Promise<WireResult> {
    const result: WireResult = { rows: [], parameterStatus: [] };
    for (;;) {
      const next = await this.next();
      if (!next) {
        result.error ??= { severity: "FATAL", code: "08006", message: "connection closed" };
        return result;
      }
      const { type, body } = next;
      if (type === "Z") return result;
      if (type === "E") {
        result.error = errorFields(body);
        if (result.error.severity === "FATAL") return result;
      } else if (type === "S") {
        const name = body.toString("utf8", 0, body.indexOf(0));
        const value = body.toString("utf8", body.indexOf(0) + 1, body.length - 1);
        this.parameters.set(name, value);
        result.parameterStatus.push([name, value]);
      } else if (type === "D") result.rows.push(dataRow(body));
      else if (type === "V") {
        const length = body.readInt32BE(0);
        result.rows.push([length < 0 ? null : body.toString("utf8", 4, 4 + length)]);
      }
    }
  }

  private async next(): Promise<Message | undefined> {
    while (this.messages.length === 0) {
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = undefined;
    }
    return this.messages.shift();
  }
}

function errorFields(body: Buffer): WireError {
  const fields = new Map<string, string>();
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const end = body.indexOf(0, offset + 1);
    fields.set(String.fromCharCode(body[offset]!), body.toString("utf8", offset + 1, end));
    offset = end + 1;
  }
  return { severity: fields.get("V") ?? fields.get("S") ?? "", code: fields.get("C") ?? "", message: fields.get("M") ?? "" };
}

function dataRow(body: Buffer): Array<string | null> {
  const values: Array<string | null> = [];
  let offset = 2;
  for (let i = 0; i < body.readInt16BE(0); i++) {
    const length = body.readInt32BE(offset);
    offset += 4;
    values.push(length < 0 ? null : body.toString("utf8", offset, offset + length));
    offset += Math.max(0, length);
  }
  return values;
}

const cString = (text: string): Buffer => Buffer.from(`${text}\0`, "utf8");

function int32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt32BE(value);
  return out;
}

function int16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeInt16BE(value);
  return out;
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}
