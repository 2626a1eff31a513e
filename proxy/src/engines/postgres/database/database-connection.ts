/**
 * One connection from the proxy to the database. It opens itself (TCP, optional TLS, startup, authentication,
 * init_query) and then hands every message to whoever borrowed it. Between borrowers it sits idle in the pool, where
 * only asynchronous messages are expected.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { UserCredential } from "../../../core/auth/credentials.js";
import type { PooledConnection, PooledConnectionState } from "../../../core/engine.js";
import { DatabaseAuthenticator } from "../auth/index.js";
import { eventClock } from "../../../core/event-clock.js";
import { parseAuthentication, parseBackendKeyData, parseNoticeFields, parseParameterStatus, parseReadyForQuery } from "../protocol/backend.js";
import { type FrameSink, MessageFramer } from "../protocol/message-framer.js";
import { Backend, type TransactionStatus } from "../protocol/message-types.js";
import type { OutputBatch } from "../../../core/wire/output-batch.js";
import { cancelRequest, query, sslRequest, startupMessage, TERMINATE } from "../protocol/serialize.js";
import { PreparedOnConnection } from "../statements/prepared-statements.js";

/** Receives the database's messages while the connection is borrowed. */
export interface DatabaseConnectionOwner {
  /** A whole message: bytes [start, end) of `chunk`. */
  onDatabaseMessage(type: number, chunk: Buffer, start: number, end: number): void;
  /** A piece of a large message streamed through (DataRow, CopyData); `last` ends the message. */
  onDatabasePiece(bytes: Buffer, last: boolean): void;
  /** After each read: write out what was gathered. */
  onDatabaseReadDone(): void;
  onDatabaseClosed(connection: DatabaseConnection, error: Error | undefined): void;
}

export interface ConnectOptions {
  host: string;
  port: number;
  database: string;
  credential: UserCredential;
  sslmode: "disable" | "prefer" | "require";
  initQuery: string | undefined;
  /** Gives up on a connection attempt after this long. */
  timeoutMs: number;
}

/** An error the database reported (ErrorResponse), with its fields, so callers can pass it on intact. */
export class DatabaseError extends Error {
  constructor(readonly fields: Map<string, string>) {
    super(fields.get("M") ?? "database error");
    this.name = "DatabaseError";
  }
  get code(): string {
    return this.fields.get("C") ?? "XX000";
  }
  /** FATAL or PANIC: the server ends the connection after it. */
  get fatal(): boolean {
    const severity = this.fields.get("V") ?? this.fields.get("S");
    return severity === "FATAL" || severity === "PANIC";
  }
}

/** Refusals that retrying will not fix: wrong password, unknown database or role, and so on. */
const PERMANENT_ERROR_CLASSES = ["28", "3D", "42"];

/** A refusal the pool should not retry: an error class of PostgreSQL's that a second attempt would meet again. */
export function isPermanentRefusal(error: Error): boolean {
  return error instanceof DatabaseError && PERMANENT_ERROR_CLASSES.some((c) => error.code.startsWith(c));
}

/** The database messages are read whole only for these types; rows and copy data are streamed. */
const mustReadFromDatabase = (type: number): boolean =>
  type === Backend.ReadyForQuery ||
  type === Backend.ErrorResponse ||
  type === Backend.ParameterStatus ||
  type === Backend.Authentication ||
  type === Backend.BackendKeyData ||
  type === Backend.NoticeResponse;

const MAX_DATABASE_MESSAGE = 1024 * 1024 * 1024 + 5;

/** The settings of a connection no client has set up: shared, so a borrow can tell it by identity. */
export const NO_SETTINGS: ReadonlyMap<string, string> = new Map();

let nextConnectionId = 1;

