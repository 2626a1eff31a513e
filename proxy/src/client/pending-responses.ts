/**
 * What a client still waits for from the database, in order: one entry per request message sent (or answered by
 * the proxy itself). The proxy needs it to drop the answers to messages it injected (a Parse that prepares a client's
 * statement on a new connection), to answer in the right place for messages it did not send (a Parse of a statement
 * the connection already has), and to know when a connection is free again.
 */
import { Backend } from "../protocol/message-types.js";

/** Which response ends an entry: one per request type of the extended protocol, "ready" for ReadyForQuery. */
export type Expect = "parse" | "bind" | "close" | "describe" | "execute" | "ready";

type Action = "forward" | "drop" | "answer";

/**
 * One request awaiting its answer. A class, built through the factories below, so every entry has the same shape:
 * the code that matches answers to entries runs once per message from the database.
 */
export class PendingResponse {
  /** An ErrorResponse arrived before the entry's ReadyForQuery. */
  failed = false;

  private constructor(
    readonly expect: Expect,
    /** forward: pass the answer on; drop: the proxy asked, the client must not see it; answer: send `answer` instead. */
    readonly action: Action,
    readonly answer: Buffer | undefined,
    /** For dropped requests the client still depends on (a Parse the proxy added before the client's Bind). */
    readonly forwardErrors: boolean,
    /** Told whether the request succeeded (false when an error skipped it). */
    readonly done: ((ok: boolean) => void) | undefined,
  ) {}

  /** The client's own request: the database's answer goes to the client. */
  static forward(expect: Expect): PendingResponse {
    return new PendingResponse(expect, "forward", undefined, false, undefined);
  }

  /** A request the proxy answers itself with `message`, in its turn. */
  static answer(message: Buffer): PendingResponse {
    return new PendingResponse("ready", "answer", message, false, undefined);
  }

  /** A request of the proxy's own: the client sees neither its answer nor its errors. */
  static drop(expect: Expect, done?: (ok: boolean) => void): PendingResponse {
    return new PendingResponse(expect, "drop", undefined, false, done);
  }

  /** A Parse the proxy sends for a client's statement: its errors reach the client, its answer only if `forward`. */
  static prepare(action: "forward" | "drop", done: (ok: boolean) => void): PendingResponse {
    return new PendingResponse("parse", action, undefined, true, done);
  }
}

export function endsWith(expect: Expect, type: number): boolean {
  switch (expect) {
    case "ready":
      return type === Backend.ReadyForQuery;
    case "parse":
      return type === Backend.ParseComplete;
    case "bind":
      return type === Backend.BindComplete;
    case "close":
      return type === Backend.CloseComplete;
    case "describe":
      return type === Backend.RowDescription || type === Backend.NoData;
    case "execute":
      return type === Backend.CommandComplete || type === Backend.EmptyQueryResponse || type === Backend.PortalSuspended;
  }
}

export class PendingResponses {
  private items: PendingResponse[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): PendingResponse | undefined {
    return this.items[this.head];
  }

  push(entry: PendingResponse): void {
    this.items.push(entry);
  }

  shift(): PendingResponse | undefined {
    const entry = this.items[this.head];
    if (entry === undefined) return undefined;
    this.head++;
    if (this.head === this.items.length) {
      // Emptied (after every ReadyForQuery): reuse the array rather than allocate one per request.
      this.items.length = 0;
      this.head = 0;
    }
    return entry;
  }

  /** After an error in the extended protocol the server skips everything up to the next Sync: so do we. */
  skipToSync(): PendingResponse[] {
    const skipped: PendingResponse[] = [];
    for (let head = this.peek(); head && (head.expect !== "ready" || head.action === "answer"); head = this.peek()) {
      skipped.push(this.shift()!);
    }
    return skipped;
  }

  clear(): PendingResponse[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}
