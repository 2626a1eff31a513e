import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import type { SqlDatabase, SqlQueryable } from "./sql-database.js";

/** The zero-setup default: PostgreSQL compiled to WebAssembly, running in this process on a local data directory. */
export async function openPgliteDatabase(dataDir: string): Promise<SqlDatabase> {
  await mkdir(dataDir, { recursive: true });
  const db = new PGlite(dataDir);
  await db.waitReady;
  return {
    description: `embedded PGlite at ${dataDir}`,
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await db.query<Row>(sql, params)).rows;
    },
    transaction<T>(work: (tx: SqlQueryable) => Promise<T>) {
      return db.transaction((tx) =>
        work({
          async query<Row>(sql: string, params: unknown[] = []) {
            return (await tx.query<Row>(sql, params)).rows;
          },
        }),
      );
    },
    close: () => db.close(),
  };
}
