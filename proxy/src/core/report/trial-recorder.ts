/**
 * The trial report: live traffic turned into the assessor's LogEvents and fed to the assessor's own analysis, so
 * sessions, pin reasons and the pin ratio are computed exactly as `proxyfit assess` computes them from logs. What
 * only the proxy can see (database connections actually open, clients waiting for one) is sampled once a second
 * and reported as the replay section: observed, not simulated.
 */
import {
  type Analysis,
  type NotInspectedKind,
  p99,
  type RefusedConnections,
  type ReplayReport,
  type Report,
  type SourcePosition,
  type TrialObservations,
} from "@proxyfit/assessor";
import type { ObservedClient, RefusalReason, TrafficObserver } from "../engine.js";
import { eventClock } from "../event-clock.js";

export interface TrialSample {
  clientConnections: number;
  databaseConnections: number;
  pinnedConnections: number;
  waitingClients: number;
}

export interface TrialLimits {
  maxConnections: number;
  maxConnectionsPercent: number;
  proxyConnectionLimit: number;
}

const SOURCE_FILE = "trial-proxy";
/** Widen buckets beyond this many so a long trial keeps a bounded series. */
const MAX_BUCKETS = 3600;
/** Examples kept per refusal reason and per kind of statement not inspected, and their length. */
const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 200;

interface NotInspectedTally {
  statements: number;
  sessions: Set<number>;
  examples: string[];
}

export class TrialRecorder implements TrafficObserver {
  private line = 0;
  private readonly startedAt = Date.now();
  private bucketSeconds = 1;
  private readonly series: Record<keyof TrialSample, number[]> = {
    clientConnections: [],
    databaseConnections: [],
    pinnedConnections: [],
    waitingClients: [],
  };
  private readonly peaks: TrialSample = { clientConnections: 0, databaseConnections: 0, pinnedConnections: 0, waitingClients: 0 };
  private borrowWaits = { count: 0, maxWaitMs: 0, totalWaitMs: 0 };
  private readonly refusals = new Map<RefusalReason, { message: string; count: number; examples: string[] }>();
  private readonly notInspectedKinds = new Map<NotInspectedKind["kind"], NotInspectedTally>();
  private finished: Report | undefined;

  constructor(
    private readonly analysis: Analysis,
    private readonly limits: TrialLimits,
  ) {}

  connected(client: ObservedClient): void {
    if (this.finished) return;
    // Every event on one clock: statement times come from eventClock, so the session's ends must too.
    this.analysis.add({
      time: eventClock.epochNow(),
      backendId: client.id,
      kind: "connection_authorized",
      user: client.user,
      database: client.database,
      application: client.application,
      clientAddress: client.address,
      source: this.nextSource(),
    });
  }

  /** Once per Query, Parse and Execute: one object literal of one shape, no spreading; timed by the read it came in. */
  request(client: ObservedClient, kind: "statement" | "parse" | "execute", text: string, statementName?: string): void {
    if (this.finished) return;
    this.analysis.add({
      time: eventClock.epochMs(),
      backendId: client.id,
      kind,
      statement: text,
      protocol: kind === "statement" ? "simple" : "extended",
      statementName,
      source: this.nextSource(),
    });
  }

  disconnected(client: ObservedClient): void {
    if (this.finished) return;
    this.analysis.add({ time: eventClock.epochNow(), backendId: client.id, kind: "disconnection", source: this.nextSource() });
  }

  refused(_client: ObservedClient, reason: RefusalReason, message: string, detail: string): void {
    if (this.finished) return;
    let tally = this.refusals.get(reason);
    if (!tally) {
      tally = { message, count: 0, examples: [] };
      this.refusals.set(reason, tally);
    }
    tally.count++;
    addExample(tally.examples, detail);
  }

  notInspected(client: ObservedClient, kind: NotInspectedKind["kind"], example: string): void {
    if (this.finished) return;
    let tally = this.notInspectedKinds.get(kind);
    if (!tally) {
      tally = { statements: 0, sessions: new Set(), examples: [] };
      this.notInspectedKinds.set(kind, tally);
    }
    tally.statements++;
    tally.sessions.add(client.id);
    addExample(tally.examples, example);
  }

