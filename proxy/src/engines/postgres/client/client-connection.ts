/**
 * One client connection, as an explicit state machine:
 *
 *   awaiting-startup -> (tls-handshake -> awaiting-startup) -> authenticating -> logging-in -> ready
 *   ready -> borrowing -> borrowed -> ready          (transaction pooling: a connection per transaction)
 *   borrowed -> pinned                               (a statement the rulebook says pins; until the client leaves)
 *   any -> closed                                    (the borrowed connection is cleaned up before anyone reuses it)
 *
 * Messages pass through as the bytes they arrived in, except named prepared statements, whose names are mapped to
 * the proxy-wide names on the database (see pool/prepared-statements.ts).
 */
import { randomInt } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { PinFinding } from "@proxyfit/assessor/rules";
import type { UserCredential } from "../../../core/auth/credentials.js";
import type { ClientAuthExchange } from "../auth/index.js";
import { eventClock } from "../../../core/event-clock.js";
import {
  MAX_STARTUP_BYTES,
  frontendMessageError,
  ProtocolError,
  parseBind,
  parseFunctionCall,
  parseParse,
  parseQuery,
  parseStartupRequest,
  parseTarget,
  type ParseMessage,
} from "../protocol/frontend.js";
import { type FrameSink, type FramerOptions, MessageFramer } from "../protocol/message-framer.js";
import { Backend, Frontend } from "../protocol/message-types.js";
import { ResponseLatency } from "../../../core/metrics/response-latency.js";
import { endClientSocket, writeToClient } from "../../../core/wire/client-socket.js";
import { OutputBatch } from "../../../core/wire/output-batch.js";
import {
  authenticationOk,
  backendKeyData,
  CLOSE_COMPLETE,
  describeStatement,
  closeStatement,
  type ErrorFields,
  errorResponse,
  errorResponseWithFields,
  parameterStatus,
  query,
  readyForQuery,
  renamedBind,
  renamedParse,
  SYNC,
} from "../protocol/serialize.js";
import type { DatabaseConnection, DatabaseConnectionOwner } from "../database/database-connection.js";
import { DatabaseError, NO_SETTINGS } from "../database/database-connection.js";
import type { ClientEndReason, ProxyClient } from "../../../core/engine.js";
import type { BorrowCallback, BorrowRequest } from "../../../core/pool/pool.js";
import { type ClientStatement, ClientStatements, MAX_CLIENT_STATEMENT_BYTES, MAX_CLIENT_STATEMENTS } from "../statements/prepared-statements.js";
import { decideFunctionCall } from "./function-calls.js";
import { HeldMessages } from "../../../core/wire/held-messages.js";
import { STARTUP_OPTIONS_REFUSED, sessionSettingsSql, sharedSettings, startupSettings } from "./session-settings.js";
import { type Expect, endsWith, PendingResponse, PendingResponses } from "./pending-responses.js";
import type { ClientServices } from "./services.js";

export type ClientState =
  | "awaiting-startup"
  | "tls-handshake"
  | "authenticating"
  | "logging-in"
  | "ready"
  | "borrowing"
  | "borrowed"
  | "pinned"
  | "closed";

/** Message size limits: PostgreSQL's own (1 GB) once logged in, 64 KB for authentication messages. */
const MAX_MESSAGE_BYTES = 1024 * 1024 * 1024 + 5;
const MAX_AUTH_MESSAGE_BYTES = 65_536 + 5;
/** How long a connection may take to clean up after its client left before it is closed instead. */
const CLEANUP_TIMEOUT_MS = 5000;
const LOGIN_TIMEOUT_MS = 60_000;
/** What a client may have held while it waits for a connection (or to log in) before it is read no further. */
const MAX_HELD_BYTES = 1024 * 1024;

/** Describe's target byte for a portal. */
const DESCRIBE_PORTAL = 0x50;

/** Only CopyData may be streamed through in pieces; everything else is read whole. */
const mustReadFromClient = (type: number): boolean => type !== Frontend.CopyData;

let nextClientId = 1;

export class ClientConnection implements FrameSink, DatabaseConnectionOwner, ProxyClient {
  readonly id = nextClientId++;
  readonly secretKey = randomInt(0x7fffffff);
  state: ClientState = "awaiting-startup";
  user = "";
  database = "";
  application = "";
  readonly address: string;
  tls = false;
  readonly connectedAt = Date.now();
  lastActivity: number;
  /** The first finding that pinned the session. */
  pinnedBy: PinFinding | undefined;
  /** The database connection borrowed now. */
  db: DatabaseConnection | undefined;

