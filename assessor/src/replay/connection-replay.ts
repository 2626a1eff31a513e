import type { ReplayReport } from "../report/report.js";
import type { OpenSession, SessionTimelineListener } from "../sessions/session-tracker.js";
import { Delta, DeltaBuffer } from "./delta-buffer.js";
import { MaxSeries } from "./series.js";

export interface ReplaySettings {
  /** The target's max_connections, when known. */
  maxConnections?: number;
  /** RDS Proxy's max_connections_percent (default 100). */
  maxConnectionsPercent: number;
}

const BUCKET_MS = 1000;
/** The report keeps at most this many points per series; longer logs get wider buckets. */
const MAX_POINTS = 10_000;
const MAX_WAIT_PERIODS = 50;

/** The database connections RDS Proxy may open: max_connections_percent of max_connections, at least one. */
export function proxyConnectionLimit(maxConnections: number, maxConnectionsPercent: number): number {
  return Math.max(1, Math.floor((maxConnections * maxConnectionsPercent) / 100));
}

/**
 * Replays the log's timeline as RDS Proxy would run it: an unpinned client holds a database connection only while a
 * transaction (or an autocommit statement) runs, a pinned client from the pin until it disconnects. The sweep runs
 * behind a watermark so memory holds only the changes not yet final, not the whole log.
 */
export class ConnectionReplay implements SessionTimelineListener {
  private readonly pending = new DeltaBuffer();
  /** Per open session: does it hold a database connection now, and is it pinned. */
  private readonly holding = new Map<number, { holding: boolean; pinned: boolean }>();
  private readonly limit?: number;
  private origin?: number;
  private swept = Number.NEGATIVE_INFINITY;
  private clients = 0;
  private database = 0;
  private pinnedNow = 0;
  private readonly clientSeries = new MaxSeries();
  private readonly databaseSeries = new MaxSeries();
  private readonly pinnedSeries = new MaxSeries();
  private readonly waitingSeries = new MaxSeries();
  private peakClients = { value: 0, at: 0 };
  private peakDatabase = 0;
  private peakPinned = 0;
  private waits = { count: 0, maxWaitMs: 0, totalWaitMs: 0 };
  private readonly waitPeriods: ReplayReport["borrowWaits"]["periods"] = [];
  private waitingSince?: number;
  private waitingPeak = 0;
  /** Levels as of the last committed instant. */
  private readonly committed: { time?: number; clients: number; database: number; pinned: number; waiting: number } = {
    clients: 0,
    database: 0,
    pinned: 0,
    waiting: 0,
  };

  constructor(private readonly settings: ReplaySettings) {
    if (settings.maxConnections !== undefined) {
      this.limit = proxyConnectionLimit(settings.maxConnections, settings.maxConnectionsPercent);
    }
  }

  opened(session: OpenSession, at: number): void {
    this.holding.set(session.serial, { holding: false, pinned: false });
    this.pending.push(at, Delta.ClientOpen);
  }

  borrowed(session: OpenSession, at: number): void {
    const state = this.holding.get(session.serial);
    if (!state || state.holding) return;
    state.holding = true;
    this.pending.push(at, Delta.DatabaseBorrow);
  }

  released(session: OpenSession, at: number): void {
    const state = this.holding.get(session.serial);
    // A pinned session keeps its connection until it disconnects.
    if (!state || state.pinned || !state.holding) return;
    state.holding = false;
    this.pending.push(at, Delta.DatabaseRelease);
  }

  pinned(session: OpenSession, at: number): void {
    const state = this.holding.get(session.serial);
    if (!state) return;
    if (!state.holding) this.pending.push(at, Delta.DatabaseBorrow);
    state.holding = true;
    state.pinned = true;
    this.pending.push(at, Delta.PinStart);
  }

  closed(session: OpenSession, at: number): void {
    const state = this.holding.get(session.serial);
    this.holding.delete(session.serial);
    this.pending.push(at, Delta.ClientClose);
    // Disconnecting mid-transaction (or pinned) hands the connection back.
    if (state?.holding) this.pending.push(at, Delta.DatabaseRelease);
    if (state?.pinned) this.pending.push(at, Delta.PinEnd);
  }

  /** Number of changes waiting for the sweep; the analysis advances the watermark when it grows. */
  get backlog(): number {
    return this.pending.length;
  }

  /**
   * Sweeps every change before `watermark` (no later call can name a time before it), and beyond it all but the latest
   * `keepAtMost`: a change that then arrives before the sweep's position counts at that position.
   */
  advance(watermark: number, keepAtMost?: number): void {
    this.pending.drain(watermark, (time, kind) => this.apply(time, kind), keepAtMost);
  }

