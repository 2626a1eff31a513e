/**
 * Where each response ends. Given the commands a client sent (in order; clients may pipeline) and the capabilities
 * both sides agreed on, an explicit state machine consumes the server's packets and says when the response to each
 * command is complete and with what status flags (in transaction, autocommit, more results, cursor): what
 * transaction pooling needs to know that a server connection can go back to the pool. Rows are never decoded: a
 * result set ends at its terminator, which no row can be mistaken for.
 */
import { CachingSha2, Capability, Command, CursorType, Header, MariadbCapability, MAX_PAYLOAD, ServerStatus } from "./constants.js";
import { PROGRESS_REPORT_ERRNO, isEofPacket, isResultSetEnd, parseColumnCount, parseOk, parseStmtPrepareOk, parseTerminator } from "./responses.js";
import { ProtocolError } from "./protocol-error.js";

/**
 * What the server sends next:
 * - `first`: the first packet of a result (OK, ERR, LOCAL INFILE request or a column count);
 * - `status`: an OK or ERR (also EOF for COM_SET_OPTION);
 * - `prepare`: COM_STMT_PREPARE_OK or ERR;
 * - `definitions`: `remaining` column or parameter definitions, then `after`;
 * - `definitions-eof`: the EOF that ends definitions without CLIENT_DEPRECATE_EOF, then `after`;
 * - `rows`: rows until a terminator or ERR;
 * - `field-list`: COM_FIELD_LIST's column definitions until an EOF or ERR;
 * - `statistics`: COM_STATISTICS's one string packet;
 * - `infile-upload`: nothing: the client sends the file, then an empty packet;
 * - `auth`: COM_CHANGE_USER's exchange (auth switch, more data, client answers) until OK or ERR; `clientTurn`
 *   while the client is to answer;
 * - `idle`: no command in flight.
 */
export type ResponseState =
  | { kind: "idle" }
  | { kind: "first" }
  | { kind: "status" }
  | { kind: "prepare" }
  | { kind: "definitions"; remaining: number; after: AfterDefinitions }
  | { kind: "definitions-eof"; after: AfterDefinitions }
  | { kind: "rows" }
  | { kind: "field-list" }
  | { kind: "statistics" }
  | { kind: "infile-upload" }
  | { kind: "auth"; clientTurn: boolean };

/** What follows a block of definitions: rows, the statement's column definitions, or nothing. */
type AfterDefinitions = { kind: "rows"; cursor: boolean } | { kind: "columns"; count: number } | { kind: "done" };

/** A response that has ended. */
export interface CompletedResponse {
  command: number;
  /** Status flags of its last OK or EOF; undefined when it ended with an ERR (the server's state is then unknown). */
  statusFlags: number | undefined;
  /** It ended with an ERR packet. */
  error: boolean;
}

/** A command whose response has not started. */
interface QueuedCommand {
  command: number;
  /** COM_STMT_EXECUTE asked for a cursor. */
  cursor: boolean;
}

export class ResponseTracker {
  private state: ResponseState = { kind: "idle" };
  private current: QueuedCommand | undefined;
  private readonly queue: QueuedCommand[] = [];
  private lastStatus: number | undefined;

  constructor(
    private readonly capabilities: number,
    private readonly mariadbCapabilities = 0,
    /** Status flags from the handshake, until a response says otherwise. */
    initialStatus?: number,
  ) {
    this.lastStatus = initialStatus;
  }

  /** What the server is to send next for the command in flight. */
  get expecting(): ResponseState {
    return this.state;
  }

  /** No command in flight and none queued. */
  get idle(): boolean {
    return this.state.kind === "idle" && this.queue.length === 0;
  }

  /** Status flags of the last OK or EOF (undefined before any). */
  get statusFlags(): number | undefined {
    return this.lastStatus;
  }

  /** SERVER_STATUS_IN_TRANS by the last status the server reported, or true while that is unknown. */
  get inTransaction(): boolean {
    return this.lastStatus === undefined || (this.lastStatus & ServerStatus.IN_TRANS) !== 0;
  }

  /** The client, not the server, sends next: LOCAL INFILE data or an answer in COM_CHANGE_USER's auth exchange. */
  get clientSendsNext(): boolean {
    return this.state.kind === "infile-upload" || (this.state.kind === "auth" && this.state.clientTurn);
  }

  /**
   * A command the client sent, its payload at [start, end) of `chunk`. Returns the completed response at once for a
   * command the server does not answer (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA, COM_QUIT).
   */
  command(chunk: Buffer, start: number, end: number): CompletedResponse | undefined {
    if (start >= end) throw new ProtocolError("an empty packet where a command was expected");
    const command = chunk[start]!;
    const cursor = command === Command.STMT_EXECUTE && end - start > 5 && (chunk[start + 5]! & CURSOR_FLAGS) !== 0;
    const queued = { command, cursor };
    // The server answers these with nothing, whatever is still in flight before them.
    if (initialState(queued) === undefined) return { command, statusFlags: this.lastStatus, error: false };
    this.queue.push(queued);
    if (this.state.kind === "idle") this.startNext();
    return undefined;
  }

