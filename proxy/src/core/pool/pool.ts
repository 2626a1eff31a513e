/**
 * Database connections shared by all clients, grouped by (user, database) because a connection is authenticated as
 * one user to one database. The group sizes add up to at most maxConnections. A borrower gets an idle connection of
 * its group at once, or a new one while there is room, or waits in line (first come, first served) for at most the
 * borrow timeout. When the database cannot be reached the pool retries with backoff while anyone waits.
 */
import { performance } from "node:perf_hooks";
import type { UserCredential } from "../auth/credentials.js";
import type { PooledConnection } from "../engine.js";
import { eventClock } from "../event-clock.js";
import { CancelRequests } from "./cancel-requests.js";

export interface PoolKey {
  user: string;
  database: string;
}

export interface BorrowRequest extends PoolKey {
  credential: UserCredential;
}

export type BorrowCallback<C extends PooledConnection> = (error: Error | undefined, connection: C | undefined) => void;

interface Waiter<C extends PooledConnection> {
  request: BorrowRequest;
  callback: BorrowCallback<C>;
  since: number;
}

export interface PoolOptions<C extends PooledConnection> {
  maxConnections: number;
  maxIdleConnections: number;
  borrowTimeoutMs: number;
  /** Opens a connection as the request's user to its database (the engine's). */
  open(request: BorrowRequest): Promise<C>;
  /** A refusal retrying will not fix (the engine knows its error codes): every waiter of the group gets it at once. */
  isPermanentRefusal(error: Error): boolean;
  /** How long an idle connection above maxIdleConnections stays before it is closed. */
  idleGraceMs?: number;
  log: (level: "INFO" | "WARN" | "ERROR" | "DEBUG", message: string) => void;
  observer?: PoolObserver;
}

/** Hooks for metrics. */
export interface PoolObserver {
  borrowed(latencyMs: number): void;
  connectionRequested(): void;
  connectionOpened(): void;
  connectionFailed(): void;
}

export class BorrowTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`Timed-out waiting to acquire database connection (connection_borrow_timeout is ${waitedMs / 1000} s)`);
    this.name = "BorrowTimeoutError";
  }
}

class Group<C extends PooledConnection> {
  readonly idle: C[] = [];
  /** Oldest first; all wait for the same borrow timeout, so the first waiter is always the next to time out. */
  readonly waiters: Waiter<C>[] = [];
  /** Connections of the group, open or being opened. */
  size = 0;
  opening = 0;
  backoffMs = 0;
  retryTimer: NodeJS.Timeout | undefined;
  /**
   * One timer for the whole queue rather than one per waiter: a borrow that waits a few microseconds (the usual case
   * under load) then costs no timer. It fires at the first waiter's deadline, or later when that waiter was served.
   */
  timeoutTimer: NodeJS.Timeout | undefined;
  constructor(
    readonly user: string,
    readonly database: string,
  ) {}
}

export interface GroupSnapshot {
  user: string;
  database: string;
  connections: number;
  idle: number;
  borrowed: number;
  opening: number;
  waiting: number;
  longestWaitMs: number;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

export class Pool<C extends PooledConnection> {
  /** By user, then database: two lookups of strings the callers keep, instead of building a key per borrow. */
  private readonly groups = new Map<string, Map<string, Group<C>>>();
  /** The same groups as a list: the loops that run on every borrow and release allocate nothing. */
  private readonly groupList: Group<C>[] = [];
  private lastGroup: Group<C> | undefined;
  /** The group of each open connection, so a release needs no lookup by name. */
  private readonly groupOf = new Map<C, Group<C>>();
  private total = 0;
  private closing = false;
  private readonly reaper: NodeJS.Timeout;
  private readonly cancels = new CancelRequests<C>();
  /** Every connection, for metrics and the admin view. */
  readonly connections = new Set<C>();
  /** Highest number of connections open at once. */
  peakConnections = 0;

  constructor(private readonly options: PoolOptions<C>) {
    this.reaper = setInterval(() => {
      this.reapIdle();
      this.removeEmptyGroups();
    }, 1000);
    this.reaper.unref();
  }

  get size(): number {
    return this.total;
  }

  get maxConnections(): number {
    return this.options.maxConnections;
  }

  private group(request: PoolKey): Group<C> {
    // Most proxies serve one user and database: the group found last is checked first, two short string comparisons.
    const last = this.lastGroup;
    if (last !== undefined && last.user === request.user && last.database === request.database) return last;
    this.lastGroup = this.findGroup(request);
    return this.lastGroup;
  }

  private findGroup(request: PoolKey): Group<C> {
    let byDatabase = this.groups.get(request.user);
    if (!byDatabase) {
      byDatabase = new Map();
      this.groups.set(request.user, byDatabase);
    }
    let group = byDatabase.get(request.database);
    if (!group) {
      group = new Group(request.user, request.database);
      byDatabase.set(request.database, group);
      this.groupList.push(group);
    }
    return group;
  }

