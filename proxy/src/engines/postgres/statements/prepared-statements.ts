/**
 * Protocol-level named prepared statements, multiplexed as PgBouncer 1.21+ does: each distinct (query, parameter
 * types) gets one proxy-wide name on the database side ("pf_1", "pf_2", ...); each client keeps its own names for
 * them, and the proxy prepares a statement on whichever connection the client borrows when it is not there yet.
 *
 * Unlike PgBouncer, a client's Parse is always prepared on the database, and a connection's copy older than the
 * client's Parse is prepared again before the client uses it: a copy prepared before a DDL would fail with "cached
 * plan must not change result type" where the client's own statement, prepared after it, would not.
 */

/** A client's named statement: its database-side name and the Parse body to prepare it again elsewhere. */
export interface ClientStatement {
  /** The client's name for it, and the bytes it sends for that name. */
  name: string;
  nameBytes: Buffer;
  serverName: string;
  /** The query and parameter types of the original Parse (the bytes after its statement name). */
  body: Buffer;
  query: string;
  /** When the client sent its Parse, on the clock of StatementNames.stamp(). */
  parsedAt: number;
}

/** Distinct Parse bodies given a shared name, and their summed size, before the table starts over. */
const MAX_REMEMBERED = 100_000;
const MAX_REMEMBERED_BYTES = 32 * 1024 * 1024;
/**
 * Parse bodies larger than this are never shared: a statement over 16 KB pins its client (RDS Proxy's rule), so no
 * other client would reuse its name, and remembering it would only keep its text alive.
 */
const MAX_SHARED_BODY_BYTES = 16 * 1024;

/** What one client may keep as named statements: PostgreSQL has no such limit, but it keeps them on one backend. */
export const MAX_CLIENT_STATEMENTS = 100_000;
export const MAX_CLIENT_STATEMENT_BYTES = 256 * 1024 * 1024;

/**
 * One client's named statements, by the client's names. Drivers bind the same statement over and over, so the one
 * found last is matched against a Bind's name bytes first: binding it again decodes no name and looks nothing up.
 */
export class ClientStatements {
  private readonly byName = new Map<string, ClientStatement>();
  private last: ClientStatement | undefined;
  /** The bodies' summed size (each statement also keeps its query text, about as large). */
  private bytes = 0;

  get(name: string): ClientStatement | undefined {
    return this.byName.get(name);
  }

  /** Adds or replaces a statement; false (and nothing changed) when it would pass the client's limits. */
  set(name: string, statement: ClientStatement): boolean {
    const replaced = this.byName.get(name);
    const bytes = this.bytes - (replaced?.body.length ?? 0) + statement.body.length;
    if (bytes > MAX_CLIENT_STATEMENT_BYTES || (!replaced && this.byName.size >= MAX_CLIENT_STATEMENTS)) return false;
    this.byName.set(name, statement);
    this.bytes = bytes;
    this.last = undefined;
    return true;
  }

  delete(name: string): void {
    const statement = this.byName.get(name);
    if (!statement) return;
    this.byName.delete(name);
    this.bytes -= statement.body.length;
    this.last = undefined;
  }

  /** The statement named by bytes [from, to) of `chunk` (UTF-8, as the Parse named it). */
  named(chunk: Buffer, from: number, to: number): ClientStatement | undefined {
    const last = this.last;
    if (last !== undefined && sameBytes(last.nameBytes, chunk, from, to)) return last;
    const statement = this.byName.get(chunk.toString("utf8", from, to));
    this.last = statement;
    return statement;
  }
}

/** Compared byte by byte: names are a few bytes, shorter than the cost of a call to Buffer.equals. */
function sameBytes(name: Buffer, chunk: Buffer, from: number, to: number): boolean {
  if (to - from !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (name[i] !== chunk[from + i]) return false;
  return true;
}

export class StatementNames {
  private readonly byBody = new Map<string, string>();
  private bytes = 0;
  private next = 1;
  private stamps = 0;

  /** The next tick of the clock that orders clients' Parses and the preparation of their copies on connections. */
  stamp(): number {
    return ++this.stamps;
  }

  /**
   * The database-side name for a Parse body; the same body gets the same name (until the table is full), a body
   * over 16 KB a new one each time.
   */
  nameFor(body: Buffer): string {
    if (body.length > MAX_SHARED_BODY_BYTES) return `pf_${this.next++}`;
    const key = body.toString("latin1");
    let name = this.byBody.get(key);
    if (name === undefined) {
      // Names only ever grow, so forgetting old entries never makes two bodies share a name.
      if (this.byBody.size >= MAX_REMEMBERED || this.bytes + body.length > MAX_REMEMBERED_BYTES) {
        this.byBody.clear();
        this.bytes = 0;
      }
      name = `pf_${this.next++}`;
      this.byBody.set(key, name);
      this.bytes += body.length;
    }
    return name;
  }
}

/**
 * The proxy-wide statements prepared on one database connection, each with when it was prepared (a stamp) and last
 * used. A use is one map lookup and a field write (not the delete and re-insert of an ordered map, which runs on
 * every Bind); finding the least recently used is a scan, which runs only when a full connection must make room.
 */
export class PreparedOnConnection {
  private readonly uses = new Map<string, { last: number; preparedAt: number }>();
  private clock = 0;

  get size(): number {
    return this.uses.size;
  }

  /** Marks a statement used; false when it is not prepared on this connection, or was prepared before `notBefore`. */
  use(name: string, notBefore: number): boolean {
    const use = this.uses.get(name);
    if (use === undefined || use.preparedAt < notBefore) return false;
    use.last = ++this.clock;
    return true;
  }

  has(name: string): boolean {
    return this.uses.has(name);
  }

  add(name: string, preparedAt: number): void {
    this.uses.set(name, { last: ++this.clock, preparedAt });
  }

  delete(name: string): void {
    this.uses.delete(name);
  }

  clear(): void {
    this.uses.clear();
  }

  leastRecentlyUsed(): string | undefined {
    let oldest: string | undefined;
    let oldestUse = Number.POSITIVE_INFINITY;
    for (const [name, use] of this.uses) {
      if (use.last < oldestUse) {
        oldest = name;
        oldestUse = use.last;
      }
    }
    return oldest;
  }
}
