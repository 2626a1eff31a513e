/**
 * One MySQL client connection, as an explicit state machine:
 *
 *   handshake -> (tls-handshake -> handshake) -> authenticating -> logging-in -> ready
 *   ready -> borrowing -> borrowed -> ready      (transaction pooling: the status flags of each response's last OK or
 *                                                 EOF say when the transaction ends; nothing may be in flight)
 *   borrowed -> pinned                           (a statement the rulebook says pins; until the client leaves)
 *   any -> closed                                (the borrowed connection is cleaned up before anyone reuses it)
 *
 * Packets pass through as the bytes they arrived in. The connection the client borrows first gets the client's
 * tracked session values and default schema (session-state.ts).
 */
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { PinFinding } from "@proxyfit/assessor/rules";
import type { UserCredential } from "../../../core/auth/credentials.js";
import type { ClientEndReason, ProxyClient } from "../../../core/engine.js";
import { eventClock } from "../../../core/event-clock.js";
import type { BorrowCallback, BorrowRequest } from "../../../core/pool/pool.js";
import { BorrowTimeoutError } from "../../../core/pool/pool.js";
import { ResponseLatency } from "../../../core/metrics/response-latency.js";
import { endClientSocket, writeToClient } from "../../../core/wire/client-socket.js";
import { OutputBatch } from "../../../core/wire/output-batch.js";
import { NATIVE_PASSWORD } from "../auth/native-password.js";
import { ServerLogin } from "../auth/login.js";
import {
  Capability,
  Command,
  type CompletedResponse,
  commandError,
  framePackets,
  type HandshakeResponse41,
  MAX_PAYLOAD,
  okPayload,
  type PacketSink,
  PacketFramer,
  type PacketFramerOptions,
  parseClientHello,
  parseProcessKill,
  parseQuery,
  parseStmtPrepare,
  ProtocolError,
  serializeErr,
  ServerStatus,
  type SessionStateChange,
} from "../protocol/index.js";
import { DATABASE_CAPABILITIES, type DatabaseConnection, type DatabaseConnectionOwner, DatabaseError } from "../database/database-connection.js";
import type { MysqlClientServices } from "./services.js";
import { type KillStatement, mayHoldKill, parseKillStatement } from "./kill-statement.js";
import { CHARACTER_SET_VARIABLES, NOT_SESSION_STATE, sessionValuesSql } from "./session-state.js";

export type MysqlClientState = "handshake" | "tls-handshake" | "authenticating" | "logging-in" | "ready" | "borrowing" | "borrowed" | "pinned" | "closed";

/**
 * What the proxy offers clients: what it asked of the database, what only concerns the handshake, and the two flags
 * that only set session values (applied per client, see loginValues in engine.ts).
 */
const CLIENT_CAPABILITIES = (DATABASE_CAPABILITIES | Capability.CONNECT_WITH_DB | Capability.CONNECT_ATTRS | Capability.IGNORE_SPACE | Capability.INTERACTIVE) >>> 0;
/** A client's packets: 64 KB while logging in, then up to MariaDB's largest max_allowed_packet. */
const MAX_LOGIN_PAYLOAD = 65_536;
const MAX_PAYLOAD_BYTES = 1024 * 1024 * 1024;
const MAX_HELD_BYTES = 1024 * 1024;
const LOGIN_TIMEOUT_MS = 60_000;
const CLEANUP_TIMEOUT_MS = 5000;

/** Error numbers the proxy answers with: RDS Proxy's for a borrow timeout, the server's for the rest. */
const ER_BORROW_TIMEOUT = 9501;
const ER_UNKNOWN_COM_ERROR = 1047;
const ER_SERVER_SHUTDOWN = 1053;
const ER_CLIENT_INTERACTION_TIMEOUT = 4031;
const ER_CON_COUNT_ERROR = 1040;
const ER_ACCESS_DENIED = 1045;
const ER_NET_READ_INTERRUPTED = 1159;
const ER_NO_SUCH_THREAD = 1094;
const ER_KILL_DENIED_ERROR = 1095;
const ER_NOT_SUPPORTED_YET = 1235;
const ER_UNSUPPORTED_PS = 1295;
const ER_CONNECTION_KILLED = 1927;

const CHARACTER_SET_QUERY = `SELECT ${CHARACTER_SET_VARIABLES.map((name) => `@@session.${name}`).join(", ")}`;

