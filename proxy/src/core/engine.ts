/**
 * What the engine-neutral core (pool, settings, credentials, metrics, admin listener, pin log line, trial report,
 * listeners) needs from a database engine, and what it gives one. An engine brings its wire protocol, its client state
 * machine and its database connection; the core never reads a byte of either protocol.
 *
 *   target URL --scheme--> Engine.parseTarget            (settings)
 *   Engine.connectTarget --> EngineTarget                (start-up: the target's max_connections, engine state)
 *   Pool --EngineTarget.openConnection--> PooledConnection  (the pool holds nothing else)
 *   listener --EngineTarget.serve(core)--> ProxyClient   (the core sees clients only through ProxyClient)
 */
import type { Socket } from "node:net";
import type { SecureContext } from "node:tls";
import { type Engine as RulebookEngine, type NotInspectedKind, type RefusedConnections, systemErrorReason } from "@proxyfit/assessor";
import type { PinFinding, Rulebook } from "@proxyfit/assessor/rules";
import type { UserCredential } from "./auth/credentials.js";
import type { ProxySettings, TargetSettings } from "./config/settings.js";
import type { ProxyLog } from "./logging/log.js";
import type { ProxyMetrics } from "./metrics/index.js";
import type { BorrowRequest, Pool } from "./pool/pool.js";

export interface Engine {
  /** The rulebook's and the trial report's name for it: which pinning rules apply, how the report reads. */
  readonly name: RulebookEngine;
  /** The `--target` URL schemes (without the colon) that choose it, e.g. "postgres". */
  readonly schemes: readonly string[];
  /** Reads a target URL of one of its schemes: user, database and TLS defaults are the engine's. Returns an error line. */
  parseTarget(url: URL): Omit<TargetSettings, "engine"> | string;
  /**
   * Connects to the target as `credential` (the target URL's user) to read what the proxy needs before it serves anyone:
   * max_connections, which the pool's limit is a share of, and whatever the engine itself needs (catalogs, the
   * parameters a client is greeted with). Rejects with a one-line error when the target cannot be reached.
   */
  connectTarget(settings: ProxySettings, credential: UserCredential, timeoutMs: number): Promise<EngineTarget>;
}

/** One engine in front of one target, for the life of the proxy. */
export interface EngineTarget {
  /** The target's max_connections, read at start. */
  readonly maxConnections: number;
  /** Opens, authenticates and initializes (init_query) a connection for the pool, as the borrower's user to its database. */
  openConnection(request: BorrowRequest, timeoutMs: number): Promise<PooledConnection>;
  /**
   * A refusal that retrying will not fix (wrong password, unknown database or role): the pool gives it to every
   * waiter of the group at once instead of retrying with backoff.
   */
  isPermanentRefusal(error: Error): boolean;
  /**
   * How the engine serves a client socket, given the core's services. The pool in `core` holds only connections made
   * by openConnection, so an engine may treat them as its own connection class.
   */
  serve(core: CoreServices<PooledConnection>): (socket: Socket) => ProxyClient;
}

export type PooledConnectionState = "connecting" | "idle" | "borrowed" | "closed";

/** A database connection as the pool holds it. Everything else about it is the engine's. */
export interface PooledConnection {
  /** In log lines ([dbConnection=N]) and the admin view. */
  readonly id: number;
  /** The pool sets idle and borrowed; the connection sets closed, whoever closed it. */
  state: PooledConnectionState;
  /** When it last went idle (performance.now()), written by the pool: idle connections beyond the limit age out. */
  idleSince: number;
  /** Whoever borrowed it, told of its messages; the pool clears it when the connection comes back. */
  owner: unknown;
  /** Inside a transaction: the gauge DatabaseConnectionsCurrentlyInTransaction. */
  readonly inTransaction: boolean;
  /** Set by the pool; called once when the connection closes, for whatever reason, so the pool forgets it. */
  onClose: ((error: Error | undefined) => void) | undefined;
  /** Closes politely (the protocol's goodbye). */
  close(): void;
  /** Closes at once; its owner, if any, is told of `error`. */
  destroy(error: Error | undefined): void;
  /**
   * Asks the database to cancel what runs on the connection now, over a channel of its own; `delivered` runs once the
   * database has taken the request (or the attempt failed). Returns what abandons the attempt. The pool hands the
   * connection to no one else until then, so a late cancel never stops another client's statement.
   */
  sendCancel(delivered: () => void): () => void;
}

