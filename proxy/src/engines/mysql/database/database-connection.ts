/**
 * One connection from the proxy to MySQL / MariaDB. It opens itself (TCP, handshake, authentication as the server
 * asks, session-state tracking turned on, init_query, the session's starting values read) and then hands every
 * packet to whoever borrowed it, after the response tracker has said where each response ends. Commands the proxy
 * sends of its own (a borrower's tracked values, cleanup) have their responses dropped.
 */
import { connect as netConnect, type Socket } from "node:net";
import type { UserCredential } from "../../../core/auth/credentials.js";
import type { PooledConnection, PooledConnectionState } from "../../../core/engine.js";
import { eventClock } from "../../../core/event-clock.js";
import { ClientLogin } from "../auth/login.js";
import {
  Capability,
  Command,
  type CompletedResponse,
  framePackets,
  Header,
  isResultSetEnd,
  MAX_PAYLOAD,
  type PacketSink,
  PacketFramer,
  parseErr,
  parseHandshakeV10,
  parseOk,
  PayloadReader,
  ProtocolError,
  ResponseTracker,
  type SessionStateChange,
  type HandshakeV10,
} from "../protocol/index.js";
import { SessionValues } from "../client/session-state.js";

/** Receives the database's packets while the connection is borrowed. */
export interface DatabaseConnectionOwner {
  /** A whole packet, or the first piece of a streamed one: bytes [start, end) of `chunk`, header included. */
  onDatabasePacket(chunk: Buffer, start: number, end: number): void;
  /** A later piece of a streamed packet. */
  onDatabasePiece(bytes: Buffer): void;
  /** The server reported session-state changes made by the owner's commands. */
  onSessionChanges(changes: readonly SessionStateChange[]): void;
  /** A response to one of the owner's commands ended. */
  onResponseEnd(response: CompletedResponse): void;
  /** After each read: write out what was gathered. */
  onDatabaseReadDone(): void;
  onDatabaseClosed(connection: DatabaseConnection, error: Error | undefined): void;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** The default schema; "" for none. */
  database: string;
  credential: UserCredential;
  initQuery: string | undefined;
  timeoutMs: number;
}

/** An error the database reported (ERR packet). */
export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly errno: number,
    readonly sqlState: string,
  ) {
    super(message);
    this.name = "DatabaseError";
  }
}

/**
 * Refusals retrying will not fix: access denied (1044, 1045, 1698), unknown database (1049), too many connections for
 * the user (1226 is a limit, retried), host blocked (1129).
 */
const PERMANENT_ERRNOS = new Set([1044, 1045, 1049, 1129, 1698]);

export function isPermanentRefusal(error: Error): boolean {
  return error instanceof DatabaseError && PERMANENT_ERRNOS.has(error.errno);
}

/**
 * What the proxy asks of the server: the format every client of the proxy is served in (clients get a subset of
 * these, see client-connection.ts). No CLIENT_DEPRECATE_EOF, query attributes, optional metadata or MariaDB's
 * extended capabilities: their packets differ, and one connection serves clients with and without them.
 */
export const DATABASE_CAPABILITIES =
  Capability.LONG_PASSWORD |
  Capability.FOUND_ROWS |
  Capability.LONG_FLAG |
  Capability.PROTOCOL_41 |
  Capability.TRANSACTIONS |
  Capability.SECURE_CONNECTION |
  Capability.MULTI_STATEMENTS |
  Capability.MULTI_RESULTS |
  Capability.PS_MULTI_RESULTS |
  Capability.PLUGIN_AUTH |
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.SESSION_TRACK;

/** utf8mb4_general_ci: the connections' starting character set; a client's own is applied on borrow. */
const DATABASE_CHARSET = 45;
const MAX_PACKET_SIZE = 1024 * 1024 * 1024;

/** Turns on what the OK packets report: every system variable, the schema, and that anything else changed. */
const SESSION_TRACKING = "SET SESSION session_track_system_variables = '*', session_track_schema = ON, session_track_state_change = ON";

/** The session values the proxy keeps per client (those the server has: MySQL 8 lacks tx_isolation, MariaDB 10 transaction_isolation). */
export const TRACKED_VARIABLE_QUERY =
  "SHOW SESSION VARIABLES WHERE Variable_name IN ('autocommit', 'auto_increment_increment', 'interactive_timeout', 'net_write_timeout', 'wait_timeout', 'query_cache_type', 'sql_mode', 'time_zone', 'transaction_isolation', 'tx_isolation', 'transaction_read_only', 'tx_read_only', 'character_set_client', 'character_set_connection', 'character_set_results', 'collation_connection')";