  /** Calls back with a connection, possibly synchronously when one is idle. */
  borrow(request: BorrowRequest, callback: BorrowCallback<C>): void {
    if (this.closing) {
      callback(new Error("the proxy is shutting down"), undefined);
      return;
    }
    const group = this.group(request);
    const connection = group.waiters.length === 0 ? this.takeIdle(group) : undefined;
    if (connection) {
      this.options.observer?.borrowed(0);
      callback(undefined, connection);
      return;
    }
    group.waiters.push({ request, callback, since: eventClock.now });
    group.timeoutTimer ??= setTimeout(() => this.expire(group), this.options.borrowTimeoutMs);
    this.grow(group, request);
  }

  /** Gives back a connection that is idle (ReadyForQuery "I") and clean; held back while a cancel to it is in flight. */
  release(connection: C): void {
    connection.owner = undefined;
    if (this.cancels.holds(connection, this.releaseAfterCancel)) return;
    const group = this.groupOf.get(connection);
    // Without a group it was never this pool's, or has closed (forget() removed it).
    if (this.closing || connection.state === "closed" || group === undefined) {
      connection.close();
      return;
    }
    this.place(group, connection);
  }

  /** A cancel's delivery is an event of its own (its socket closing): the hand-over it allows is timed from it. */
  private readonly releaseAfterCancel = (connection: C): void => {
    eventClock.mark();
    this.release(connection);
  };

  /**
   * Forwards a CancelRequest for the query running on a borrowed connection. Its borrower must know that query is its
   * own; the connection goes to no one else until the cancel is delivered.
   */
  cancelQuery(connection: C): void {
    this.cancels.send(connection);
  }

  /** Closes a connection that cannot be reused (mid-protocol when its client left, or it failed a reset). */
  discard(connection: C, reason: string): void {
    if (connection.state !== "closed") this.options.log("INFO", `[dbConnection=${connection.id}] closing: ${reason}`);
    connection.owner = undefined;
    connection.destroy(undefined);
  }

  /** Hands a connection to the first waiter of its group, or to another group's waiter, or parks it idle. */
  private place(group: Group<C>, connection: C): void {
    const waiter = group.waiters.shift();
    if (waiter) {
      this.handOver(connection, waiter);
      return;
    }
    if (this.total >= this.options.maxConnections) {
      const starving = this.starvingGroup(group);
      if (starving) {
        // Another user or database waits and there is no room: this connection makes way for it (forget() opens
        // the replacement).
        connection.close();
        return;
      }
    }
    connection.state = "idle";
    // Not eventClock: a release after a client left comes from a close event, which does not mark the clock.
    connection.idleSince = performance.now();
    group.idle.push(connection);
  }

  private handOver(connection: C, waiter: Waiter<C>): void {
    connection.state = "borrowed";
    this.options.observer?.borrowed(eventClock.now - waiter.since);
    waiter.callback(undefined, connection);
  }

  private takeIdle(group: Group<C>): C | undefined {
    // Most recently used first: keeps a small hot set and lets the rest age out.
    const connection = group.idle.pop();
    if (!connection) return undefined;
    connection.state = "borrowed";
    return connection;
  }

  /** Runs on every release while the pool is full. */
  private starvingGroup(except: Group<C>): Group<C> | undefined {
    for (const group of this.groupList) if (group !== except && group.waiters.length > group.opening) return group;
    return undefined;
  }

  /** Opens a connection for the group if the limit allows, making room by closing another group's idle one. */
  private grow(group: Group<C>, request: BorrowRequest): void {
    if (group.waiters.length <= group.opening || group.retryTimer) return;
    if (this.total >= this.options.maxConnections) {
      // Make room by closing another group's idle connection; forget() then opens one for the longest waiter.
      this.idleElsewhere(group)?.close();
      return;
    }
    this.open(group, request);
  }

  /** Runs on every borrow that waits while the pool is full. */
  private idleElsewhere(group: Group<C>): C | undefined {
    for (const other of this.groupList) if (other !== group && other.idle.length > 0) return other.idle.shift();
    return undefined;
  }

  private open(group: Group<C>, request: BorrowRequest): void {
    this.total++;
    group.size++;
    group.opening++;
    this.peakConnections = Math.max(this.peakConnections, this.total);
    this.options.observer?.connectionRequested();
    this.options.open(request).then(
      (connection) => {
        eventClock.mark();
        group.opening--;
        group.backoffMs = 0;
        this.connections.add(connection);
        this.groupOf.set(connection, group);
        this.options.observer?.connectionOpened();
        connection.onClose = (error) => this.forget(group, connection, error);
        this.options.log("DEBUG", `[dbConnection=${connection.id}] opened for user ${request.user} database ${request.database}`);
        this.place(group, connection);
      },
      (error: Error) => {
        group.opening--;
        group.size--;
        this.total--;
        this.options.observer?.connectionFailed();
        this.connectFailed(group, error);
      },
    );
  }

