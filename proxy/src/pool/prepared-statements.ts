/**
 * Protocol-level named prepared statements, multiplexed as PgBouncer 1.21+ does: each distinct (query, parameter
 * types) gets one proxy-wide name on the database side ("pf_1", "pf_2", ...); each client keeps its own names for
 * them, and the proxy prepares a statement on whichever connection the client borrows when it is not there yet.
 */

/** A client's named statement: its database-side name and the Parse body to prepare it again elsewhere. */
export interface ClientStatement {
  serverName: string;
  /** The query and parameter types of the original Parse (the bytes after its statement name). */
  body: Buffer;
  query: string;
}

const MAX_REMEMBERED = 100_000;

export class StatementNames {
  private readonly byBody = new Map<string, string>();
  private next = 1;

  /** The database-side name for a Parse body; the same body always gets the same name (until the table is full). */
  nameFor(body: Buffer): string {
    const key = body.toString("latin1");
    let name = this.byBody.get(key);
    if (name === undefined) {
      // Names only ever grow, so forgetting old entries never makes two bodies share a name.
      if (this.byBody.size >= MAX_REMEMBERED) this.byBody.clear();
      name = `pf_${this.next++}`;
      this.byBody.set(key, name);
    }
    return name;
  }
}

/**
 * The proxy-wide statements prepared on one database connection, each with when it was last used. A use is one map
 * write (not the delete and re-insert of an ordered map, which runs on every Bind); finding the least recently used
 * is a scan, which runs only when a full connection must make room.
 */
export class PreparedOnConnection {
  private readonly lastUsed = new Map<string, number>();
  private clock = 0;

  get size(): number {
    return this.lastUsed.size;
  }

  /** Marks a statement used; false when it is not prepared on this connection. */
  use(name: string): boolean {
    if (!this.lastUsed.has(name)) return false;
    this.lastUsed.set(name, ++this.clock);
    return true;
  }

  add(name: string): void {
    this.lastUsed.set(name, ++this.clock);
  }

  delete(name: string): void {
    this.lastUsed.delete(name);
  }

  clear(): void {
    this.lastUsed.clear();
  }

  leastRecentlyUsed(): string | undefined {
    let oldest: string | undefined;
    let oldestUse = Number.POSITIVE_INFINITY;
    for (const [name, use] of this.lastUsed) {
      if (use < oldestUse) {
        oldest = name;
        oldestUse = use;
      }
    }
    return oldest;
  }
}