type TextRow = Array<string | undefined>;

/** A command the proxy sent itself, or a borrower's: whose response it is. */
interface InFlight {
  forward: boolean;
  done: ((response: CompletedResponse, rows: TextRow[], error: DatabaseError | undefined) => void) | undefined;
  rows: TextRow[];
  error: DatabaseError | undefined;
}

let nextConnectionId = 1;

export class DatabaseConnection implements PacketSink, PooledConnection {
  readonly id = nextConnectionId++;
  state: PooledConnectionState = "connecting";
  idleSince = performance.now();
  owner: DatabaseConnectionOwner | undefined;
  onClose: ((error: Error | undefined) => void) | undefined;
  /** The server's thread id (CONNECTION_ID()). */
  threadId = 0;
  serverVersion = "";
  /** Session values and schema in effect on the connection now, as the server reported them. */
  readonly session = new SessionValues();
  /** The values the connection had once opened: what a client that set nothing expects. */
  readonly neutral = new SessionValues();
  /** A pinned session ran here: anything may be left; it is reset before anyone else borrows it. */
  dirty = false;
  /** Capabilities agreed with the server. */
  capabilities = 0;
  private tracker: ResponseTracker | undefined;
  private readonly inFlight: InFlight[] = [];
  private readonly framer: PacketFramer;
  private closeError: Error | undefined;
  private closeWaiter: ((error: Error) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly options: ConnectOptions,
  ) {
    this.framer = new PacketFramer(this, {
      maxPayloadBytes: MAX_PACKET_SIZE,
      checkSequence: false,
      mustRead: (first, length) => this.tracker?.mustRead(first, length) ?? true,
    });
  }

  get inTransaction(): boolean {
    return this.tracker?.inTransaction ?? false;
  }

  /** No command in flight. */
  get idle(): boolean {
    return this.inFlight.length === 0;
  }