  /**
   * Whether a large server packet must be delivered whole (PacketFramerOptions.mustRead): only the packets the
   * tracker parses (OK, EOF, ERR, COM_STMT_PREPARE_OK, column counts); rows and definitions may stream.
   */
  mustRead(firstByte: number, length: number): boolean {
    switch (this.state.kind) {
      case "rows":
        return firstByte === Header.ERR || isResultSetEnd(firstByte, length, this.capabilities);
      case "definitions":
      case "statistics":
      case "idle":
      case "infile-upload":
        return false;
      default:
        return length < MAX_PAYLOAD;
    }
  }

  /**
   * A packet from the server, 4-byte header included, at [start, end) of `chunk`: a whole packet, or the first piece
   * of a streamed one (only packets `mustRead` refused may stream). `continued`: it continues a packet split at
   * 16 MB. Returns the response it completes, if any.
   */
  serverPacket(chunk: Buffer, start: number, end: number, continued: boolean): CompletedResponse | undefined {
    if (continued) return undefined;
    const length = chunk[start]! | (chunk[start + 1]! << 8) | (chunk[start + 2]! << 16);
    const first = length > 0 ? chunk[start + 4] : undefined;
    const whole = end - start >= 4 + length;
    const payload = (): Buffer => {
      if (!whole) throw new ProtocolError(`a ${length}-byte packet the response tracker reads arrived in pieces`);
      return chunk.subarray(start + 4, start + 4 + length);
    };
    const state = this.state;
    if (state.kind === "idle" || this.clientSendsNext) {
      throw new ProtocolError(`server packet (first byte ${first ?? "none"}) while ${state.kind === "idle" ? "no command is in flight" : "the client is to send"}`);
    }
    if (first === Header.ERR) {
      if (this.isProgressReport(payload())) return undefined;
      return this.finish(undefined, true);
    }
    switch (state.kind) {
      case "first":
        return this.firstPacket(first, payload);
      case "status":
        return this.finishWithStatus(parseTerminator(payload(), this.capabilities).statusFlags);
      case "prepare":
        return this.prepareOk(payload());
      case "definitions":
        if (state.remaining > 1) {
          state.remaining--;
          return undefined;
        }
        return this.afterDefinitions(state.after, !(this.capabilities & Capability.DEPRECATE_EOF));
      case "definitions-eof": {
        if (first === undefined || !isEofPacket(first, length)) throw new ProtocolError(`expected the EOF after definitions, got a ${length}-byte packet starting ${first}`);
        const status = parseTerminator(payload(), this.capabilities).statusFlags;
        this.lastStatus = status;
        return this.afterDefinitions(state.after, false, status);
      }
      case "rows":
        if (first === undefined || !isResultSetEnd(first, length, this.capabilities)) return undefined;
        return this.endOfResult(parseTerminator(payload(), this.capabilities).statusFlags);
      case "field-list":
        if (first === undefined || !isResultSetEnd(first, length, this.capabilities)) return undefined;
        return this.finishWithStatus(parseTerminator(payload(), this.capabilities).statusFlags);
      case "statistics":
        return this.finish(this.lastStatus, false);
      case "auth":
        if (first === Header.OK) return this.finishWithStatus(parseOk(payload(), this.capabilities).statusFlags);
        // AuthSwitchRequest (0xfe) or AuthMoreData (0x01): the client answers, but not to a fast-auth success,
        // after which the server's OK follows.
        if (first === Header.AUTH_SWITCH || first === Header.AUTH_MORE_DATA) {
          state.clientTurn = !(first === Header.AUTH_MORE_DATA && length === 2 && chunk[start + 5] === CachingSha2.FAST_AUTH_SUCCESS);
          return undefined;
        }
        throw new ProtocolError(`unexpected packet starting ${first} in COM_CHANGE_USER's authentication`);
    }
  }

  /**
   * A packet from the client while `clientSendsNext`: an answer in COM_CHANGE_USER's authentication, or a piece of
   * a LOCAL INFILE file, which an empty packet ends.
   */
  clientPacket(chunk: Buffer, start: number, _end: number, continued: boolean): void {
    if (!this.clientSendsNext) throw new ProtocolError("client packet while the server has not asked for one");
    if (this.state.kind === "auth") {
      this.state.clientTurn = continued || chunk.readUIntLE(start, 3) === MAX_PAYLOAD;
      return;
    }
    const length = chunk[start]! | (chunk[start + 1]! << 8) | (chunk[start + 2]! << 16);
    // An empty packet that ends a 16 MB split is part of the file, not its end.
    if (length === 0 && !continued) this.state = { kind: "status" };
  }

