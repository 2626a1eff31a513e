/**
 * CancelRequests forwarded to the database, and the connections they hold back. PostgreSQL acts on a CancelRequest
 * asynchronously (a process it starts for the request signals the backend), so a cancel still on its way when the
 * query it aimed at ends could stop whatever the backend runs next: another client's query, once the connection has
 * been handed over. A connection with a cancel in flight is therefore handed to no one until the request's own
 * connection has closed (PostgreSQL closes it once the backend is signalled), or a short timeout has passed. A
 * signal that reaches a backend waiting for its next command is dropped by PostgreSQL.
 */
import { connect } from "node:net";
import { cancelRequest } from "../../engines/postgres/protocol/serialize.js";
import type { DatabaseConnection } from "../../engines/postgres/database/database-connection.js";

/** How long a cancel may take to be delivered before the connection it holds back is let go all the same. */
const DELIVERY_TIMEOUT_MS = 2000;

export class CancelRequests {
  /** Cancels in flight per connection. */
  private readonly inFlight = new Map<DatabaseConnection, number>();
  /** What to do with a connection given back while a cancel to it was in flight, once the last is delivered. */
  private readonly held = new Map<DatabaseConnection, (connection: DatabaseConnection) => void>();

  constructor(private readonly target: { host: string; port: number }) {}

  /** Sends a CancelRequest for the query running on `connection`. */
  send(connection: DatabaseConnection): void {
    this.inFlight.set(connection, (this.inFlight.get(connection) ?? 0) + 1);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      this.delivered(connection);
    };
    const socket = connect({ host: this.target.host, port: this.target.port }, () => socket.end(cancelRequest(connection.processId, connection.secretKey)));
    socket.on("error", finish);
    socket.on("close", finish);
    const timer = setTimeout(finish, DELIVERY_TIMEOUT_MS);
    timer.unref();
  }

  /**
   * True when a cancel to `connection` is in flight: `then` runs once it is delivered (the caller hands the
   * connection on then). A connection is held for one `then` at a time: it has one owner.
   */
  holds(connection: DatabaseConnection, then: (connection: DatabaseConnection) => void): boolean {
    if (this.inFlight.size === 0 || !this.inFlight.has(connection)) return false;
    this.held.set(connection, then);
    return true;
  }

  private delivered(connection: DatabaseConnection): void {
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