let nextClientId = 1;

export class MysqlClientConnection implements PacketSink, DatabaseConnectionOwner, ProxyClient {
  readonly id = nextClientId++;
  state: MysqlClientState = "handshake";
  user = "";
  database = "";
  application = "";
  readonly address: string;
  tls = false;
  readonly connectedAt = Date.now();
  lastActivity: number;
  pinnedBy: PinFinding | undefined;
  db: DatabaseConnection | undefined;

  /** Capabilities agreed with the client. */
  private capabilities = 0;
  /** Tracked session values this client set (and its handshake's character set), by name. */
  private readonly values = new Map<string, string>();
  /** Its default schema. */
  private schema = "";
  private initialValues: ReadonlyMap<string, string> = new Map();
  private credential: UserCredential | undefined;
  private borrowRequest: BorrowRequest | undefined;
  private login: ServerLogin | undefined;
  private readonly framerOptions: PacketFramerOptions = { maxPayloadBytes: MAX_LOGIN_PAYLOAD, checkSequence: false, streamAboveBytes: MAX_PAYLOAD + 4 };
  private readonly framer = new PacketFramer(this, this.framerOptions);
  private readonly toClient = new OutputBatch();
  /** Packets that arrived while a connection was being borrowed (copies). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private heldPaused = false;
  /** Forwarded commands whose responses have not ended. */
  private outstanding = 0;
  /** The client's last packet filled 16 MB - 1 bytes: its command goes on in the next. */
  private midCommand = false;
  /** Answers of the proxy's own that wait for the responses in flight before them. */
  private deferred: Buffer[] = [];
  private readonly latency: ResponseLatency;
  private inRead = false;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private loginTimer: NodeJS.Timeout | undefined;
  private readonly onBorrowed: BorrowCallback<DatabaseConnection> = (error, connection) => {
    try {
      this.borrowed(error, connection);
    } catch (failure) {
      this.internalFailure(failure);
    }
  };

  constructor(
    private socket: Socket,
    private readonly services: MysqlClientServices,
  ) {
    this.address = socket.remoteAddress ?? "";
    this.lastActivity = services.clock.now;
    this.latency = new ResponseLatency(services.metrics.histograms);
    services.metrics.count("ClientConnectionsReceived");
    this.listen(socket);
    this.loginTimer = setTimeout(() => this.fatal(ER_NET_READ_INTERRUPTED, "08S01", "login took too long (60 s)"), LOGIN_TIMEOUT_MS);
    this.loginTimer.unref();
    const users = services.users;
    this.login = new ServerLogin({
      handshake: {
        serverVersion: services.serverVersion,
        connectionId: this.id,
        capabilities: (CLIENT_CAPABILITIES | (services.tls ? Capability.SSL : 0)) >>> 0,
        mariadbCapabilities: 0,
        charset: services.charset,
        statusFlags: ServerStatus.AUTOCOMMIT,
        authPluginName: NATIVE_PASSWORD,
      },
      lookup: (name) => {
        const password = users.get(name)?.password;
        return password === undefined ? undefined : { password };
      },
      secureTransport: false,
    });
    socket.write(framePackets(this.login.handshake(), 0));
  }

  get pinned(): boolean {
    return this.state === "pinned";
  }

  get databaseConnectionId(): number | undefined {
    return this.db?.id;
  }

  enforceMessageTimeout(now: number): void {
    if (this.state !== "borrowed" && this.state !== "pinned") return;
    if (!this.framer.midPacket) {
      this.partialSince = undefined;
      return;
    }
    this.partialSince ??= now;
    const timeoutMs = this.services.settings.clientMessageTimeoutMs;
    if (now - this.partialSince < timeoutMs) return;
    this.services.log.write("WARN", `[clientConnection=${this.id}] closing: a message took longer than client_message_timeout to arrive`);
    this.fatal(ER_NET_READ_INTERRUPTED, "08S01", `the client took longer than client_message_timeout (${timeoutMs / 1000} s) to send a packet`);
  }

