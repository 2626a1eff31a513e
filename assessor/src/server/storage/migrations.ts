import type { SqlDatabase } from "./sql-database.js";

/**
 * Every schema change, in order. A migration is never edited once released: change the schema by appending one.
 * Everything lives in the `proxyfit` schema so a shared DATABASE_URL database can hold other things too.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; statements: string[] }> = [
  {
    version: 1,
    name: "assessments",
    statements: [
      `CREATE TABLE proxyfit.assessments (
        id text PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        created_at timestamptz NOT NULL,
        -- Also the heartbeat of a running assessment: a stale one was interrupted by a crash.
        updated_at timestamptz NOT NULL,
        finished_at timestamptz,
        inputs json NOT NULL,
        options json NOT NULL,
        bytes_read bigint NOT NULL DEFAULT 0,
        bytes_total bigint,
        engine text,
        summary json,
        problem json,
        -- json, not jsonb: the report is served back byte for byte as the CLI wrote it, key order included.
        report json
      )`,
      "CREATE INDEX assessments_created_at_id ON proxyfit.assessments (created_at DESC, id DESC)",
    ],
  },
];

/** Any fixed number, the same in every instance: serializes concurrent startups migrating one shared database. */
const MIGRATION_LOCK = 0x70667431;

/** Applies the migrations this database lacks, in one transaction. Returns the schema version now in place. */
export async function migrate(db: SqlDatabase): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query("CREATE SCHEMA IF NOT EXISTS proxyfit");
    await tx.query(
      `CREATE TABLE IF NOT EXISTS proxyfit.schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const rows = await tx.query<{ version: number }>("SELECT version FROM proxyfit.schema_migrations");
    const applied = new Set(rows.map((row) => Number(row.version)));
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new Error(
        `the database schema is at version ${newest} but this proxyfit knows versions up to ${known}: upgrade proxyfit`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query("INSERT INTO proxyfit.schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
    }
    return known;
  });
}
