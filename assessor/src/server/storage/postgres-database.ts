import pg from "pg";
import type { SqlDatabase, SqlQueryable } from "./sql-database.js";

/** A PostgreSQL server given by DATABASE_URL, shareable by several assessor instances. */
export async function openPostgresDatabase(
  databaseUrl: string,
  onIdleError: (error: Error) => void,
): Promise<SqlDatabase> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });
  // An idle client losing its connection (server restart) must not crash the service; the next query reconnects.
  pool.on("error", onIdleError);
  await pool.query("SELECT 1");
  return {
    description: `PostgreSQL ${redactPassword(databaseUrl)}`,
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as Row[];
    },
    async transaction<T>(work: (tx: SqlQueryable) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await work({
          async query<Row>(sql: string, params: unknown[] = []) {
            return (await client.query(sql, params)).rows as Row[];
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** The URL with its password, if any, replaced by "***": safe to log. */
export function redactPassword(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
