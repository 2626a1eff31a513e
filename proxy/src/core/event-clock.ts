import { performance } from "node:perf_hooks";

/**
 * The time of the event being handled: a socket read, a database connection opening. The clock is read once per
 * event and shared by everything the event sets off (borrow waits, hand-overs, request and response latencies, the
 * trial report's statement times) instead of each reading it again: at tens of thousands of transactions a second
 * the reads add up.
 */
export const eventClock = {
  /** performance.now() when the event began, in milliseconds. */
  now: 0,
  /** Reads the clock: called where an event enters the proxy. */
  mark(): void {
    this.now = performance.now();
  },
  /** The event's time as milliseconds since the epoch. */
  epochMs(): number {
    return performance.timeOrigin + this.now;
  },
  /** The present on the same clock as epochMs(), for what no marked event sets off (a client closing its socket). */
  epochNow(): number {
    return performance.timeOrigin + performance.now();
  },
};
