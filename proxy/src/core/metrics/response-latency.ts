/**
 * A client's QueryResponseLatency and QueryDatabaseResponseLatency: from a request received (a borrow's wait
 * included) and from it forwarded, to the first answer. One per client, reused for every request: plain numbers, no
 * allocation per message.
 */
import { eventClock } from "../event-clock.js";
import type { ProxyMetrics } from "./index.js";

export class ResponseLatency {
  /** When the request arrived (eventClock.now); 0 when none waits for an answer. */
  private requestAt = 0;
  /** When it was forwarded to the database; 0 when nothing forwarded waits. */
  private sentAt = 0;

  constructor(private readonly histograms: ProxyMetrics["histograms"]) {}

  /** A request arrived that must wait for a connection. */
  received(): void {
    this.requestAt = eventClock.now;
  }

  /** A request went to the database: the first since the last answer starts both spans (the received one if set). */
  forwarded(): void {
    if (this.sentAt !== 0) return;
    this.sentAt = eventClock.now;
    if (this.requestAt === 0) this.requestAt = this.sentAt;
  }

  /** The first answer to what was forwarded reached the client's output: both spans end. */
  answered(): void {
    if (this.sentAt === 0) return;
    const now = eventClock.now;
    this.histograms.QueryDatabaseResponseLatency.observe((now - this.sentAt) * 1000);
    this.histograms.QueryResponseLatency.observe((now - this.requestAt) * 1000);
    this.sentAt = 0;
    this.requestAt = 0;
  }
}