  private connectFailed(group: Group<C>, error: Error): void {
    if (this.options.isPermanentRefusal(error)) {
      // Every waiter of the group would get the same answer: give it to them now.
      for (const waiter of group.waiters.splice(0)) waiter.callback(error, undefined);
      // The room this connection was to take goes to whoever else waits: nothing else would open one for them.
      const starving = this.starvingGroup(group);
      if (starving) this.grow(starving, starving.waiters[0]!.request);
      return;
    }
    group.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, group.backoffMs * 2));
    this.options.log("WARN", `cannot connect to the database (${error.message}); retrying in ${group.backoffMs} ms`);
    group.retryTimer = setTimeout(() => {
      group.retryTimer = undefined;
      const next = group.waiters[0];
      if (next) this.grow(group, next.request);
    }, group.backoffMs);
    group.retryTimer.unref();
  }

  private forget(group: Group<C>, connection: C, error: Error | undefined): void {
    this.connections.delete(connection);
    this.groupOf.delete(connection);
    this.total--;
    group.size--;
    const idleAt = group.idle.indexOf(connection);
    if (idleAt >= 0) group.idle.splice(idleAt, 1);
    if (error && !this.closing) this.options.log("WARN", `[dbConnection=${connection.id}] closed by the database: ${error.message}`);
    if (this.closing) return;
    // Room was freed: whoever waits longest, in any group, may open one.
    const waiting = group.waiters[0] ? group : this.starvingGroup(group);
    if (waiting) this.grow(waiting, waiting.waiters[0]!.request);
  }

  /** Fails the waiters whose borrow timeout has passed and sets the timer again for the next one. */
  private expire(group: Group<C>): void {
    group.timeoutTimer = undefined;
    const timeout = this.options.borrowTimeoutMs;
    const now = performance.now();
    // Timers run on the event loop's millisecond clock, which can read up to a millisecond ahead of performance.now().
    while (group.waiters.length > 0 && now - group.waiters[0]!.since >= timeout - 1) {
      group.waiters.shift()!.callback(new BorrowTimeoutError(timeout), undefined);
    }
    const next = group.waiters[0];
    if (next) group.timeoutTimer = setTimeout(() => this.expire(group), Math.max(1, Math.ceil(next.since + timeout - now)));
  }

  /** Withdraws a waiting borrow (its client left). */
  cancel(request: BorrowRequest, callback: BorrowCallback<C>): void {
    const group = this.group(request);
    const at = group.waiters.findIndex((w) => w.callback === callback);
    if (at >= 0) group.waiters.splice(at, 1);
  }

  /** Closes idle connections beyond the idle limit once they have been idle for the grace period. */
  private reapIdle(): void {
    const grace = this.options.idleGraceMs ?? 30_000;
    let idle = 0;
    for (const group of this.groupList) idle += group.idle.length;
    const now = performance.now();
    for (const group of this.groupList) {
      while (idle > this.options.maxIdleConnections && group.idle.length > 0 && now - group.idle[0]!.idleSince >= grace) {
        group.idle.shift()!.close();
        idle--;
      }
    }
  }

  /**
   * Forgets the groups left with nothing: no connection open or being opened, no waiter, no retry pending (a login to
   * a database or user that does not exist leaves one). A group is made again on its next borrow. Done here, once a
   * second, rather than where a group empties: connections close synchronously inside loops over the groups.
   */
  private removeEmptyGroups(): void {
    let kept = 0;
    for (const group of this.groupList) {
      if (group.size > 0 || group.waiters.length > 0 || group.retryTimer !== undefined) {
        this.groupList[kept++] = group;
        continue;
      }
      clearTimeout(group.timeoutTimer);
      const byDatabase = this.groups.get(group.user);
      byDatabase?.delete(group.database);
      if (byDatabase?.size === 0) this.groups.delete(group.user);
      if (this.lastGroup === group) this.lastGroup = undefined;
    }
    this.groupList.length = kept;
  }

  /** Drops idle connections: after a failover they point at a server that is gone. */
  closeIdle(): void {
    for (const group of this.groupList) for (const connection of group.idle.splice(0)) connection.close();
  }

  snapshot(): GroupSnapshot[] {
    const now = performance.now();
    return this.groupList.map((group) => {
      return {
        user: group.user,
        database: group.database,
        connections: group.size,
        idle: group.idle.length,
        // Every connection of the group is being opened, idle, or borrowed (cleaned up after its client counts).
        borrowed: group.size - group.opening - group.idle.length,
        opening: group.opening,
        waiting: group.waiters.length,
        longestWaitMs: group.waiters[0] ? Math.round(now - group.waiters[0].since) : 0,
      };
    });
  }

  get waiting(): number {
    let n = 0;
    for (const group of this.groupList) n += group.waiters.length;
    return n;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.reaper);
    for (const group of this.groupList) {
      clearTimeout(group.retryTimer);
      clearTimeout(group.timeoutTimer);
      for (const waiter of group.waiters.splice(0)) waiter.callback(new Error("the proxy is shutting down"), undefined);
    }
    for (const connection of [...this.connections]) connection.close();
  }
}
