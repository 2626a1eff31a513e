import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SqlDatabase, SqlQueryable } from "./sql-database.js";

/** The zero-setup default: PostgreSQL compiled to WebAssembly, running in this process on a local data directory. */
export async function openPgliteDatabase(dataDir: string): Promise<SqlDatabase> {
  await mkdir(dataDir, { recursive: true });
  // Creating the database (initdb) leaves its WebAssembly memory grown by ~400 MB for good: create it with a
  // throwaway instance, so the one that serves starts as small as on any later start.
  const exists = await access(join(dataDir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const creator = new PGlite(dataDir);
    await creator.waitReady;
    await creator.close();
  }
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