  report(notes: string[] = []): ReplayReport {
    this.advance(Number.POSITIVE_INFINITY);
    if (this.origin !== undefined) this.commitInstant();
    this.endWaitingPeriod(this.swept);
    const clients = this.clientSeries.points(MAX_POINTS);
    const maxConnections = this.settings.maxConnections;
    return {
      bucketSeconds: (BUCKET_MS / 1000) * clients.factor,
      start: new Date(this.origin ?? 0).toISOString(),
      series: {
        clientConnections: clients.values,
        databaseConnections: this.databaseSeries.points(MAX_POINTS).values,
        pinnedConnections: this.pinnedSeries.points(MAX_POINTS).values,
        waitingClients: this.waitingSeries.points(MAX_POINTS).values,
      },
      peaks: {
        clientConnections: this.peakClients.value,
        databaseConnections: this.peakDatabase,
        pinnedConnections: this.peakPinned,
      },
      p99: {
        clientConnections: this.clientSeries.p99(),
        databaseConnections: this.databaseSeries.p99(),
        pinnedConnections: this.pinnedSeries.p99(),
      },
      multiplexingFactor: this.peakDatabase === 0 ? 0 : this.peakClients.value / this.peakDatabase,
      ...(maxConnections === undefined ? {} : { maxConnections }),
      maxConnectionsPercent: this.settings.maxConnectionsPercent,
      ...(this.limit === undefined ? {} : { proxyConnectionLimit: this.limit }),
      borrowWaits: { ...this.waits, periods: this.waitPeriods },
      baseline: {
        peakConcurrentSessions: this.peakClients.value,
        ...(this.peakClients.value > 0 ? { at: new Date(this.peakClients.at).toISOString() } : {}),
        ...(maxConnections === undefined ? {} : { maxConnections }),
        exceeded: maxConnections !== undefined && this.peakClients.value > maxConnections,
      },
      notes,
    };
  }

  /**
   * Applies one change. Levels are read only once every change of an instant is in (`commitInstant`), so a release
   * and a borrow at the same millisecond never show as a transient peak.
   */
  private apply(rawTime: number, kind: Delta): void {
    // A change older than what was already swept (a log line far out of order) counts at the sweep's position.
    const time = Math.max(rawTime, this.swept);
    if (time !== this.swept && this.origin !== undefined) this.commitInstant();
    this.swept = time;
    this.origin ??= Math.floor(time / BUCKET_MS) * BUCKET_MS;
    switch (kind) {
      case Delta.ClientOpen:
        this.clients++;
        break;
      case Delta.ClientClose:
        this.clients = Math.max(0, this.clients - 1);
        break;
      case Delta.DatabaseBorrow:
        if (this.limit !== undefined && this.database >= this.limit) this.waits.count++;
        this.database++;
        break;
      case Delta.DatabaseRelease:
        this.database = Math.max(0, this.database - 1);
        break;
      case Delta.PinStart:
        this.pinnedNow++;
        break;
      case Delta.PinEnd:
        this.pinnedNow = Math.max(0, this.pinnedNow - 1);
        break;
    }
  }

  /** Records the levels reached at the instant `this.swept`, after all of its changes. */
  private commitInstant(): void {
    const time = this.swept;
    const origin = this.origin!;
    const previous = this.committed;
    if (previous.waiting > 0 && previous.time !== undefined) {
      this.waits.totalWaitMs += previous.waiting * (time - previous.time);
    }
    const bucket = Math.floor((time - origin) / BUCKET_MS);
    const waiting = this.waiting();
    // Buckets passed over held the previous levels; so did this one, unless the instant is its very start.
    const heldBefore = time > origin + bucket * BUCKET_MS ? 1 : 0;
    this.clientSeries.reach(bucket, previous.clients, heldBefore, this.clients);
    this.databaseSeries.reach(bucket, previous.database, heldBefore, this.database);
    this.pinnedSeries.reach(bucket, previous.pinned, heldBefore, this.pinnedNow);
    this.waitingSeries.reach(bucket, previous.waiting, heldBefore, waiting);
    if (this.clients > this.peakClients.value) this.peakClients = { value: this.clients, at: time };
    if (this.database > this.peakDatabase) this.peakDatabase = this.database;
    if (this.pinnedNow > this.peakPinned) this.peakPinned = this.pinnedNow;
    if (waiting > 0) {
      this.waitingSince ??= time;
      if (waiting > this.waitingPeak) this.waitingPeak = waiting;
    } else {
      this.endWaitingPeriod(time);
    }
    previous.time = time;
    previous.clients = this.clients;
    previous.database = this.database;
    previous.pinned = this.pinnedNow;
    previous.waiting = waiting;
  }

  /** Borrows beyond the proxy's connection limit wait. */
  private waiting(): number {
    return this.limit === undefined ? 0 : Math.max(0, this.database - this.limit);
  }

  /** A period in which demand exceeded the proxy's limit: its length bounds how long a borrow could have waited. */
  private endWaitingPeriod(time: number): void {
    if (this.waitingSince === undefined) return;
    const length = time - this.waitingSince;
    if (length > this.waits.maxWaitMs) this.waits.maxWaitMs = length;
    if (this.waitPeriods.length < MAX_WAIT_PERIODS) {
      this.waitPeriods.push({
        start: new Date(this.waitingSince).toISOString(),
        end: new Date(time).toISOString(),
        maxWaitMs: length,
        waitingClients: this.waitingPeak,
      });
    }
    this.waitingSince = undefined;
    this.waitingPeak = 0;
  }
}