  /** Startup settings (application_name, DateStyle, ...) applied to whichever connection is borrowed. */
  private settings: ReadonlyMap<string, string> = new Map();
  private credential: UserCredential | undefined;
  private borrowRequest: BorrowRequest | undefined;
  private exchange: ClientAuthExchange | undefined;
  private startupChunks: Buffer[] = [];
  private startupBytes = 0;
  private readonly framerOptions: FramerOptions = { mustRead: mustReadFromClient, maxMessageBytes: MAX_AUTH_MESSAGE_BYTES };
  private readonly framer = new MessageFramer(this, this.framerOptions);
  private readonly toDatabase = new OutputBatch();
  private readonly toClient = new OutputBatch();
  private readonly pending = new PendingResponses();
  /** Messages that arrived while logging in or while a connection was being borrowed. */
  private readonly held = new HeldMessages();
  /** After an error the proxy raised in the extended protocol: ignore messages until Sync, as the server would. */
  private discardUntilSync = false;
  /**
   * The database reported an error in the extended protocol and no Sync has been sent since: it discards every message
   * up to the client's Sync, so the proxy neither sends nor answers them and keeps the connection until that Sync's
   * ReadyForQuery.
   */
  private serverSkipping = false;
  private readonly statements = new ClientStatements();
  /** Query of the last unnamed Parse, and name and query of the statement last bound, for the trial report's executes. */
  private unnamedQuery = "";
  private boundName = "";
  private boundQuery = "";
  private inRead = false;
  private copyIn = false;
  private clientPieceOpen = false;
  private databasePieceOpen = false;
  private readonly latency: ResponseLatency;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private resetDone = false;
  private loginTimer: NodeJS.Timeout | undefined;
  /** Reading stopped because too much is held (see flush). */
  private heldPaused = false;
  private readonly onBorrowed: BorrowCallback<DatabaseConnection> = (error, connection) => {
    // The pool calls this from another connection's ReadyForQuery or a connect: a failure here is this client's alone.
    try {
      this.borrowed(error, connection);
    } catch (failure) {
      this.internalFailure(failure);
    }
  };
  /** Where held messages go once a connection is borrowed (made once: it runs for most transactions under load). */
  private readonly heldToDatabase = {
    message: (type: number, chunk: Buffer, start: number, end: number): boolean => {
      if (this.state !== "borrowed" && this.state !== "pinned") return false;
      this.onAttachedMessage(type, chunk, start, end);
      return true;
    },
    piece: (bytes: Buffer, last: boolean): boolean => {
      if (this.state !== "borrowed" && this.state !== "pinned") return false;
      this.piece(0, bytes, false, last);
      return true;
    },
  };

  constructor(
    private socket: Socket,
    private readonly services: ClientServices,
  ) {
    this.address = socket.remoteAddress ?? "";
    this.lastActivity = services.clock.now;
    this.framerOptions.clock = services.clock;
    this.latency = new ResponseLatency(services.metrics.histograms);
    services.metrics.count("ClientConnectionsReceived");
    this.listen(socket);
    this.loginTimer = setTimeout(() => this.fatal("08006", "login took too long (60 s)"), LOGIN_TIMEOUT_MS);
    this.loginTimer.unref();
  }

  get pinned(): boolean {
    return this.state === "pinned";
  }

  get databaseConnectionId(): number | undefined {
    return this.db?.id;
  }

  /** The database connection this client's request runs on now: a request sent and not yet fully answered. */
  get requestRunsOn(): DatabaseConnection | undefined {
    return (this.state === "borrowed" || this.state === "pinned") && this.pending.length > 0 ? this.db : undefined;
  }

  /**
   * Closes the client if it holds a database connection and began a message longer than client_message_timeout ago:
   * a client that drips a message holds its connection for as long as it likes otherwise. What it sent of the message
   * never reached the database (only CopyData is passed on in pieces, and then the connection is discarded).
   */
  enforceMessageTimeout(now: number): void {
    if (this.state !== "borrowed" && this.state !== "pinned") return;
    const since = this.framer.incompleteSince;
    const timeoutMs = this.services.settings.clientMessageTimeoutMs;
    if (since === undefined || now - since < timeoutMs) return;
    this.services.log.write("WARN", `[clientConnection=${this.id}] closing: a message took longer than client_message_timeout to arrive`);
    this.fatal("08P01", `terminating connection because the client took longer than client_message_timeout (${timeoutMs / 1000} s) to send a message`);
  }

  private listen(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  private onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    eventClock.mark();
    this.lastActivity = this.services.clock.now;
    if (this.state === "awaiting-startup") {
      this.onStartupData(chunk);
      return;
    }
    this.inRead = true;
    try {
      this.framer.push(chunk);
    } catch (error) {
      this.protocolFailure(error);
    }
    this.inRead = false;
    this.flush();
  }

  // Startup: SSLRequest, GSSENCRequest, CancelRequest, StartupMessage.

