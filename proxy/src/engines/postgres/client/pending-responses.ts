/**
 * What a client still waits for from the database, in order: one entry per request message sent (or answered by
 * the proxy itself). The proxy needs it to drop the answers to messages it injected (a Parse that prepares a client's
 * statement on a new connection), to answer in the right place for messages it did not send (a Parse of a statement
 * the connection already has), and to know when a connection is free again.
 */
import { Backend } from "../protocol/message-types.js";

/**
 * Which response ends an entry: one per request type of the extended protocol; ReadyForQuery ends "sync" (a Sync)
 * and "ready" (a Query or FunctionCall). The two differ after an error in the extended protocol: the server then
 * discards every message, Queries included, up to the next Sync.
 */
export type Expect = "parse" | "bind" | "close" | "describe" | "execute" | "sync" | "ready";

type Action = "forward" | "drop" | "answer";

/**
 * One request awaiting its answer. A class, built through the factories below, so every entry has the same shape:
 * the code that matches answers to entries runs once per message from the database.
 */
export class PendingResponse {
  /** An ErrorResponse arrived before the entry's ReadyForQuery (noted only for entries told of their outcome). */
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

  /** The entries forward() hands out, one per expected answer. */
  private static readonly shared = {
    parse: new PendingResponse("parse", "forward", undefined, false, undefined),
    bind: new PendingResponse("bind", "forward", undefined, false, undefined),
    close: new PendingResponse("close", "forward", undefined, false, undefined),
    describe: new PendingResponse("describe", "forward", undefined, false, undefined),
    execute: new PendingResponse("execute", "forward", undefined, false, undefined),
    sync: new PendingResponse("sync", "forward", undefined, false, undefined),
    ready: new PendingResponse("ready", "forward", undefined, false, undefined),
  };

  /**
   * The client's own request: the database's answer goes to the client. One shared entry per expected answer, as
   * nothing about it is particular to one request: a transaction of four extended-protocol messages allocates none
   * and looks nothing up.
   */
  static forward(expect: Expect): PendingResponse {
    const shared = PendingResponse.shared;
    switch (expect) {
      case "parse":
        return shared.parse;
      case "bind":
        return shared.bind;
      case "close":
        return shared.close;
      case "describe":
        return shared.describe;
      case "execute":
        return shared.execute;
      case "sync":
        return shared.sync;
      case "ready":
        return shared.ready;
    }
  }

  /**
   * A request the proxy answers itself with `message`, in its turn; `done` hears false when an earlier error made the
   * server skip to Sync, as it would have skipped this request.
   */
  static answer(message: Buffer, done?: (ok: boolean) => void): PendingResponse {
    return new PendingResponse("ready", "answer", message, false, done);
  }

  /** A request of the proxy's own: the client sees neither its answer nor its errors. */
  static drop(expect: Expect, done?: (ok: boolean) => void): PendingResponse {
    return new PendingResponse(expect, "drop", undefined, false, done);
  }

  /** A Parse the proxy sends for a client's statement: its errors reach the client, its answer only if `forward`. */
  static prepare(action: "forward" | "drop", done: (ok: boolean) => void): PendingResponse {
    return new PendingResponse("parse", action, undefined, true, done);
  }

  /** Notes an error before the entry's ReadyForQuery; shared forward entries have no one to tell, so keep nothing. */
  fail(): void {
    if (this.done) this.failed = true;
  }
}

export function endsWith(expect: Expect, type: number): boolean {
  switch (expect) {
    case "sync":
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
  /** A queue in a reused array: entries [head, tail). Emptied (after every ReadyForQuery) by moving the ends back. */
  private items: Array<PendingResponse | undefined> = [];
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  peek(): PendingResponse | undefined {
    return this.head < this.tail ? this.items[this.head] : undefined;
  }

  push(entry: PendingResponse): void {
    this.items[this.tail++] = entry;
  }

  shift(): PendingResponse | undefined {
    if (this.head === this.tail) return undefined;
    const entry = this.items[this.head];
    // Not kept: an entry may hold a callback, and through it a connection.
    this.items[this.head++] = undefined;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
    }
    return entry;
  }

  /**
   * After an error in the extended protocol the server skips everything up to the next Sync: so do we. Returns the
   * entries skipped; the queue is left empty when no Sync has been sent yet.
   */
  skipToSync(): PendingResponse[] {
    const skipped: PendingResponse[] = [];
    for (let head = this.peek(); head && head.expect !== "sync"; head = this.peek()) skipped.push(this.shift()!);
    return skipped;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.tail = 0;
  }
}