export class DatabaseConnection implements FrameSink, PooledConnection {
  readonly id = nextConnectionId++;
  state: PooledConnectionState = "connecting";
  /** Server parameters as last reported by ParameterStatus. */
  readonly parameters = new Map<string, string>();
  /**
   * Server parameters once opened (and init_query run), before any client's settings: what a new client is greeted
   * with. Connections are opened with user and database only, so no client's settings become anyone's defaults.
   */
  neutralParameters: ReadonlyMap<string, string> = NO_SETTINGS;
  /** Client settings currently in effect: none, or the settings of the client the proxy SET it up for. */
  settings: ReadonlyMap<string, string> = NO_SETTINGS;
  /** Protocol-level prepared statements that exist on this connection, with when each was last used. */
  readonly preparedStatements = new PreparedOnConnection();
  transactionStatus: TransactionStatus = "I";
  processId = 0;
  secretKey = 0;
  readonly openedAt = Date.now();
  /** When it last went back to the pool (performance.now()). */
  idleSince = performance.now();
  owner: DatabaseConnectionOwner | undefined;
  /** Set while the proxy itself drives the connection (init_query, reset). */
  private internal: ((type: number, frame: Buffer) => void) | undefined;
  private readonly framer = new MessageFramer(this, { mustRead: mustReadFromDatabase, maxMessageBytes: MAX_DATABASE_MESSAGE });
  private closeError: Error | undefined;
  /** Called when the connection closes while idle or borrowed: the pool forgets it. */
  onClose: ((error: Error | undefined) => void) | undefined;

  private constructor(
    private socket: Socket,
    readonly options: ConnectOptions,
  ) {}

  get inTransaction(): boolean {
    return this.transactionStatus !== "I";
  }