  private nextSource(): SourcePosition {
    return { file: SOURCE_FILE, line: ++this.line };
  }

  /**
   * One sample of what the proxy sees: all of it about once a second, and the counts that are cheap to read whenever
   * they may have grown (a connection opened, a borrow), so a peak shorter than a second still counts.
   */
  sample(now: Partial<TrialSample>, at = Date.now()): void {
    const bucket = Math.floor((at - this.startedAt) / 1000 / this.bucketSeconds);
    if (bucket >= MAX_BUCKETS) this.widen();
    const index = Math.floor((at - this.startedAt) / 1000 / this.bucketSeconds);
    for (const key of Object.keys(this.series) as Array<keyof TrialSample>) {
      const values = this.series[key];
      while (values.length <= index) values.push(0);
      const value = now[key];
      if (value === undefined) continue;
      values[index] = Math.max(values[index]!, value);
      this.peaks[key] = Math.max(this.peaks[key], value);
    }
  }

  borrowWaited(ms: number): void {
    if (ms <= 0) return;
    this.borrowWaits.count++;
    this.borrowWaits.totalWaitMs += ms;
    this.borrowWaits.maxWaitMs = Math.max(this.borrowWaits.maxWaitMs, ms);
  }

  private widen(): void {
    this.bucketSeconds *= 2;
    for (const key of Object.keys(this.series) as Array<keyof TrialSample>) {
      const values = this.series[key];
      const merged: number[] = [];
      for (let i = 0; i < values.length; i += 2) merged.push(Math.max(values[i]!, values[i + 1] ?? 0));
      this.series[key] = merged;
    }
  }

  /** The report; the analysis closes the sessions still open, so this is called once, when the proxy stops. */
  report(): Report {
    if (this.finished) return this.finished;
    const report = this.analysis.report();
    this.finished = { ...report, source: "trial-proxy", replay: this.replay(), trial: this.observations() };
    return this.finished;
  }

  private observations(): TrialObservations {
    const refusedConnections: RefusedConnections[] = [...this.refusals].map(([reason, tally]) => ({
      reason,
      message: tally.message,
      count: tally.count,
      examples: tally.examples,
    }));
    const kinds: NotInspectedKind[] = [...this.notInspectedKinds].map(([kind, tally]) => ({
      kind,
      statements: tally.statements,
      sessions: tally.sessions.size,
      examples: tally.examples,
    }));
    const sessions = new Set<number>();
    for (const tally of this.notInspectedKinds.values()) for (const id of tally.sessions) sessions.add(id);
    const statements = kinds.reduce((total, kind) => total + kind.statements, 0);
    return { refusedConnections, notInspected: { statements, sessions: sessions.size, kinds } };
  }

  private replay(): ReplayReport {
    const { clientConnections, databaseConnections, pinnedConnections } = this.peaks;
    return {
      bucketSeconds: this.bucketSeconds,
      start: new Date(this.startedAt).toISOString(),
      series: this.series,
      peaks: { clientConnections, databaseConnections, pinnedConnections },
      p99: {
        clientConnections: p99(this.series.clientConnections),
        databaseConnections: p99(this.series.databaseConnections),
        pinnedConnections: p99(this.series.pinnedConnections),
      },
      multiplexingFactor: databaseConnections === 0 ? 0 : clientConnections / databaseConnections,
      maxConnections: this.limits.maxConnections,
      maxConnectionsPercent: this.limits.maxConnectionsPercent,
      proxyConnectionLimit: this.limits.proxyConnectionLimit,
      borrowWaits: { ...this.borrowWaits, periods: [] },
      // Measured on the wire, not replayed from a log: none of the log-precision caveats apply.
      notes: [],
      // Without a proxy every client connection would have been a database connection.
      baseline: {
        peakConcurrentSessions: clientConnections,
        maxConnections: this.limits.maxConnections,
        exceeded: clientConnections > this.limits.maxConnections,
      },
    };
  }
}

function addExample(examples: string[], text: string): void {
  const example = text.length > MAX_EXAMPLE_CHARS ? `${text.slice(0, MAX_EXAMPLE_CHARS)}…` : text;
  if (examples.length < MAX_EXAMPLES && !examples.includes(example)) examples.push(example);
}