  static open(options: ConnectOptions): Promise<DatabaseConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: options.host, port: options.port, noDelay: true });
      const connection = new DatabaseConnection(socket, options);
      const timer = setTimeout(() => {
        fail(new Error(`timed out connecting to ${options.host}:${options.port} after ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        connection.destroy(error);
        reject(error);
      };
      socket.on("error", (error) => connection.closed(error));
      socket.on("close", () => connection.closed(undefined));
      socket.on("data", (chunk) => connection.onData(chunk));
      connection.closeWaiter = (error) => fail(error);
      connection
        .login()
        .then(() => connection.initialize())
        .then(
        () => {
          clearTimeout(timer);
          connection.closeWaiter = undefined;
          resolve(connection);
        },
        (error: Error) => fail(error),
      );
    });
  }

  private loginStep: ((payload: Buffer, sequenceId: number) => void) | undefined;

  /** The connection phase: the server's handshake, our response, the plugin exchange, until OK or ERR. */
  private login(): Promise<void> {
    return new Promise((resolve, reject) => {
      let client: ClientLogin | undefined;
      const { credential, database } = this.options;
      this.loginStep = (payload, sequenceId) => {
        try {
          if (client === undefined) {
            if (payload[0] === Header.ERR) {
              const err = parseErr(payload, 0);
              reject(new DatabaseError(err.message, err.errno, err.sqlState ?? "HY000"));
              return;
            }
            const handshake: HandshakeV10 = parseHandshakeV10(payload);
            this.threadId = handshake.connectionId;
            this.serverVersion = handshake.serverVersion;
            client = new ClientLogin(handshake, {
              username: credential.username,
              password: credential.password ?? "",
              secureTransport: false,
              capabilities: DATABASE_CAPABILITIES | (database ? Capability.CONNECT_WITH_DB : 0),
              charset: DATABASE_CHARSET,
              maxPacketSize: MAX_PACKET_SIZE,
              ...(database ? { database } : {}),
            });
            this.socket.write(framePackets(client.handshakeResponse(), sequenceId + 1));
            return;
          }
          const step = client.serverPacket(payload);
          switch (step.kind) {
            case "send":
              this.socket.write(framePackets(step.payload, sequenceId + 1));
              return;
            case "wait":
              return;
            case "error":
              reject(new DatabaseError(step.error.message, step.error.errno, step.error.sqlState ?? "HY000"));
              return;
            case "ok":
              this.loginStep = undefined;
              this.capabilities = client.capabilities;
              this.tracker = new ResponseTracker(client.capabilities, 0, step.ok.statusFlags);
              resolve();
          }
        } catch (error) {
          reject(error as Error);
        }
      };
    });
  }

  /** Session tracking on, init_query, then the starting values read: run on open and after every reset. */
  private async initialize(): Promise<void> {
    await this.run(SESSION_TRACKING);
    if (this.options.initQuery) await this.run(this.options.initQuery);
    const rows = await this.run(TRACKED_VARIABLE_QUERY);
    const schema = (await this.run("SELECT DATABASE()"))[0]?.[0] ?? "";
    this.session.clear();
    for (const [name, value] of rows) this.session.variables.set(name!.toLowerCase(), value ?? "");
    this.session.schema = schema;
    if (this.neutral.variables.size === 0) this.neutral.copyFrom(this.session);
  }

  /**
   * Resets the session (COM_RESET_CONNECTION: user variables, temporary tables, prepared statements, locks and
   * session variables all go) and initializes it again, back to the schema it was opened with.
   */
  async reset(): Promise<void> {
    await this.command(Buffer.from([Command.RESET_CONNECTION]));
    const schema = this.options.database;
    if (schema) await this.command(Buffer.concat([Buffer.from([Command.INIT_DB]), Buffer.from(schema, "utf8")]));
    await this.initialize();
    this.dirty = false;
  }

  /** Runs SQL of the proxy's own; resolves with the rows as text (NULL as undefined). */
  run(sql: string): Promise<TextRow[]> {
    return this.command(Buffer.concat([Buffer.from([Command.QUERY]), Buffer.from(sql, "utf8")]));
  }

  private command(payload: Buffer): Promise<TextRow[]> {
    return new Promise((resolve, reject) => {
      this.send(framePackets(payload, 0), 0, undefined, (_response, rows, error) => (error ? reject(error) : resolve(rows)));
    });
  }

  /**
   * Sends a command packet (bytes [start, end) of `bytes` at offset `start`, a whole command) and notes whose response
   * follows: the borrower's (`done` undefined: forwarded) or the proxy's (dropped, `done` told). Returns whether the
   * server answers it.
   */
  send(bytes: Buffer, start: number, end: number | undefined, done?: InFlight["done"]): boolean {
    const stop = end ?? bytes.length;
    const payloadStart = start + 4;
    const completed = this.tracker!.command(bytes, payloadStart, stop);
    if (completed === undefined) this.inFlight.push({ forward: done === undefined, done, rows: [], error: undefined });
    this.socket.write(start === 0 && stop === bytes.length ? bytes : bytes.subarray(start, stop));
    return completed === undefined;
  }

  /** Sends bytes that belong to a command already sent (the rest of a 16 MB split). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    eventClock.mark();
    const owner = this.owner;
    try {
      this.framer.push(chunk);
    } catch (error) {
      this.destroy(error instanceof Error ? error : new Error(String(error)));
    }
    (owner ?? this.owner)?.onDatabaseReadDone();
  }

  packet(sequenceId: number, chunk: Buffer, start: number, end: number, continued: boolean): void {
    if (this.loginStep) {
      this.loginStep(chunk.subarray(start + 4, end), sequenceId);
      return;
    }
    const head = this.inFlight[0];
    if (!head || !this.tracker) {
      // Idle: the server speaks only to end the connection (an ERR before it closes, e.g. wait_timeout).
      const payload = chunk.subarray(start + 4, end);
      const err = payload[0] === Header.ERR ? parseErr(payload, Capability.PROTOCOL_41) : undefined;
      this.destroy(err ? new DatabaseError(err.message, err.errno, err.sqlState ?? "HY000") : new Error("unexpected packet on an idle database connection"));
      return;
    }
    if (!continued) this.observe(head, chunk, start, end);
    if (head.forward) this.owner?.onDatabasePacket(chunk, start, end);
    const completed = this.tracker.serverPacket(chunk, start, end, continued);
    if (completed) this.completed(completed);
  }

  piece(_sequenceId: number, bytes: Buffer, first: boolean, _last: boolean, continued: boolean): void {
    const head = this.inFlight[0];
    if (!head || !this.tracker) {
      this.destroy(new Error("unexpected packet on an idle database connection"));
      return;
    }
    if (head.forward) {
      if (first) this.owner?.onDatabasePacket(bytes, 0, bytes.length);
      else this.owner?.onDatabasePiece(bytes);
    }
    // Only rows and definitions stream: the tracker needs their first piece (its header) alone.
    if (first) {
      const completed = this.tracker.serverPacket(bytes, 0, bytes.length, continued);
      if (completed) this.completed(completed);
    }
  }

  /** Reads what the proxy must know of a packet: session-state changes in OK packets, rows and errors of its own commands. */
  private observe(head: InFlight, chunk: Buffer, start: number, end: number): void {
    const expecting = this.tracker!.expecting.kind;
    const first = chunk[start + 4];
    const length = end - start - 4;
    if (first === Header.ERR) {
      if (!head.forward && length >= 3) {
        const err = parseErr(chunk.subarray(start + 4, end), Capability.PROTOCOL_41);
        head.error ??= new DatabaseError(err.message, err.errno, err.sqlState ?? "HY000");
      }
      return;
    }
    const isOk = first === Header.OK && (expecting === "first" || expecting === "status" || expecting === "auth");
    if (isOk) {
      const ok = parseOk(chunk.subarray(start + 4, end), this.capabilities);
      this.applyChanges(ok.sessionStateChanges, head.forward);
      return;
    }
    if (!head.forward && expecting === "rows" && first !== undefined && !isResultSetEnd(first, length, this.capabilities) && length < MAX_PAYLOAD) {
      head.rows.push(readTextRow(chunk.subarray(start + 4, end)));
    }
  }

  private applyChanges(changes: readonly SessionStateChange[], forward: boolean): void {
    for (const change of changes) {
      if (change.type === "system-variable") this.session.variables.set(change.name.toLowerCase(), change.value);
      else if (change.type === "schema") this.session.schema = change.schema;
    }
    if (forward && changes.length > 0) this.owner?.onSessionChanges(changes);
  }

  private completed(response: CompletedResponse): void {
    const head = this.inFlight.shift()!;
    if (head.forward) this.owner?.onResponseEnd(response);
    else head.done?.(response, head.rows, head.error);
  }

  invalid(error: ProtocolError): void {
    this.destroy(new Error(`the database broke the protocol: ${error.message}`));
  }

  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
  get writableNeedDrain(): boolean {
    return this.socket.writableNeedDrain;
  }
  onceDrain(callback: () => void): void {
    this.socket.once("drain", callback);
  }

  /**
   * KILL QUERY on a connection of its own, as the same user: MySQL's cancel. Delivered once that connection closes.
   */
  sendCancel(delivered: () => void): () => void {
    let abandoned = false;
    let helper: DatabaseConnection | undefined;
    DatabaseConnection.open({ ...this.options, database: "", initQuery: undefined }).then(
      (connection) => {
        helper = connection;
        if (abandoned) {
          connection.close();
          return;
        }
        connection.run(`KILL QUERY ${this.threadId}`).then(
          () => connection.close(),
          () => connection.close(),
        );
        connection.onClose = () => delivered();
      },
      () => delivered(),
    );
    return () => {
      abandoned = true;
      helper?.destroy(undefined);
    };
  }

  /** Closes politely (COM_QUIT). */
  close(): void {
    if (this.state === "closed") return;
    this.socket.end(framePackets(Buffer.from([Command.QUIT]), 0));
    this.closed(undefined);
  }

  destroy(error: Error | undefined): void {
    if (this.state === "closed") return;
    this.socket.destroy();
    this.closed(error);
  }

  private closed(error: Error | undefined): void {
    if (error && !this.closeError) this.closeError = error;
    if (this.state === "closed") return;
    this.state = "closed";
    this.socket.destroy();
    const failure = this.closeError ?? new Error("the database closed the connection");
    this.closeWaiter?.(failure);
    this.closeWaiter = undefined;
    for (const pending of this.inFlight.splice(0)) {
      if (!pending.forward) pending.done?.({ command: 0, statusFlags: undefined, error: true }, [], pending.error ?? new DatabaseError(failure.message, 2013, "HY000"));
    }
    const owner = this.owner;
    this.owner = undefined;
    owner?.onDatabaseClosed(this, this.closeError);
    this.onClose?.(this.closeError);
  }
}

/** A text-protocol row: each value a length-encoded string, or 0xfb for NULL. */
function readTextRow(payload: Buffer): TextRow {
  const r = new PayloadReader(payload, 0, payload.length, "row");
  const values: Array<string | undefined> = [];
  while (!r.atEnd) {
    if (r.peek() === 0xfb) {
      r.skip(1, "NULL");
      values.push(undefined);
    } else values.push(r.lenencString("value"));
  }
  return values;
}
