import { homedir } from "node:os";
import { join } from "node:path";
import { openPgliteDatabase } from "./pglite-database.js";
import { openPostgresDatabase } from "./postgres-database.js";
import { SqlAssessmentStore } from "./sql-assessment-store.js";

export interface StoreOptions {
  /** postgres://... : a PostgreSQL server. Otherwise the embedded PGlite in dataDir. */
  databaseUrl?: string;
  dataDir?: string;
  onDatabaseError?: (error: Error) => void;
}

export async function openStore(options: StoreOptions): Promise<SqlAssessmentStore> {
  const db = options.databaseUrl
    ? await openPostgresDatabase(options.databaseUrl, options.onDatabaseError ?? (() => {}))
    : await openPgliteDatabase(options.dataDir ?? defaultDataDir());
  try {
    return await SqlAssessmentStore.open(db);
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** The user's data directory, as each platform names it, plus proxyfit/assessments. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const base =
    platform === "win32"
      ? (env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"))
      : platform === "darwin"
        ? join(homedir(), "Library", "Application Support")
        : (env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"));
  return join(base, "proxyfit", "assessments");
}
