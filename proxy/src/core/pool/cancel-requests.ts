/**
 * Cancels sent to the database, and the connections they hold back. A database acts on a cancel asynchronously
 * (PostgreSQL starts a process for a CancelRequest that signals the backend; MySQL's KILL QUERY runs on a connection
 * of its own), so a cancel still on its way when the statement it aimed at ends could stop whatever the connection
 * runs next: another client's statement, once the connection has been handed over. A connection with a cancel in
 * flight is therefore handed to no one until the engine reports the cancel delivered (PostgreSQL closes the cancel's
 * own connection once the backend is signalled), or a short timeout has passed.
 */
import type { PooledConnection } from "../engine.js";

/** How long a cancel may take to be delivered before the connection it holds back is let go all the same. */
const DELIVERY_TIMEOUT_MS = 2000;

export class CancelRequests<C extends PooledConnection> {
  /** Cancels in flight per connection. */
  private readonly inFlight = new Map<C, number>();
  /** What to do with a connection given back while a cancel to it was in flight, once the last is delivered. */
  private readonly held = new Map<C, (connection: C) => void>();

  /** Has the engine cancel the statement running on `connection`. */
  send(connection: C): void {
    this.inFlight.set(connection, (this.inFlight.get(connection) ?? 0) + 1);
    let finished = false;
    let abandon: (() => void) | undefined;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      abandon?.();
      this.delivered(connection);
    };
    const timer = setTimeout(finish, DELIVERY_TIMEOUT_MS);
    timer.unref();
    abandon = connection.sendCancel(finish);
  }

  /**
   * True when a cancel to `connection` is in flight: `then` runs once it is delivered (the caller hands the
   * connection on then). A connection is held for one `then` at a time: it has one owner.
   */
  holds(connection: C, then: (connection: C) => void): boolean {
    if (this.inFlight.size === 0 || !this.inFlight.has(connection)) return false;
    this.held.set(connection, then);
    return true;
  }

  private delivered(connection: C): void {
    const left = (this.inFlight.get(connection) ?? 1) - 1;
    if (left > 0) {
      this.inFlight.set(connection, left);
      return;
    }
    this.inFlight.delete(connection);
    const then = this.held.get(connection);
    this.held.delete(connection);
    then?.(connection);
  }
}