  private partialSince: number | undefined;

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
    this.inRead = true;
    try {
      this.framer.push(chunk);
    } catch (error) {
      this.internalFailure(error);
    }
    this.inRead = false;
    this.flush();
  }

  invalid(error: ProtocolError): void {
    this.fatal(error.errno, error.sqlState, error.message);
  }

  piece(): void {
    // Nothing streams: packets up to 16 MB are read whole (streamAboveBytes).
  }

  packet(sequenceId: number, chunk: Buffer, start: number, end: number, continued: boolean): void {
    switch (this.state) {
      case "handshake":
      case "authenticating":
        this.onLoginPacket(sequenceId, chunk.subarray(start + 4, end));
        return;
      case "ready":
        this.onReadyPacket(sequenceId, chunk, start, end);
        return;
      case "borrowing":
      case "logging-in":
        this.hold(chunk, start, end);
        return;
      case "borrowed":
      case "pinned":
        if (continued) this.forwardRest(chunk, start, end);
        else this.onAttachedPacket(sequenceId, chunk, start, end);
        return;
      default:
        return;
    }
  }

  // Login.

  private onLoginPacket(sequenceId: number, payload: Buffer): void {
    let step: ReturnType<ServerLogin["clientPacket"]>;
    try {
      step = this.trusted(payload) ?? this.login!.clientPacket(payload);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.services.log.write("INFO", `[clientConnection=${this.id}] closing: ${error.message} (from ${this.address})`);
        this.fatal(error.errno, error.sqlState, error.message, sequenceId + 1);
        return;
      }
      throw error;
    }
    switch (step.kind) {
      case "ssl":
        this.startTls();
        return;
      case "send":
        this.state = "authenticating";
        this.socket.write(framePackets(step.payload, sequenceId + 1));
        return;
      case "rejected": {
        this.services.metrics.count("ClientConnectionsSetupFailedAuth");
        this.services.log.write("INFO", `[clientConnection=${this.id}] authentication failed: ${step.reason}`);
        this.toClient.push(framePackets(step.payload, sequenceId + 1));
        this.close();
        return;
      }
      case "accepted": {
        let sequence = sequenceId + 1;
        for (const payload of step.payloads) this.toClient.push(framePackets(payload, sequence++));
        this.accepted(step.response, sequence);
        return;
      }
    }
  }

  /**
   * client_password_auth_type trust: a user without a password in users_file / secret_arns is taken at its word, as
   * PostgreSQL's trust takes it; a user with one still proves it.
   */
  private trusted(payload: Buffer): ReturnType<ServerLogin["clientPacket"]> | undefined {
    if (this.state !== "handshake" || this.services.settings.clientPasswordAuthType !== "trust") return undefined;
    const hello = parseClientHello(payload);
    if (hello.kind === "ssl-request" || this.services.users.get(hello.username)?.password !== undefined) return undefined;
    return { kind: "accepted", response: hello, payloads: [] };
  }

  private startTls(): void {
    this.state = "tls-handshake";
    const raw = this.socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("close");
    raw.removeAllListeners("error");
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.services.tls! });
    this.socket = secure;
    secure.once("secure", () => {
      this.tls = true;
      this.login!.secured();
      this.state = "handshake";
    });
    this.listen(secure);
  }

  private accepted(response: HandshakeResponse41, sequence: number): void {
    const { settings, metrics, users } = this.services;
    this.login = undefined;
    if (settings.requireTls && !this.tls) {
      metrics.count("ClientConnectionsSetupFailedAuth");
      this.fatal(ER_ACCESS_DENIED, "28000", "This RDS Proxy requires TLS connections", sequence);
      return;
    }
    this.capabilities = (response.capabilities & CLIENT_CAPABILITIES) >>> 0;
    this.user = response.username;
    this.database = response.database ?? "";
    this.schema = this.database;
    this.application = response.connectAttributes?.get("program_name") ?? "";
    this.initialValues = this.services.loginValues(response.charset, response.capabilities);
    for (const [name, value] of this.initialValues) this.values.set(name, value);
    const target = settings.target;
    this.credential = users.get(this.user) ?? {
      username: this.user,
      ...(this.user === target.user && target.password !== undefined ? { password: target.password } : {}),
    };
    this.borrowRequest = { user: this.user, database: this.database, credential: this.credential };
    metrics.count(this.tls ? "ClientConnectionsTLS" : "ClientConnectionsNoTLS");
    this.state = "logging-in";
    this.framerOptions.maxPayloadBytes = MAX_PAYLOAD_BYTES;
    // The first login to a (user, database) borrows once, so a wrong database or user gets the server's own refusal.
    this.services.verify(this.borrowRequest, (error) => {
      if (this.state === "closed") return;
      if (error) {
        const { errno, sqlState, message } = errorOf(error);
        this.fatal(errno, sqlState, message, sequence);
        return;
      }
      clearTimeout(this.loginTimer);
      this.toClient.push(framePackets(okPayload(ServerStatus.AUTOCOMMIT, this.capabilities), sequence));
      this.state = "ready";
      this.services.clients.set(this.id, this);
      metrics.count("ClientConnectionsSetupSucceeded");
      this.services.observer?.connected(this);
      this.releaseHeld();
      this.flush();
    });
  }

  // Commands.

  /** No connection borrowed: answer what needs no database, borrow for the rest. */
  private onReadyPacket(sequenceId: number, chunk: Buffer, start: number, end: number): void {
    if (!this.checked(sequenceId, chunk, start, end)) return;
    switch (chunk[start + 4]) {
      case Command.QUIT:
        this.close();
        return;
      case Command.PING:
        this.reply(okPayload(this.status(), this.capabilities), sequenceId);
        return;
      case Command.RESET_CONNECTION:
        this.resetValues();
        this.reply(okPayload(ServerStatus.AUTOCOMMIT, this.capabilities), sequenceId);
        return;
      case Command.CHANGE_USER:
        this.refuse(sequenceId, chunk[start + 4]!);
        return;
      case Command.PROCESS_KILL:
        this.kill({ kind: "kill", scope: "connection", id: parseProcessKill(chunk, start + 4, end) }, sequenceId);
        return;
      case Command.QUERY:
      case Command.STMT_PREPARE:
        // Answered without a connection: a KILL must work while the pool is exhausted.
        if (this.killAnswered(sequenceId, chunk, start, end)) return;
        break;
    }
    this.hold(chunk, start, end);
    this.state = "borrowing";
    this.latency.received();
    this.services.pool.borrow(this.borrowRequest!, this.onBorrowed);
  }

  /** Checks a command's layout where it is framed; answers a malformed or unsupported one. */
  private checked(sequenceId: number, chunk: Buffer, start: number, end: number): boolean {
    const problem = commandError(chunk, start + 4, end, this.capabilities);
    if (problem === undefined) return true;
    if (problem.startsWith("unsupported command")) {
      this.refuse(sequenceId, chunk[start + 4]!);
      return false;
    }
    this.services.log.write("WARN", `[clientConnection=${this.id}] closing: ${problem}`);
    this.fatal(1835, "HY000", `Malformed communication packet: ${problem}`, sequenceId + 1);
    return false;
  }

  /**
   * A COM_QUERY or COM_STMT_PREPARE holding a KILL statement is answered by the proxy (clients know its connection
   * ids, not the database's) and never forwarded. False for any other command.
   */
  private killAnswered(sequenceId: number, chunk: Buffer, start: number, end: number): boolean {
    if (!mayHoldKill(chunk, start + 5, end)) return false;
    const command = chunk[start + 4];
    const text = command === Command.QUERY ? parseQuery(chunk, start + 4, end) : parseStmtPrepare(chunk, start + 4, end);
    const statement = parseKillStatement(text);
    if (statement === undefined) return false;
    if (chunk.readUIntLE(start, 3) === MAX_PAYLOAD) {
      // Its rest (past 16 MB) would arrive as commands of their own: the client goes.
      this.fatal(ER_NOT_SUPPORTED_YET, "42000", "This version of the proxy doesn't yet support KILL in a statement over 16 MB", sequenceId + 1);
      return true;
    }
    if (command === Command.STMT_PREPARE) {
      this.replyError(sequenceId, ER_UNSUPPORTED_PS, "HY000", "This command is not supported in the prepared statement protocol yet: the proxy answers KILL itself, as a statement of its own");
    } else this.kill(statement, sequenceId);
    return true;
  }

  /**
   * KILL with the proxy's connection ids. A client may kill the clients of its own proxy user (itself included), as a
   * MySQL user without PROCESS or SUPER may kill its own threads: KILL QUERY cancels the statement the target runs on
   * a borrowed connection (KILL QUERY of the database's id, over a connection of its own); KILL [CONNECTION] closes
   * the target, which rolls back what it leaves.
   */
  private kill(statement: KillStatement, sequenceId: number): void {
    if (statement.kind === "unsupported") {
      this.replyError(sequenceId, ER_NOT_SUPPORTED_YET, "42000", "This version of the proxy doesn't yet support KILL other than KILL [CONNECTION | QUERY] id, alone in its statement text");
      return;
    }
    const target = this.services.clients.get(statement.id);
    if (!(target instanceof MysqlClientConnection)) {
      this.replyError(sequenceId, ER_NO_SUCH_THREAD, "HY000", `Unknown thread id: ${statement.id}`);
      return;
    }
    if (target.user !== this.user) {
      this.replyError(sequenceId, ER_KILL_DENIED_ERROR, "HY000", `You are not owner of thread ${statement.id}`);
      return;
    }
    this.services.log.write("INFO", `[clientConnection=${this.id}] KILL ${statement.scope.toUpperCase()} [clientConnection=${target.id}]`);
    if (statement.scope === "query") {
      target.cancelRunningStatement();
      this.reply(okPayload(this.status(), this.capabilities), sequenceId);
      return;
    }
    if (target === this) {
      this.fatal(ER_CONNECTION_KILLED, "70100", "Connection was killed", sequenceId + 1);
      return;
    }
    target.fatal(ER_CONNECTION_KILLED, "70100", "Connection was killed");
    this.reply(okPayload(this.status(), this.capabilities), sequenceId);
  }

  /** KILL QUERY: what runs on the borrowed connection now, if anything, is cancelled on the database. */
  private cancelRunningStatement(): void {
    const db = this.db;
    if (db && this.outstanding > 0 && (this.state === "borrowed" || this.state === "pinned")) this.services.pool.cancelQuery(db);
  }

  private replyError(sequenceId: number, errno: number, sqlState: string, message: string): void {
    this.reply(serializeErr({ errno, sqlState, message }, this.capabilities), sequenceId);
  }

  private refuse(sequenceId: number, command: number): void {
    const what = command === Command.CHANGE_USER ? "COM_CHANGE_USER" : `command 0x${command.toString(16)}`;
    this.reply(serializeErr({ errno: ER_UNKNOWN_COM_ERROR, sqlState: "08S01", message: `Unknown command: the proxy does not support ${what}` }, this.capabilities), sequenceId);
  }

  /** Answers in the proxy's own name, after whatever the database still owes the client. */
  private reply(payload: Buffer, sequenceId: number): void {
    const packet = framePackets(payload, sequenceId + 1);
    if (this.outstanding > 0) this.deferred.push(packet);
    else this.toClient.push(packet);
  }

  private status(): number {
    const inTransaction = this.db?.inTransaction ? ServerStatus.IN_TRANS : 0;
    return (this.values.get("autocommit") === "OFF" ? 0 : ServerStatus.AUTOCOMMIT) | inTransaction;
  }

  private hold(chunk: Buffer, start: number, end: number): void {
    this.held.push(Buffer.from(chunk.subarray(start, end)));
    this.heldBytes += end - start;
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const packet of held) {
      if (this.state === "closed") return;
      const continued = this.midCommandHeld;
      this.midCommandHeld = packet.readUIntLE(0, 3) === MAX_PAYLOAD;
      this.packet(packet[3]!, packet, 0, packet.length, continued);
    }
  }

  private midCommandHeld = false;

  private borrowed(error: Error | undefined, connection: DatabaseConnection | undefined): void {
    if (this.state !== "borrowing") {
      if (connection) this.services.pool.release(connection);
      return;
    }
    if (error || !connection) {
      this.state = "ready";
      this.failHeld(error ?? new Error("no database connection"));
      if (!this.inRead) this.flush();
      return;
    }
    this.db = connection;
    connection.owner = this;
    this.state = "borrowed";
    if (this.services.settings.debugLogging) this.services.log.write("DEBUG", `[clientConnection=${this.id}] borrowed [dbConnection=${connection.id}]`);
    this.applySession(connection);
    this.releaseHeld();
    if (!this.inRead) this.flush();
  }

  /** Gives the connection this client's tracked values and schema; a refusal ends the client. */
  private applySession(db: DatabaseConnection): void {
    const change = sessionValuesSql(this.values, db.session, db.neutral);
    const failed = (error: Error | undefined) => {
      if (!error) return;
      // What the connection holds now is unknown: it is reset before anyone else borrows it.
      db.dirty = true;
      if (this.state !== "closed") this.fatal(ER_UNKNOWN_COM_ERROR, "HY000", `the proxy could not restore this session's values: ${error.message}`);
    };
    if (change) {
      db.run(change.sql).then(() => undefined, failed);
      // Known now, whatever the server reports: it does not report a collation that a character set change implied.
      for (const [name, value] of change.values) db.session.variables.set(name, value);
    }
    if (this.schema !== "" && this.schema !== db.session.schema) {
      db.send(framePackets(Buffer.concat([Buffer.from([Command.INIT_DB]), Buffer.from(this.schema, "utf8")]), 0), 0, undefined, (_r, _rows, e) => failed(e));
    }
  }

  /** A connection is borrowed: classify, pass the command on and note that an answer is due. */
  private onAttachedPacket(sequenceId: number, chunk: Buffer, start: number, end: number): void {
    if (!this.checked(sequenceId, chunk, start, end)) return;
    const command = chunk[start + 4]!;
    const db = this.db!;
    switch (command) {
      case Command.QUIT:
        this.close();
        return;
      case Command.CHANGE_USER:
        this.refuse(sequenceId, command);
        return;
      case Command.PROCESS_KILL:
        this.kill({ kind: "kill", scope: "connection", id: parseProcessKill(chunk, start + 4, end) }, sequenceId);
        return;
      case Command.QUERY: {
        if (this.killAnswered(sequenceId, chunk, start, end)) return;
        const text = parseQuery(chunk, start + 4, end);
        this.services.metrics.counters.QueryRequests++;
        this.services.observer?.request(this, "statement", text);
        this.classify(text, "simple");
        break;
      }
      case Command.STMT_PREPARE: {
        if (this.killAnswered(sequenceId, chunk, start, end)) return;
        const text = parseStmtPrepare(chunk, start + 4, end);
        this.services.observer?.request(this, "parse", text);
        this.classify(text, "parse");
        break;
      }
      case Command.STMT_EXECUTE:
        this.services.metrics.counters.QueryRequests++;
        break;
      case Command.SET_OPTION:
        // Multi-statements on or off: a setting of the connection, no tracked value.
        if (!this.pinned) this.pin({ rule: "mysql.system_variable", reason: "COM_SET_OPTION", ambiguous: false });
        break;
      case Command.RESET_CONNECTION:
        // The server resets everything; the connection is reset again before anyone else borrows it.
        this.resetValues();
        db.dirty = true;
        break;
    }
    this.midCommand = chunk.readUIntLE(start, 3) === MAX_PAYLOAD;
    if (db.send(chunk, start, end)) this.outstanding++;
    this.latency.forwarded();
  }

  /** The rest of a command split at 16 MB. */
  private forwardRest(chunk: Buffer, start: number, end: number): void {
    this.midCommand = chunk.readUIntLE(start, 3) === MAX_PAYLOAD;
    this.db!.write(chunk.subarray(start, end));
  }

  private classify(text: string, via: "simple" | "parse"): void {
    if (this.pinned) return;
    const { findings } = this.services.rulebook.classify({ text, via, statementName: "" });
    const finding = findings[0];
    if (finding) this.pin(finding);
  }

  private pin(finding: PinFinding): void {
    this.state = "pinned";
    this.pinnedBy = finding;
    this.db!.dirty = true;
    this.services.log.pinned(this.id, this.db!.id, finding.reason);
  }

  /** COM_RESET_CONNECTION: the client's tracked values go back to those of its login. */
  private resetValues(): void {
    this.values.clear();
    for (const [name, value] of this.initialValues) this.values.set(name, value);
    this.schema = this.database;
  }

  // From the database.

  onDatabasePacket(chunk: Buffer, start: number, end: number): void {
    this.latency.answered();
    if (this.state !== "closed") this.toClient.push(chunk, start, end);
  }

  onDatabasePiece(bytes: Buffer): void {
    if (this.state !== "closed") this.toClient.push(bytes);
  }

  /**
   * The server reported what the client's statements changed: tracked values and the schema are the client's to
   * keep; any other variable pins, since the proxy could not give it back (a procedure's SET the rulebook cannot see).
   */
  onSessionChanges(changes: readonly SessionStateChange[]): void {
    const neutral = this.db?.neutral;
    for (const change of changes) {
      if (change.type === "schema") this.schema = change.schema;
      else if (change.type === "system-variable") {
        const name = change.name.toLowerCase();
        if (NOT_SESSION_STATE.has(name)) continue;
        if (neutral?.variables.has(name)) {
          this.values.set(name, change.value);
          if (CHARACTER_SET_VARIABLES.includes(name)) this.characterSetChanged = true;
        }
        else if (this.state === "borrowed") this.pin({ rule: "mysql.system_variable", reason: `${name} (changed on the server)`, ambiguous: false });
      }
    }
  }

  onResponseEnd(_response: CompletedResponse): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (this.outstanding === 0 && this.deferred.length > 0) {
      for (const packet of this.deferred.splice(0)) this.toClient.push(packet);
    }
    const db = this.db;
    if (db && this.characterSetChanged) {
      this.characterSetChanged = false;
      this.readCharacterSet(db);
      return;
    }
    this.afterResponse();
  }

  /**
   * The server reports the character set variables a statement changed but not the collation that came with them
   * (SET NAMES ... COLLATE): the four are read back, for the client to keep and the connection to be known by.
   */
  private readCharacterSet(db: DatabaseConnection): void {
    db.run(CHARACTER_SET_QUERY).then(
      ([row]) => {
        CHARACTER_SET_VARIABLES.forEach((name, i) => {
          const value = row?.[i] ?? "";
          db.session.variables.set(name, value);
          if (this.state !== "closed") this.values.set(name, value);
        });
        this.afterResponse();
        this.flush();
      },
      () => {
        db.dirty = true;
        this.afterResponse();
        this.flush();
      },
    );
  }

  private characterSetChanged = false;

  /** A response ended: give the connection back when the transaction is over and nothing is in flight. */
  private afterResponse(): void {
    const db = this.db;
    if (!db) return;
    if (this.state === "closed") {
      this.continueCleanup(db);
      return;
    }
    if (this.state !== "borrowed" || this.outstanding > 0 || !db.idle || db.inTransaction || this.midCommand) return;
    this.db = undefined;
    this.state = "ready";
    if (this.services.settings.debugLogging) this.services.log.write("DEBUG", `[clientConnection=${this.id}] returned [dbConnection=${db.id}]`);
    this.giveBack(db);
  }

  onDatabaseReadDone(): void {
    this.flush();
  }

  /**
   * The borrowed connection died. A client with nothing at stake borrows anew next time; one in a transaction, with a
   * command in flight or pinned loses its connection as it would without the proxy (MySQL and MariaDB close without a
   * word at shutdown).
   */
  onDatabaseClosed(connection: DatabaseConnection, _error: Error | undefined): void {
    if (this.db !== connection) return;
    this.db = undefined;
    clearTimeout(this.cleanupTimer);
    if (this.state === "closed") return;
    const atStake = this.state === "pinned" || connection.inTransaction || this.outstanding > 0 || this.midCommand;
    this.outstanding = 0;
    if (!atStake) {
      this.state = "ready";
      return;
    }
    this.toClient.clear();
    this.close();
  }

  // Errors the proxy raises itself.

  /** Answers the commands held for a borrow that failed. */
  private failHeld(error: Error): void {
    const { errno, sqlState, message } = errorOf(error);
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    let continued = false;
    for (const packet of held) {
      const command = packet[4];
      if (!continued && command === Command.QUIT) {
        this.close();
        return;
      }
      if (!continued) this.toClient.push(framePackets(serializeErr({ errno, sqlState, message }, this.capabilities), packet[3]! + 1));
      continued = packet.readUIntLE(0, 3) === MAX_PAYLOAD;
    }
  }

  private internalFailure(error: unknown): void {
    this.services.log.write("ERROR", `[clientConnection=${this.id}] internal error: ${error instanceof Error ? error.stack : String(error)}`);
    const db = this.db;
    if (db) {
      this.db = undefined;
      this.services.pool.discard(db, `internal error while serving client ${this.id}`);
    }
    this.fatal(1105, "HY000", `internal error: ${error instanceof Error ? error.message : String(error)}`);
  }

  end(reason: ClientEndReason): void {
    switch (reason) {
      case "idle-timeout":
        this.fatal(ER_CLIENT_INTERACTION_TIMEOUT, "HY000", `The client was disconnected by the proxy because of inactivity (idle_client_timeout ${this.services.settings.idleClientTimeoutMs / 1000} s)`);
        return;
      case "shutdown":
        this.fatal(ER_SERVER_SHUTDOWN, "08S01", "The proxy is shutting down");
        return;
      case "start-failed":
        this.fatal(ER_CON_COUNT_ERROR, "08004", "The proxy failed to start");
        return;
    }
  }

  /** Sends an ERR (at `sequenceId`, 0 when nothing was asked) and closes. */
  fatal(errno: number, sqlState: string, message: string, sequenceId = 0): void {
    if (this.state === "closed") return;
    // A packet in the middle of a response would be read as part of it.
    if (this.outstanding === 0) this.toClient.push(framePackets(serializeErr({ errno, sqlState, message }, this.capabilities || Capability.PROTOCOL_41), sequenceId));
    this.close();
  }

  // Flushing and closing.

  private flush(): void {
    if (this.heldBytes > MAX_HELD_BYTES) {
      if (!this.heldPaused) this.socket.pause();
      this.heldPaused = true;
    } else if (this.heldPaused && this.heldBytes === 0) {
      this.heldPaused = false;
      this.socket.resume();
    }
    writeToClient(this.socket, this.toClient, this.state === "closed", this.db);
  }

  close(): void {
    if (this.state === "closed") return;
    const wasLoggedIn = this.services.clients.delete(this.id);
    const previous = this.state;
    this.state = "closed";
    clearTimeout(this.loginTimer);
    endClientSocket(this.socket, this.toClient);
    if (wasLoggedIn) {
      this.services.metrics.count("ClientConnectionsClosed");
      this.services.observer?.disconnected(this);
    }
    if (previous === "borrowing") this.services.pool.cancel(this.borrowRequest!, this.onBorrowed);
    this.held = [];
    this.heldBytes = 0;
    const db = this.db;
    if (db) this.beginCleanup(db);
  }

  /** The client left holding a connection: finish what runs on it, roll back, and reset it if needed. */
  private beginCleanup(db: DatabaseConnection): void {
    db.resume();
    if (this.midCommand) {
      this.db = undefined;
      this.services.pool.discard(db, "its client left in the middle of a command");
      return;
    }
    this.cleanupTimer = setTimeout(() => {
      this.db = undefined;
      this.services.pool.discard(db, `cleanup after client ${this.id} left took longer than ${CLEANUP_TIMEOUT_MS} ms`);
    }, CLEANUP_TIMEOUT_MS);
    this.cleanupTimer.unref();
    // A statement still running would hold the connection (and its locks) for nobody: KILL QUERY it.
    if (this.outstanding > 0) this.services.pool.cancelQuery(db);
    this.continueCleanup(db);
  }

  private continueCleanup(db: DatabaseConnection): void {
    if (this.db !== db || this.outstanding > 0 || !db.idle) return;
    this.db = undefined;
    clearTimeout(this.cleanupTimer);
    if (!db.dirty && db.inTransaction) {
      db.owner = undefined;
      db.run("ROLLBACK").then(
        () => this.giveBack(db),
        () => this.services.pool.discard(db, "its rollback failed"),
      );
      return;
    }
    this.giveBack(db);
  }

  /**
   * Back to the pool: reset first after a pinned session (COM_RESET_CONNECTION), and closed when its default schema
   * cannot be put back (a connection opened without one cannot unset it).
   */
  private giveBack(db: DatabaseConnection): void {
    db.owner = undefined;
    if (db.dirty) {
      db.reset().then(
        () => this.services.pool.release(db),
        () => this.services.pool.discard(db, "its reset failed"),
      );
      return;
    }
    if (db.options.database === "" && db.session.schema !== "") {
      this.services.pool.discard(db, "its default schema cannot be unset");
      return;
    }
    this.services.pool.release(db);
  }
}

function errorOf(error: Error): { errno: number; sqlState: string; message: string } {
  if (error instanceof DatabaseError) return { errno: error.errno, sqlState: error.sqlState, message: error.message };
  if (error instanceof BorrowTimeoutError) return { errno: ER_BORROW_TIMEOUT, sqlState: "HY000", message: error.message };
  return { errno: ER_CON_COUNT_ERROR, sqlState: "08004", message: error.message };
}