  private onStartupData(chunk: Buffer): void {
    this.startupChunks.push(chunk);
    this.startupBytes += chunk.length;
    if (this.startupBytes < 4) return;
    const head = this.startupChunks.length === 1 ? this.startupChunks[0]! : Buffer.concat(this.startupChunks);
    this.startupChunks = [head];
    const length = head.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_BYTES) {
      this.dropStartup(`invalid length of startup packet: ${length}`);
      return;
    }
    if (head.length < length) return;
    this.startupChunks = [];
    this.startupBytes = 0;
    const rest = head.subarray(length);
    let request: ReturnType<typeof parseStartupRequest>;
    try {
      request = parseStartupRequest(head.subarray(0, length));
    } catch (error) {
      this.protocolFailure(error);
      return;
    }
    switch (request.kind) {
      case "ssl":
        if (rest.length > 0) {
          // Bytes after SSLRequest would arrive unencrypted yet be treated as part of the TLS session.
          this.fatal("08P01", "received unencrypted data after SSL request");
          return;
        }
        if (this.services.tls && !this.tls) this.startTls();
        else this.socket.write("N");
        return;
      case "gssenc":
        this.socket.write("N");
        if (rest.length > 0) this.onStartupData(rest);
        return;
      case "cancel":
        this.services.cancel(request.processId, request.secretKey);
        this.close();
        return;
      case "invalid":
        this.dropStartup(request.reason);
        return;
      case "startup":
        this.beginLogin(request.parameters);
        if (rest.length > 0 && this.state !== "closed") this.onData(rest);
        return;
    }
  }

  /**
   * Closes without a reply, as PostgreSQL and PgBouncer do for a packet that is not a startup packet at all (node-postgres's
   * `connect(); end()` sends Terminate first): an error message would be read as the answer to a request never made.
   */
  private dropStartup(reason: string): void {
    this.startupChunks = [];
    this.startupBytes = 0;
    this.services.log.write("INFO", `[clientConnection=${this.id}] closing: ${reason} (from ${this.address})`);
    this.close();
  }

  private startTls(): void {
    this.state = "tls-handshake";
    const raw = this.socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("close");
    raw.removeAllListeners("error");
    raw.write("S");
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.services.tls! });
    this.socket = secure;
    secure.once("secure", () => {
      this.tls = true;
      this.state = "awaiting-startup";
    });
    this.listen(secure);
  }

  private beginLogin(parameters: Map<string, string>): void {
    const { settings: proxySettings, metrics } = this.services;
    if (proxySettings.requireTls && !this.tls) {
      metrics.count("ClientConnectionsSetupFailedAuth");
      this.fatal("28000", "This RDS Proxy requires TLS connections");
      return;
    }
    const user = parameters.get("user");
    if (!user) {
      this.fatal("28000", "no PostgreSQL user name specified in startup packet");
      return;
    }
    if (parameters.has("replication")) {
      this.fatal("08P01", "the proxy does not support replication connections");
      return;
    }
    this.user = user;
    this.database = parameters.get("database") || user;
    const options = parameters.get("options");
    if (options !== undefined && options.trim() !== "") {
      // RDS Proxy's own refusal, word for word (psycopg2 issue #1577): a driver that sends options cannot use it.
      this.services.observer?.refused(this, "startup_options", STARTUP_OPTIONS_REFUSED, options);
      this.fatal("0A000", STARTUP_OPTIONS_REFUSED);
      return;
    }
    let settings: ReadonlyMap<string, string>;
    try {
      settings = startupSettings(parameters);
    } catch (error) {
      this.protocolFailure(error);
      return;
    }
    this.settings = sharedSettings(settings);
    this.application = this.settings.get("application_name") ?? "";
    const configured = this.services.users.get(user);
    const target = proxySettings.target;
    this.credential = configured ?? {
      username: user,
      ...(user === target.user && target.password !== undefined ? { password: target.password } : {}),
    };
    this.borrowRequest = { user, database: this.database, credential: this.credential };
    metrics.count(this.tls ? "ClientConnectionsTLS" : "ClientConnectionsNoTLS");
    this.exchange = this.services.authMethod.begin(user, configured);
    if (this.exchange.request === undefined) {
      this.authenticated(undefined);
      return;
    }
    this.state = "authenticating";
    this.socket.write(this.exchange.request);
  }

  private onAuthMessage(type: number, frame: Buffer): void {
    if (type !== Frontend.Password) {
      this.fatal("08P01", `expected password response, got message type ${String.fromCharCode(type)}`);
      return;
    }
    const step = this.exchange!.step(frame);
    if (step.kind === "continue") {
      this.toClient.push(step.reply);
      return;
    }
    if (step.kind === "failed") {
      this.services.metrics.count("ClientConnectionsSetupFailedAuth");
      this.services.log.write("INFO", `[clientConnection=${this.id}] authentication of user "${this.user}" failed: ${step.reason}`);
      this.fatal("28P01", `password authentication failed for user "${this.user}"`);
      return;
    }
    this.authenticated(step.reply);
  }

  private authenticated(finalReply: Buffer | undefined): void {
    this.exchange = undefined;
    this.state = "logging-in";
    if (finalReply) this.toClient.push(finalReply);
    this.toClient.push(authenticationOk());
    this.flush();
    this.framerOptions.maxMessageBytes = MAX_MESSAGE_BYTES;
    this.services.welcome(this.borrowRequest!, (error, parameters) => {
      if (this.state === "closed") return;
      if (error || !parameters) {
        this.fatalFrom(error ?? new Error("no server parameters"));
        return;
      }
      for (const [name, value] of parameters) {
        if (name === "session_authorization") this.toClient.push(parameterStatus(name, this.user));
        else this.toClient.push(parameterStatus(name, this.settings.get(name.toLowerCase()) ?? value));
      }
      if (!parameters.has("application_name")) this.toClient.push(parameterStatus("application_name", this.application));
      this.toClient.push(backendKeyData(this.id, this.secretKey));
      this.toClient.push(readyForQuery("I"));
      clearTimeout(this.loginTimer);
      this.state = "ready";
      this.services.clients.set(this.id, this);
      this.services.metrics.count("ClientConnectionsSetupSucceeded");
      this.services.observer?.connected(this);
      try {
        this.held.release({
          message: (type, chunk, start, end) => {
            this.message(type, chunk, start, end);
            return this.state !== "closed";
          },
          // Pieces are held only while borrowing, never while logging in.
          piece: () => true,
        });
      } catch (failure) {
        this.internalFailure(failure);
      }
      this.flush();
    });
  }

  // Messages from the client.

  message(type: number, chunk: Buffer, start: number, end: number): void {
    if (this.state === "authenticating") {
      this.onAuthMessage(type, chunk.subarray(start, end));
      return;
    }
    // Checked here, before the message is held or read: nothing malformed reaches the pool or a database.
    const malformed = frontendMessageError(type, chunk, start, end);
    if (malformed !== undefined) {
      if (this.state !== "closed") this.services.log.write("WARN", `[clientConnection=${this.id}] closing: ${malformed}`);
      this.fatal("08P01", malformed);
      return;
    }
    switch (this.state) {
      case "borrowed":
      case "pinned":
        this.onAttachedMessage(type, chunk, start, end);
        return;
      case "ready":
        this.onReadyMessage(type, chunk, start, end);
        return;
      case "borrowing":
      case "logging-in":
        this.held.message(chunk, start, end);
        return;
      default:
        return;
    }
  }

  piece(_type: number, bytes: Buffer, _first: boolean, last: boolean): void {
    if (this.state === "borrowed" || this.state === "pinned") {
      this.toDatabase.push(bytes);
      this.clientPieceOpen = !last;
    } else if (this.state === "borrowing") this.held.piece(bytes, last);
  }

  invalid(reason: string): void {
    this.fatal("08P01", reason);
  }

  /** No connection borrowed: answer what needs no database, borrow for the rest. */
  private onReadyMessage(type: number, chunk: Buffer, start: number, end: number): void {
    if (this.discardUntilSync && type !== Frontend.Sync && type !== Frontend.Terminate) return;
    switch (type) {
      case Frontend.Sync:
        this.discardUntilSync = false;
        this.toClient.push(readyForQuery("I"));
        return;
      case Frontend.Flush:
      case Frontend.CopyData:
      case Frontend.CopyDone:
      case Frontend.CopyFail:
        // The server ignores copy messages outside COPY too.
        return;
      case Frontend.Terminate:
        this.close();
        return;
      case Frontend.Close: {
        const target = parseTarget(chunk, start, end);
        if (target.target === "S") this.statements.delete(target.name);
        this.toClient.push(CLOSE_COMPLETE);
        return;
      }
      case Frontend.Query:
      case Frontend.Parse:
      case Frontend.Bind:
      case Frontend.Describe:
      case Frontend.Execute:
      case Frontend.FunctionCall:
        break;
      default:
        this.fatal("08P01", `invalid frontend message type ${type}`);
        return;
    }
    this.held.message(chunk, start, end);
    this.state = "borrowing";
    this.latency.received();
    this.services.pool.borrow(this.borrowRequest!, this.onBorrowed);
  }

  private borrowed(error: Error | undefined, connection: DatabaseConnection | undefined): void {
    if (this.state !== "borrowing") {
      if (connection) this.services.pool.release(connection);
      return;
    }
    if (error || !connection) {
      this.state = "ready";
      this.failHeld(errorFieldsOf(error ?? new Error("no database connection"), "53300"));
      if (!this.inRead) this.flush();
      return;
    }
    this.db = connection;
    connection.owner = this;
    this.state = "borrowed";
    if (this.services.settings.debugLogging) {
      this.services.log.write("DEBUG", `[clientConnection=${this.id}] borrowed [dbConnection=${connection.id}]`);
    }
    if (connection.settings !== this.settings) {
      const previous = connection.settings;
      const sql = sessionSettingsSql(this.settings, previous);
      if (sql) {
        this.toDatabase.push(query(sql));
        this.pending.push(
          PendingResponse.drop("ready", (ok) => {
            if (ok) return;
            // The whole change was rolled back; what the client pipelined behind it fails in the aborted transaction.
            connection.settings = previous;
            this.fatal("22023", `a startup parameter of this session was refused by the database: ${sql}`);
          }),
        );
      }
      connection.settings = this.settings;
    }
    this.held.release(this.heldToDatabase);
    if (!this.inRead) this.flush();
  }

  /** A connection is borrowed: pass the message on (renaming named statements) and note the answer it expects. */
  private onAttachedMessage(type: number, chunk: Buffer, start: number, end: number): void {
    if (this.serverSkipping && type !== Frontend.Sync) {
      this.skippedByDatabase(type);
      return;
    }
    switch (type) {
      case Frontend.Query: {
        const text = parseQuery(chunk, start, end);
        this.services.metrics.counters.QueryRequests++;
        this.services.observer?.request(this, "statement", text);
        this.classify(text, "simple", undefined);
        this.send(chunk, start, end, "ready");
        return;
      }
      case Frontend.Parse: {
        const parse = parseParse(chunk, start, end);
        this.services.observer?.request(this, "parse", parse.query, parse.statementName);
        this.classify(parse.query, "parse", parse.statementName);
        if (parse.statementName === "") {
          this.unnamedQuery = parse.query;
          this.send(chunk, start, end, "parse");
        } else this.parseNamed(parse, chunk.subarray(parse.nameStart, parse.queryStart - 1), chunk.subarray(parse.queryStart, end));
        return;
      }
      case Frontend.Bind: {
        const { statementStart, statementEnd } = parseBind(chunk, start, end);
        const statement = statementEnd === statementStart ? undefined : this.statements.named(chunk, statementStart, statementEnd);
        this.boundName = statement ? statement.name : "";
        this.boundQuery = statement ? statement.query : this.unnamedQuery;
        if (!statement) {
          // Unnamed, or a name the client never prepared: the database answers (with its own error for the latter).
          this.send(chunk, start, end, "bind");
          return;
        }
        this.ensurePrepared(statement);
        const renamed = renamedBind(chunk, start, statementStart, statementEnd + 1, end, statement.serverName);
        this.send(renamed, 0, renamed.length, "bind");
        return;
      }
      case Frontend.Describe: {
        // A portal (what drivers describe on every execution) needs no lookup: only statement names are mapped.
        const target = chunk[start + 5] === DESCRIBE_PORTAL ? undefined : parseTarget(chunk, start, end);
        const statement = target?.target === "S" && target.name !== "" ? this.statements.get(target.name) : undefined;
        if (!statement) {
          this.send(chunk, start, end, "describe");
          return;
        }
        this.ensurePrepared(statement);
        const describe = describeStatement(statement.serverName);
        this.send(describe, 0, describe.length, "describe");
        return;
      }
      case Frontend.Execute:
        this.services.metrics.counters.QueryRequests++;
        this.services.observer?.request(this, "execute", this.boundQuery, this.boundName);
        this.send(chunk, start, end, "execute");
        return;
      case Frontend.Close: {
        const target = parseTarget(chunk, start, end);
        if (target.target === "S" && target.name !== "") this.closeNamed(target.name);
        else this.send(chunk, start, end, "close");
        return;
      }
      case Frontend.Sync:
        this.serverSkipping = false;
        this.send(chunk, start, end, "sync");
        return;
      case Frontend.FunctionCall:
        this.classifyFunctionCall(chunk, start, end);
        this.send(chunk, start, end, "ready");
        return;
      case Frontend.Flush:
      case Frontend.CopyData:
      case Frontend.CopyDone:
      case Frontend.CopyFail:
        this.toDatabase.push(chunk, start, end);
        return;
      case Frontend.Terminate:
        this.close();
        return;
      default:
        this.fatal("08P01", `invalid frontend message type ${type}`);
    }
  }

  /**
   * A message the database discards (it skips to Sync after an error): nothing is sent, answered or remembered, as
   * nothing would be by PostgreSQL. Terminate still ends the session.
   */
  private skippedByDatabase(type: number): void {
    if (type === Frontend.Terminate) this.close();
  }

  /** Forwards bytes [start, end) of `chunk` and notes the answer they expect. */
  private send(chunk: Buffer, start: number, end: number, expect: Expect): void {
    this.toDatabase.push(chunk, start, end);
    this.pending.push(PendingResponse.forward(expect));
    this.markSent();
  }

  /** Notes when the first request since the last answer went to the database (and, in a transaction, arrived). */
  private markSent(): void {
    this.latency.forwarded();
  }

  /** Answers in the proxy's name, in order after everything still pending. */
  private answer(message: Buffer, done?: (ok: boolean) => void): void {
    this.pending.push(PendingResponse.answer(message, done));
    this.releaseAnswers();
  }

  /** The database keeps the statement for other clients; only this client's name goes (unless the Close is skipped). */
  private closeNamed(name: string): void {
    const statement = this.statements.get(name);
    this.statements.delete(name);
    this.answer(CLOSE_COMPLETE, (ok) => {
      if (!ok && statement && !this.statements.get(name)) this.statements.set(name, statement);
    });
  }

  private releaseAnswers(): void {
    let head = this.pending.peek();
    while (head?.action === "answer") {
      this.pending.shift();
      this.toClient.push(head.answer!);
      head = this.pending.peek();
    }
  }

  /**
   * `name`, `queryAndTypes`: the Parse's statement name and the bytes after it, copied here since they are kept. The
   * Parse always reaches the database, as it would without the proxy: a copy the connection has may predate a DDL
   * that changed the statement's result type.
   */
  private parseNamed(parse: ParseMessage, name: Buffer, queryAndTypes: Buffer): void {
    const body = Buffer.from(queryAndTypes);
    const { statementNames } = this.services;
    const statement: ClientStatement = {
      name: parse.statementName,
      nameBytes: Buffer.from(name),
      serverName: statementNames.nameFor(body),
      body,
      query: parse.query,
      parsedAt: statementNames.stamp(),
    };
    // A client that re-Parses a name it did not close gets it replaced, not an error: no well-behaved driver does it.
    if (!this.statements.set(parse.statementName, statement)) {
      this.fatal("53400", `too many prepared statements: a client may keep at most ${MAX_CLIENT_STATEMENTS}, of ${MAX_CLIENT_STATEMENT_BYTES >> 20} MB in all`);
      return;
    }
    this.prepareOnDatabase(statement, "forward", () => {
      // The database refused or skipped the Parse: as without the proxy, the client has no such statement.
      if (this.statements.get(statement.name) === statement) this.statements.delete(statement.name);
    });
  }

  /**
   * Prepares a client's statement on the borrowed connection unless it has a copy prepared since the client's Parse;
   * its ParseComplete is dropped.
   */
  private ensurePrepared(statement: ClientStatement): void {
    if (this.db!.preparedStatements.use(statement.serverName, statement.parsedAt)) return;
    this.prepareOnDatabase(statement, "drop", undefined);
  }

  private prepareOnDatabase(statement: ClientStatement, action: "forward" | "drop", failed: (() => void) | undefined): void {
    const db = this.db!;
    const { serverName } = statement;
    if (db.preparedStatements.has(serverName)) {
      // A copy older than the client's Parse: replaced, since the catalog may have changed since it was prepared.
      db.preparedStatements.delete(serverName);
      this.toDatabase.push(closeStatement(serverName));
      this.pending.push(PendingResponse.drop("close"));
    } else this.evictPrepared(db);
    db.preparedStatements.add(serverName, this.services.statementNames.stamp());
    this.toDatabase.push(renamedParse(serverName, statement.body));
    this.pending.push(
      PendingResponse.prepare(action, (ok) => {
        if (ok) return;
        db.preparedStatements.delete(serverName);
        failed?.();
      }),
    );
    this.markSent();
  }

  /** Keeps at most max_prepared_statements per connection by closing the least recently used. */
  private evictPrepared(db: DatabaseConnection): void {
    const max = this.services.settings.maxPreparedStatements;
    for (let name = db.preparedStatements.leastRecentlyUsed(); name !== undefined && db.preparedStatements.size >= max; name = db.preparedStatements.leastRecentlyUsed()) {
      db.preparedStatements.delete(name);
      this.toDatabase.push(closeStatement(name));
      this.pending.push(PendingResponse.drop("close"));
    }
  }

  private classify(text: string, via: "simple" | "parse", statementName: string | undefined): void {
    if (this.state === "pinned") return;
    // One literal of one shape (no conditional spread): the rulebook's code stays monomorphic.
    const { findings, notInspected } = this.services.rulebook.classify({ text, via, statementName });
    if (notInspected.length > 0) this.notInspected(notInspected, text);
    const finding = findings[0];
    if (!finding) return;
    this.pin(finding);
    if (/\b(deallocate\s+(prepare\s+)?all|discard\s+all)\b/i.test(text)) {
      // The client wipes the connection's statements, the proxy's shared ones included.
      this.db!.preparedStatements.clear();
    }
  }

  /** A DO block or CALL: RDS Proxy does not look inside either; the trial report counts it. */
  private notInspected(details: readonly string[], text: string): void {
    for (const detail of details) this.services.observer?.notInspected(this, detail.startsWith("CALL") ? "call" : "do_block", text);
  }

  /** Decides a FunctionCall as the rulebook decides the same call in SQL (the message was validated where framed). */
  private classifyFunctionCall(chunk: Buffer, start: number, end: number): void {
    // Like statements: a pinned session's state is its own, nothing left to decide.
    if (this.state === "pinned") return;
    const decision = decideFunctionCall(this.services.functions, parseFunctionCall(chunk, start, end));
    if (decision.notInspected) this.services.observer?.notInspected(this, "function_call", `FunctionCall of ${decision.description}`);
    const finding = decision.findings[0];
    if (finding) this.pin(finding);
  }

  private pin(finding: PinFinding): void {
    this.state = "pinned";
    this.pinnedBy = finding;
    this.services.log.pinned(this.id, this.db!.id, finding.reason);
  }

  // Messages from the database.

  onDatabaseMessage(type: number, chunk: Buffer, start: number, end: number): void {
    const head = this.pending.peek();
    // Latencies run to the first answer to the client's requests, not to that of a statement the proxy added first.
    if (head?.action !== "drop") this.latency.answered();
    if (type === Backend.ErrorResponse) {
      this.copyIn = false;
      if (!head || head.action === "forward" || head.forwardErrors) this.toClient.push(chunk, start, end);
      if (!head) return;
      if (head.expect === "ready" || head.expect === "sync") {
        head.fail();
        return;
      }
      for (const skipped of this.pending.skipToSync()) skipped.done?.(false);
      // No Sync sent yet: the database discards what comes until the client's own (see skippedByDatabase).
      if (this.pending.length === 0) this.serverSkipping = true;
      return;
    }
    if (type === Backend.CopyInResponse) this.copyIn = true;
    else if (type === Backend.CommandComplete) this.copyIn = false;
    if (head && endsWith(head.expect, type)) {
      this.pending.shift();
      if (head.action === "forward") this.toClient.push(chunk, start, end);
      head.done?.(!head.failed);
      this.releaseAnswers();
      if (type === Backend.ReadyForQuery && this.pending.length === 0) this.onReadyBoundary();
      return;
    }
    if (!head || head.action === "forward") this.toClient.push(chunk, start, end);
  }

  onDatabasePiece(bytes: Buffer, last: boolean): void {
    const head = this.pending.peek();
    if (head?.action !== "drop") this.latency.answered();
    this.databasePieceOpen = !last;
    if (!head || head.action === "forward") this.toClient.push(bytes);
  }

  /** Everything answered and the database is ready: give the connection back unless the transaction goes on. */
  private onReadyBoundary(): void {
    const db = this.db!;
    if (this.state === "closed") {
      this.continueCleanup(db);
      return;
    }
    if (this.state !== "borrowed" || db.transactionStatus !== "I" || this.copyIn) return;
    this.db = undefined;
    this.state = "ready";
    // The unnamed statement and portal stay on the connection given back: their texts (up to 1 GB) go with them.
    this.unnamedQuery = "";
    this.boundQuery = "";
    if (this.services.settings.debugLogging) {
      this.services.log.write("DEBUG", `[clientConnection=${this.id}] returned [dbConnection=${db.id}]`);
    }
    this.services.pool.release(db);
  }

  onDatabaseReadDone(): void {
    this.flush();
  }

  /**
   * The borrowed connection died (terminated backend, restart, dropped socket). A client with nothing at stake
   * borrows anew for its next transaction; one inside a transaction, with requests in flight, in the middle of a
   * message or pinned is closed after the error PostgreSQL itself would send, so nothing it sent or pipelined after
   * can run on another connection.
   */
  onDatabaseClosed(connection: DatabaseConnection, error: Error | undefined): void {
    if (this.db !== connection) return;
    this.db = undefined;
    clearTimeout(this.cleanupTimer);
    if (this.state === "closed") return;
    const atStake =
      this.state === "pinned" ||
      connection.transactionStatus !== "I" ||
      this.pending.length > 0 ||
      this.serverSkipping ||
      this.copyIn ||
      this.clientPieceOpen;
    this.pending.clear();
    this.serverSkipping = false;
    if (!atStake) {
      this.state = "ready";
      return;
    }
    // In the middle of a message from the database an error would be read as the rest of that message.
    if (!this.databasePieceOpen) this.toClient.push(lostConnectionError(error));
    this.close();
  }

  // Errors the proxy raises in place of the database.

  /** Answers requests that never reached a database (borrow timed out or failed). */
  private failHeld(fields: ErrorFields): void {
    let errored = false;
    this.held.release({
      message: (type) => {
        if (type === Frontend.Query || type === Frontend.FunctionCall) {
          this.toClient.push(errorResponse(fields));
          this.toClient.push(readyForQuery("I"));
          errored = false;
        } else if (type === Frontend.Sync) {
          this.toClient.push(readyForQuery("I"));
          errored = false;
        } else if (type === Frontend.Terminate) {
          this.close();
          return false;
        } else if (type !== Frontend.Flush && type !== Frontend.CopyData && type !== Frontend.CopyDone && type !== Frontend.CopyFail) {
          if (!errored) this.toClient.push(errorResponse(fields));
          errored = true;
        }
        return true;
      },
      // Copy data outside COPY: the server ignores it, and so does the proxy.
      piece: () => true,
    });
    if (errored && this.state !== "closed") this.discardUntilSync = true;
  }

  private protocolFailure(error: unknown): void {
    if (error instanceof ProtocolError) this.fatal(error.code, error.message);
    else this.internalFailure(error);
  }

  /**
   * A fault of the proxy's met while serving this client ends this client alone. Its connection is discarded: what
   * was half done on it is unknown.
   */
  private internalFailure(error: unknown): void {
    this.services.log.write("ERROR", `[clientConnection=${this.id}] internal error: ${error instanceof Error ? error.stack : String(error)}`);
    const db = this.db;
    if (db) {
      this.db = undefined;
      this.toDatabase.clear();
      this.services.pool.discard(db, `internal error while serving client ${this.id}`);
    }
    this.fatal("XX000", `internal error: ${error instanceof Error ? error.message : String(error)}`);
  }

  private fatalFrom(error: Error): void {
    if (error instanceof DatabaseError) {
      this.toClient.push(errorResponse({ ...errorFieldsOf(error, "08006"), severity: "FATAL" }));
      this.close();
      return;
    }
    const fields = errorFieldsOf(error, "08006");
    this.fatal(fields.code, fields.message);
  }

  /** Ends the client for a reason of the proxy's own, with the error PostgreSQL gives in its place. */
  end(reason: ClientEndReason): void {
    switch (reason) {
      case "idle-timeout":
        this.fatal("57P05", `terminating connection due to idle_client_timeout (${this.services.settings.idleClientTimeoutMs / 1000} s)`);
        return;
      case "shutdown":
        this.fatal("57P01", "terminating connection because the proxy is shutting down");
        return;
      case "start-failed":
        this.fatal("57P01", "terminating connection because the proxy failed to start");
        return;
    }
  }

  /** Sends a FATAL error and closes. */
  fatal(code: string, message: string): void {
    if (this.state === "closed") return;
    this.toClient.push(errorResponse({ severity: "FATAL", code, message }));
    this.close();
  }

  // Flushing and closing.

  private flush(): void {
    if (this.held.bytes > MAX_HELD_BYTES) {
      // A client that keeps sending while it waits for a connection is read no further until it has one.
      if (!this.heldPaused) this.socket.pause();
      this.heldPaused = true;
    } else if (this.heldPaused && this.held.empty) {
      this.heldPaused = false;
      this.socket.resume();
    }
    if (!this.toDatabase.empty) {
      const db = this.db;
      if (!db) this.toDatabase.clear();
      else {
        db.send(this.toDatabase);
        if (db.writableNeedDrain && this.state !== "closed") {
          this.socket.pause();
          db.onceDrain(() => this.socket.resume());
        }
      }
    }
    writeToClient(this.socket, this.toClient, this.state === "closed", this.db);
  }

  /** Ends the client connection; a borrowed database connection is cleaned up before anyone else gets it. */
  close(): void {
    if (this.state === "closed") return;
    const wasLoggedIn = this.services.clients.delete(this.id);
    const previous = this.state;
    this.state = "closed";
    if (previous === "awaiting-startup" && this.startupBytes > 0) {
      this.services.log.write("INFO", `[clientConnection=${this.id}] incomplete startup packet (from ${this.address})`);
    }
    clearTimeout(this.loginTimer);
    endClientSocket(this.socket, this.toClient);
    if (wasLoggedIn) {
      this.services.metrics.count("ClientConnectionsClosed");
      this.services.observer?.disconnected(this);
    }
    if (previous === "borrowing") this.services.pool.cancel(this.borrowRequest!, this.onBorrowed);
    this.held.clear();
    const db = this.db;
    if (!db) return;
    // A client that leaves mid-request would leave its query running on the backend (PostgreSQL notices a lost
    // client only when it next reads or writes): cancel it first, as the backend's own client is gone.
    if (this.pending.length > 0) this.services.pool.cancelQuery(db);
    this.beginCleanup(db, previous === "pinned");
  }

  private beginCleanup(db: DatabaseConnection, wasPinned: boolean): void {
    db.resume();
    this.resetDone = !wasPinned;
    if (this.clientPieceOpen || this.copyIn || this.databasePieceOpen) {
      this.db = undefined;
      this.services.pool.discard(db, "its client left in the middle of a message or COPY");
      return;
    }
    this.cleanupTimer = setTimeout(() => {
      this.db = undefined;
      this.services.pool.discard(db, `cleanup after client ${this.id} left took longer than ${CLEANUP_TIMEOUT_MS} ms`);
    }, CLEANUP_TIMEOUT_MS);
    this.cleanupTimer.unref();
    // Whole messages the client sent before it left go first: their answers are expected before the Sync's.
    if (!this.toDatabase.empty) db.send(this.toDatabase);
    // Sync ends any extended-protocol request the client left unfinished; its ReadyForQuery tells the status.
    this.serverSkipping = false;
    this.inject(db, SYNC, "sync");
  }

  /** Sends a message of the proxy's own during cleanup; a failure closes the connection. */
  private inject(db: DatabaseConnection, message: Buffer, expect: "sync" | "ready"): void {
    this.pending.push(
      PendingResponse.drop(expect, (ok) => {
        if (!ok) {
          clearTimeout(this.cleanupTimer);
          this.db = undefined;
          this.services.pool.discard(db, "its cleanup failed");
        }
      }),
    );
    db.write(message);
  }

  private continueCleanup(db: DatabaseConnection): void {
    if (this.db !== db) return;
    if (db.transactionStatus !== "I") {
      this.inject(db, query("ROLLBACK"), "ready");
      return;
    }
    if (!this.resetDone) {
      // A pinned session may have left anything behind: DISCARD ALL, then init_query again (RESET ALL undid it).
      this.resetDone = true;
      db.preparedStatements.clear();
      db.settings = NO_SETTINGS;
      this.inject(db, query("DISCARD ALL"), "ready");
      const init = this.services.settings.initQuery;
      if (init) this.inject(db, query(init), "ready");
      return;
    }
    clearTimeout(this.cleanupTimer);
    this.db = undefined;
    this.services.pool.release(db);
  }
}

function errorFieldsOf(error: Error, defaultCode: string): ErrorFields {
  if (error instanceof DatabaseError) {
    const fields: ErrorFields = { severity: "ERROR", code: error.code, message: error.message };
    const detail = error.fields.get("D");
    const hint = error.fields.get("H");
    if (detail) fields.detail = detail;
    if (hint) fields.hint = hint;
    return fields;
  }
  return { severity: "ERROR", code: defaultCode, message: error.message };
}

/** What a client hears when its connection dies: the database's own FATAL when it sent one, else 08006. */
function lostConnectionError(error: Error | undefined): Buffer {
  if (error instanceof DatabaseError && error.fatal) return errorResponseWithFields(error.fields);
  return errorResponse({
    severity: "FATAL",
    code: "08006",
    message: "terminating connection because the database connection was lost",
    ...(error ? { detail: error.message } : {}),
  });
}
