/**
 * The one small interface the assessment store needs from a PostgreSQL: the embedded PGlite and a PostgreSQL server
 * (node-postgres) both implement it, so the store's SQL is written once and runs the same on both.
 */
export interface SqlQueryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface SqlDatabase extends SqlQueryable {
  /** Runs work in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Where the data lives, for the startup log line (never includes a password). */
  readonly description: string;
  close(): Promise<void>;
}
