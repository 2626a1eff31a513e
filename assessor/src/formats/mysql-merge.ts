import type { LogEvent } from "../events/log-event.js";
import type { EmitEvent, FormatId } from "./log-format.js";

export interface MysqlLogReconcilerOptions {
  /**
   * How far apart in time the two logs may put the same statement, in ms. MariaDB and MySQL 5.6 write both logs with
   * whole seconds, and the timeline merge may deliver one log's second before the other's: 2000 covers that.
   */
  windowMs?: number;
}

const FORGET_THREADS_AFTER_MS = 10 * 60_000;

interface HeldEvent {
  event: LogEvent;
  fromSlowLog: boolean;
  /** A slow-log event whose duration went to the matching general-log event. */
  matched: boolean;
  key: string | undefined;
}

/**
 * Reconciles one server's general and slow query logs in the time-ordered stream the timeline merge produces. The
 * general log is authoritative (it has every command, connections and binary-protocol prepares); the slow log only adds
 * durations. So general-log events pass through, with `durationMs` taken from the slow-log record of the same thread
 * and statement text; slow-log events that repeat what the general log shows for that thread are dropped, so no
 * statement is counted twice. Slow-log events for threads the general log does not show around that time (the general
 * log was off, or rotated) pass through, and a slow log alone passes unchanged.
 *
 * Events are held for `windowMs` of log time to find their counterpart, so memory is bounded by the events of one
 * window, whatever the length of the logs. Output order is input order.
 */
export class MysqlLogReconciler {
  private readonly windowMs: number;
  private queue: HeldEvent[] = [];
  private head = 0;
  /** Held events not matched yet, by thread and statement text, oldest first. */
  private readonly unmatchedSlow = new Map<string, HeldEvent[]>();
  private readonly unmatchedGeneral = new Map<string, HeldEvent[]>();
  /** Latest general-log event time per thread: a slow-log event near it repeats what the general log shows. */
  private readonly lastGeneralEvent = new Map<number, number>();
  private latest = Number.NEGATIVE_INFINITY;
  private sweepAt = 1024;

  constructor(options: MysqlLogReconcilerOptions = {}) {
    this.windowMs = options.windowMs ?? 2000;
  }

  /** One event of the merged timeline, with the format of the log it came from. */
  push(event: LogEvent, format: FormatId, emit: EmitEvent): void {
    if (event.time > this.latest) {
      this.latest = event.time;
      this.release(this.latest - this.windowMs, emit);
    }
    const key = matchKey(event);
    if (format === "mysql-slow") {
      const general = key === undefined ? undefined : take(this.unmatchedGeneral, key);
      if (general) {
        if (general.event.durationMs === undefined && event.durationMs !== undefined) {
          general.event = { ...general.event, durationMs: event.durationMs };
        }
        return;
      }
      this.hold({ event, fromSlowLog: true, matched: false, key }, this.unmatchedSlow);
      return;
    }
    this.lastGeneralEvent.set(event.backendId, event.time);
    const slow = key === undefined ? undefined : take(this.unmatchedSlow, key);
    if (slow) {
      slow.matched = true;
      const durationMs = event.durationMs ?? slow.event.durationMs;
      this.queue.push({
        event: durationMs === undefined ? event : { ...event, durationMs },
        fromSlowLog: false,
        matched: false,
        key,
      });
      return;
    }
    this.hold({ event, fromSlowLog: false, matched: false, key }, this.unmatchedGeneral);
  }

  /** End of the timeline: everything still held is released. */
  end(emit: EmitEvent): void {
    this.release(Number.POSITIVE_INFINITY, emit);
  }

  private hold(held: HeldEvent, unmatched: Map<string, HeldEvent[]>): void {
    this.queue.push(held);
    if (held.key === undefined) return;
    const list = unmatched.get(held.key);
    if (list) list.push(held);
    else unmatched.set(held.key, [held]);
  }

  /** Emits (or drops) the held events older than `before`. */
  private release(before: number, emit: EmitEvent): void {
    while (this.head < this.queue.length && this.queue[this.head]!.event.time < before) {
      const held = this.queue[this.head++]!;
      if (held.fromSlowLog) {
        if (held.matched) continue;
        if (held.key !== undefined) remove(this.unmatchedSlow, held.key, held);
        if (!this.generalLogShows(held.event)) emit(held.event);
      } else {
        if (held.key !== undefined) remove(this.unmatchedGeneral, held.key, held);
        emit(held.event);
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.lastGeneralEvent.size > this.sweepAt) this.sweep(before);
  }

  /**
   * The general log had an event of this thread within the window around the statement (its start may be up to its
   * duration earlier when the slow log gives the end, as MySQL before 8.0.14 does in `SET timestamp`).
   */
  private generalLogShows(event: LogEvent): boolean {
    const last = this.lastGeneralEvent.get(event.backendId);
    return last !== undefined && last >= event.time - (event.durationMs ?? 0) - this.windowMs;
  }

  /**
   * Forgets threads the general log has not mentioned for a while, so the map tracks only recent ones. "A while" is
   * generous: a statement that ran for longer than that and whose slow log gives only its end can pass as new.
   */
  private sweep(before: number): void {
    for (const [thread, time] of this.lastGeneralEvent) {
      if (time < before - this.windowMs - FORGET_THREADS_AFTER_MS) this.lastGeneralEvent.delete(thread);
    }
    this.sweepAt = Math.max(1024, this.lastGeneralEvent.size * 2);
  }
}

/** Statements are matched by thread and exact text (the general log's Execute line and the slow log agree on it). */
function matchKey(event: LogEvent): string | undefined {
  if (event.statement === undefined || (event.kind !== "statement" && event.kind !== "execute")) return undefined;
  return `${event.backendId}\u0000${event.statement}`;
}

function take(unmatched: Map<string, HeldEvent[]>, key: string): HeldEvent | undefined {
  const list = unmatched.get(key);
  if (!list) return undefined;
  const held = list.shift();
  if (list.length === 0) unmatched.delete(key);
  return held;
}

function remove(unmatched: Map<string, HeldEvent[]>, key: string, held: HeldEvent): void {
  const list = unmatched.get(key);
  if (!list) return;
  const index = list.indexOf(held);
  if (index !== -1) list.splice(index, 1);
  if (list.length === 0) unmatched.delete(key);
}