  /** Opens, authenticates and initializes a connection; rejects with DatabaseError when the server refuses. */
  static open(options: ConnectOptions): Promise<DatabaseConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: options.host, port: options.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`timed out connecting to ${options.host}:${options.port} after ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once("error", fail);
      socket.once("connect", () => {
        const start = (s: Socket) => {
          const connection = new DatabaseConnection(s, options);
          connection.handshake().then(
            () => {
              clearTimeout(timer);
              connection.neutralParameters = new Map(connection.parameters);
              resolve(connection);
            },
            (error: Error) => fail(error),
          );
        };
        if (options.sslmode === "disable") {
          start(socket);
          return;
        }
        socket.write(sslRequest());
        socket.once("data", (answer) => {
          if (answer[0] === 0x53) {
            const secure = tlsConnect({ socket, servername: options.host, rejectUnauthorized: false });
            secure.once("error", fail);
            secure.once("secureConnect", () => start(secure));
          } else if (options.sslmode === "require") {
            fail(new Error(`${options.host}:${options.port} does not accept TLS (sslmode=require)`));
          } else start(socket);
        });
      });
    });
  }

  private handshake(): Promise<void> {
    return new Promise((resolve, reject) => {
      const auth = new DatabaseAuthenticator(this.options.credential);
      let failed = false;
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        this.internal = undefined;
        reject(error);
      };
      this.socket.removeAllListeners("error");
      this.socket.on("error", (error) => this.closed(error));
      this.socket.on("close", () => this.closed(undefined));
      this.socket.on("data", (chunk) => {
        eventClock.mark();
        // The owner may give the connection back while reading (at ReadyForQuery) and must still flush what it read.
        const owner = this.owner;
        try {
          this.framer.push(chunk);
        } catch (error) {
          // A message the proxy cannot read (a ReadyForQuery with an unknown status, say): the connection is unusable.
          this.destroy(error as Error);
        }
        (owner ?? this.owner)?.onDatabaseReadDone();
      });
      this.internal = (type, frame) => {
        try {
          if (type === Backend.Authentication) {
            const reply = auth.answer(parseAuthentication(frame));
            if (reply) this.socket.write(reply);
          } else if (type === Backend.BackendKeyData) {
            ({ processId: this.processId, secretKey: this.secretKey } = parseBackendKeyData(frame));
          } else if (type === Backend.ErrorResponse) {
            fail(new DatabaseError(parseNoticeFields(frame)));
          } else if (type === Backend.ReadyForQuery) {
            this.internal = undefined;
            if (!this.options.initQuery) resolve();
            else this.run(this.options.initQuery).then(() => resolve(), (error: Error) => fail(error));
          }
        } catch (error) {
          fail(error as Error);
        }
      };
      this.closeWaiter = () => fail(this.closeError ?? new Error("the database closed the connection during startup"));
      const parameters = new Map([["user", this.options.credential.username], ["database", this.options.database]]);
      this.socket.write(startupMessage(parameters));
    });
  }

  private closeWaiter: (() => void) | undefined;

  /**
   * Runs SQL as a simple query on a connection nobody has borrowed and waits for ReadyForQuery; resolves with the
   * first column of the first row (text), rejects with the first error the database reports.
   */
  run(sql: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      let error: DatabaseError | undefined;
      let value: string | undefined;
      this.internal = (type, frame) => {
        if (type === Backend.ErrorResponse) error ??= new DatabaseError(parseNoticeFields(frame));
        else if (type === Backend.DataRow && value === undefined && frame.readInt16BE(5) > 0) {
          const length = frame.readInt32BE(7);
          if (length >= 0) value = frame.toString("utf8", 11, 11 + length);
        } else if (type === Backend.ReadyForQuery) {
          this.internal = undefined;
          this.closeWaiter = undefined;
          if (error) reject(error);
          else resolve(value);
        }
      };
      this.closeWaiter = () => reject(this.closeError ?? new Error("the database closed the connection"));
      this.socket.write(query(sql));
    });
  }

  message(type: number, chunk: Buffer, start: number, end: number): void {
    if (type === Backend.ReadyForQuery) this.transactionStatus = parseReadyForQuery(chunk, start);
    if (this.owner && !this.internal && type !== Backend.ParameterStatus && type !== Backend.ErrorResponse) {
      // The hot path: rows and completions pass through to the borrower as ranges of the chunk.
      this.owner.onDatabaseMessage(type, chunk, start, end);
      return;
    }
    this.readMessage(type, chunk.subarray(start, end));
  }

  private readMessage(type: number, frame: Buffer): void {
    if (type === Backend.ParameterStatus) {
      const { name, value } = parseParameterStatus(frame);
      this.parameters.set(name, value);
    } else if (type === Backend.ErrorResponse && !this.internal) {
      const error = new DatabaseError(parseNoticeFields(frame));
      if (error.fatal) {
        // The server is ending the connection; the borrower hears of it once, when the socket closes.
        this.closeError = error;
        return;
      }
    }
    if (this.internal) this.internal(type, frame);
    else if (this.owner) this.owner.onDatabaseMessage(type, frame, 0, frame.length);
    else this.idleMessage(type, frame);
  }

  piece(_type: number, bytes: Buffer, _first: boolean, last: boolean): void {
    if (this.owner && !this.internal) this.owner.onDatabasePiece(bytes, last);
  }

  invalid(reason: string): void {
    this.destroy(new Error(`the database broke the protocol: ${reason}`));
  }

  /** Idle in the pool only notices and parameter changes are normal; an error means the server is ending it. */
  private idleMessage(type: number, frame: Buffer): void {
    if (type === Backend.NoticeResponse || type === Backend.ParameterStatus || type === Backend.NotificationResponse) return;
    if (type === Backend.ErrorResponse) this.destroy(new DatabaseError(parseNoticeFields(frame)));
    else this.destroy(new Error(`unexpected message 0x${type.toString(16)} on an idle database connection`));
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  /** Writes what a borrower gathered, in one system call. */
  send(batch: OutputBatch): void {
    batch.writeTo(this.socket);
  }

  /** Stops reading while the client cannot keep up, and resumes. */
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
   * A CancelRequest on a connection of its own. PostgreSQL closes that connection once it has signalled the backend,
   * which is when the cancel is delivered.
   */
  sendCancel(delivered: () => void): () => void {
    const { host, port } = this.options;
    const socket = netConnect({ host, port }, () => socket.end(cancelRequest(this.processId, this.secretKey)));
    socket.on("error", delivered);
    socket.on("close", delivered);
    return () => socket.destroy();
  }

  /** Closes politely (Terminate). */
  close(): void {
    if (this.state === "closed") return;
    this.socket.end(TERMINATE);
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
    this.closeWaiter?.();
    this.closeWaiter = undefined;
    this.internal = undefined;
    const owner = this.owner;
    this.owner = undefined;
    owner?.onDatabaseClosed(this, this.closeError);
    this.onClose?.(this.closeError);
  }
}