  private isProgressReport(payload: Buffer): boolean {
    return (this.mariadbCapabilities & MariadbCapability.PROGRESS) !== 0 && payload.length >= 3 && payload.readUInt16LE(1) === PROGRESS_REPORT_ERRNO;
  }

  private firstPacket(first: number | undefined, payload: () => Buffer): CompletedResponse | undefined {
    if (first === Header.OK) return this.endOfResult(parseOk(payload(), this.capabilities).statusFlags);
    if (first === Header.LOCAL_INFILE) {
      this.state = { kind: "infile-upload" };
      return undefined;
    }
    const { count, metadataFollows } = parseColumnCount(payload(), this.capabilities, this.mariadbCapabilities);
    const after: AfterDefinitions = { kind: "rows", cursor: this.current!.cursor };
    if (metadataFollows) this.state = { kind: "definitions", remaining: count, after };
    else return this.afterDefinitions(after, !(this.capabilities & Capability.DEPRECATE_EOF));
    return undefined;
  }

  private prepareOk(payload: Buffer): CompletedResponse | undefined {
    const ok = parseStmtPrepareOk(payload, this.capabilities);
    if (!ok.metadataFollows) return this.finish(this.lastStatus, false);
    const columns: AfterDefinitions = ok.columnCount > 0 ? { kind: "columns", count: ok.columnCount } : { kind: "done" };
    if (ok.paramCount > 0) {
      this.state = { kind: "definitions", remaining: ok.paramCount, after: columns };
      return undefined;
    }
    return this.afterDefinitions(columns, false);
  }

  /**
   * The last definition of a block arrived (or an EOF ended it): an EOF follows first without CLIENT_DEPRECATE_EOF.
   * After a cursor's column definitions the response ends: rows come with COM_STMT_FETCH.
   */
  private afterDefinitions(after: AfterDefinitions, eofFollows: boolean, eofStatus?: number): CompletedResponse | undefined {
    if (eofFollows) {
      this.state = { kind: "definitions-eof", after };
      return undefined;
    }
    switch (after.kind) {
      case "rows":
        if (eofStatus !== undefined && after.cursor && eofStatus & ServerStatus.CURSOR_EXISTS) return this.finish(eofStatus, false);
        this.state = { kind: "rows" };
        return undefined;
      case "columns":
        this.state = { kind: "definitions", remaining: after.count, after: { kind: "done" } };
        return undefined;
      case "done":
        return this.finish(this.lastStatus, false);
    }
  }

  /** The end of one result: another follows with SERVER_MORE_RESULTS_EXISTS. */
  private endOfResult(status: number): CompletedResponse | undefined {
    this.lastStatus = status;
    if (status & ServerStatus.MORE_RESULTS_EXISTS) {
      this.state = { kind: "first" };
      return undefined;
    }
    return this.finish(status, false);
  }

  private finishWithStatus(status: number): CompletedResponse | undefined {
    this.lastStatus = status;
    if (!(status & ServerStatus.MORE_RESULTS_EXISTS)) return this.finish(status, false);
    // LOCAL INFILE's OK inside a multi-statement: more results follow.
    this.state = { kind: "first" };
    return undefined;
  }

  private finish(statusFlags: number | undefined, error: boolean): CompletedResponse {
    const done: CompletedResponse = { command: this.current!.command, statusFlags, error };
    this.current = undefined;
    this.state = { kind: "idle" };
    this.startNext();
    return done;
  }

  private startNext(): void {
    const next = this.queue.shift();
    if (next === undefined) return;
    this.current = next;
    this.state = initialState(next)!;
  }
}

const CURSOR_FLAGS = CursorType.READ_ONLY | CursorType.FOR_UPDATE | CursorType.SCROLLABLE;

function initialState(c: QueuedCommand): ResponseState | undefined {
  switch (c.command) {
    case Command.QUERY:
    case Command.STMT_EXECUTE:
      return { kind: "first" };
    case Command.STMT_PREPARE:
      return { kind: "prepare" };
    case Command.STMT_FETCH:
      return { kind: "rows" };
    case Command.FIELD_LIST:
      return { kind: "field-list" };
    case Command.STATISTICS:
      return { kind: "statistics" };
    case Command.CHANGE_USER:
      return { kind: "auth", clientTurn: false };
    case Command.STMT_CLOSE:
    case Command.STMT_SEND_LONG_DATA:
    case Command.QUIT:
      return undefined;
    default:
      // COM_INIT_DB, COM_PING, COM_RESET_CONNECTION, COM_STMT_RESET, COM_SET_OPTION, COM_PROCESS_KILL, ...
      return { kind: "status" };
  }
}