/** Why the proxy itself ends a client; each engine words it in its protocol's error. */
export type ClientEndReason = "idle-timeout" | "shutdown" | "start-failed";

/** What the trial report records of a client. */
export interface ObservedClient {
  readonly id: number;
  readonly user: string;
  readonly database: string;
  readonly application: string;
  readonly address: string;
}

/** A client as the core sees it: for the gauges, the admin view and the timers that end clients. */
export interface ProxyClient extends ObservedClient {
  readonly tls: boolean;
  /** Its state machine's state, as the admin view shows it. */
  readonly state: string;
  /** Date.now() when it connected. */
  readonly connectedAt: number;
  /** The core's clock (`CoreServices.clock`) when it last sent anything: idle_client_timeout. */
  readonly lastActivity: number;
  /** Pinned to its database connection until it leaves: DatabaseConnectionsCurrentlySessionPinned. */
  readonly pinned: boolean;
  /** The rulebook's finding that pinned it. */
  readonly pinnedBy: PinFinding | undefined;
  /** The id of the database connection it holds now. */
  readonly databaseConnectionId: number | undefined;
  /** Ends the client if it holds a database connection and has taken longer than client_message_timeout over a message. */
  enforceMessageTimeout(now: number): void;
  /** Ends the client with its protocol's error for `reason`. */
  end(reason: ClientEndReason): void;
}

/** Why the proxy refused a connection as RDS Proxy would (the trial report counts them). */
export type RefusalReason = RefusedConnections["reason"];

/** Live traffic, for the trial report. */
export interface TrafficObserver {
  connected(client: ObservedClient): void;
  /** A statement, a prepare or an execute (binding adds nothing the execute after it does not say). */
  request(client: ObservedClient, kind: "statement" | "parse" | "execute", text: string, statementName?: string): void;
  disconnected(client: ObservedClient): void;
  /** A connection refused before login: `message` is the error the client got, `detail` what it sent. */
  refused(client: ObservedClient, reason: RefusalReason, message: string, detail: string): void;
  notInspected(client: ObservedClient, kind: NotInspectedKind["kind"], example: string): void;
}

/** What the core gives every client of an engine. */
export interface CoreServices<C extends PooledConnection> {
  readonly settings: ProxySettings;
  readonly pool: Pool<C>;
  readonly log: ProxyLog;
  readonly metrics: ProxyMetrics;
  readonly rulebook: Pick<Rulebook, "classify">;
  /** Users and their secrets (users_file, secret_arns). */
  readonly users: ReadonlyMap<string, UserCredential>;
  /** Client TLS (tls_cert, tls_key); undefined without. */
  readonly tls: SecureContext | undefined;
  readonly observer: TrafficObserver | undefined;
  /** Logged-in clients by id: a client adds itself once logged in and removes itself when it closes. */
  readonly clients: Map<number, ProxyClient>;
  /** A clock updated a few times a second: cheap enough to read on every message. */
  readonly clock: { now: number };
}

/**
 * What an engine's connectTarget reads on its first connection to the target: a refusal becomes the one-line
 * start-up error naming the target, and the connection is closed after, whatever the reading does.
 */
export async function readFromTarget<C extends { close(): void }, T>(target: TargetSettings, open: () => Promise<C>, read: (first: C) => Promise<T>): Promise<T> {
  let first: C;
  try {
    first = await open();
  } catch (error) {
    throw new Error(`cannot connect to the target ${target.host}:${target.port} as ${target.user}: ${systemErrorReason(error) ?? (error as Error).message}`);
  }
  try {
    return await read(first);
  } finally {
    first.close();
  }
}
