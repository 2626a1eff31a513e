import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Summary } from "../../../src/report/report.js";
import type { AssessmentResult, NewAssessment } from "../../../src/server/storage/assessment-store.js";
import { MIGRATIONS, migrate } from "../../../src/server/storage/migrations.js";
import { SqlAssessmentStore } from "../../../src/server/storage/sql-assessment-store.js";
import type { SqlDatabase } from "../../../src/server/storage/sql-database.js";

/** One database behind the store: opened as often as a test likes (a restart), removed at the end. */
export interface DatabaseUnderTest {
  open(): Promise<SqlDatabase>;
  remove(): Promise<void>;
}

const summary: Summary = {
  sessions: 3,
  pinnedSessions: 1,
  pinRatio: 1 / 3,
  pinRatioRange: { min: 0, max: 1 / 3 },
  coverage: {
    complete: true,
    statementsComplete: true,
    sessionCountIsLowerBound: false,
    sessionsWithoutStatements: 0,
    missing: [],
  },
  ambiguousOnlySessions: 0,
  transactions: 4,
  statements: 9,
  statementsClassifiedLexically: 0,
  errors: 0,
  pinReasons: [],
};

function newAssessment(id: string, createdAt: string): NewAssessment {
  return {
    id,
    createdAt,
    files: [{ name: "postgresql.log", kind: "log", bytes: 1234 }],
    options: { profile: "rds-proxy" },
    progress: { bytesRead: 0, totalBytes: 1234 },
  };
}

function result(reportJson: string): AssessmentResult {
  return { finishedAt: "2026-11-24T10:00:05.000Z", engine: "postgresql", summary, reportJson };
}

/** The behaviour every database behind the assessment store must have. */
export function describeStoreConformance(
  name: string,
  makeDatabase: () => Promise<DatabaseUnderTest>,
  /** Several instances may open it at once (a shared PostgreSQL server). */
  shared: boolean,
): void {
  describe(`assessment store on ${name}`, () => {
    let database: DatabaseUnderTest;
    let store: SqlAssessmentStore;

    beforeAll(async () => {
      database = await makeDatabase();
      store = await SqlAssessmentStore.open(await database.open());
    });
    afterAll(async () => {
      await store?.close();
      await database?.remove();
    });

    it("answers a ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("records a running assessment with its progress, then its report, byte for byte", async () => {
      await store.create(newAssessment("a-running", "2026-11-24T10:00:00.000Z"));
      const running = await store.get("a-running");
      expect(running).toMatchObject({ status: "running", progress: { bytesRead: 0, totalBytes: 1234 } });
      expect(await store.reportJson("a-running")).toBeUndefined();

      await store.updateProgress("a-running", { bytesRead: 600, totalBytes: 1234 }, "2026-11-24T10:00:01.000Z");
      expect(await store.get("a-running")).toMatchObject({
        progress: { bytesRead: 600 },
        updatedAt: "2026-11-24T10:00:01.000Z",
      });

      // Key order and spacing are kept: the API serves what the CLI would have written.
      const reportJson = '{"schemaVersion":"1.0","z":1,"a":{"b":[1,2]},"recommendation":{"verdict":"rds-proxy"}}';
      expect(await store.complete("a-running", result(reportJson))).toBe(true);
      expect(await store.reportJson("a-running")).toBe(reportJson);
      expect(JSON.parse((await store.recommendationJson("a-running"))!)).toEqual({ verdict: "rds-proxy" });
      const done = await store.get("a-running");
      expect(done).toMatchObject({
        status: "done",
        engine: "postgresql",
        summary,
        finishedAt: "2026-11-24T10:00:05.000Z",
        progress: { bytesRead: 1234, totalBytes: 1234 },
        files: [{ name: "postgresql.log", kind: "log", bytes: 1234 }],
        options: { profile: "rds-proxy" },
      });
      expect(await store.complete("a-running", result("{}")), "a done assessment is never overwritten").toBe(false);
    });

    it("marks a failed assessment with its problem document", async () => {
      await store.create(newAssessment("a-failed", "2026-11-24T10:00:00.000Z"));
      const problem = {
        type: "urn:proxyfit:problem:bad-input",
        title: "Bad input",
        status: 422,
        detail: "x.log: the file is empty",
        file: "x.log",
      };
      expect(await store.fail("a-failed", problem, "2026-11-24T10:00:02.000Z")).toBe(true);
      expect(await store.get("a-failed")).toMatchObject({ status: "failed", problem });
      expect(await store.reportJson("a-failed")).toBeUndefined();
      expect(await store.recommendationJson("a-failed")).toBeUndefined();
    });

    it("stores a synchronous assessment in one insert, and tells a missing recommendation from a missing report", async () => {
      await store.insertDone(newAssessment("a-sync", "2026-11-24T10:00:00.000Z"), result('{"schemaVersion":"1.0"}'));
      expect(await store.get("a-sync")).toMatchObject({ status: "done", summary });
      expect(await store.recommendationJson("a-sync")).toBeNull();
      expect(await store.recommendationJson("no-such-id")).toBeUndefined();
      expect(await store.get("no-such-id")).toBeUndefined();
    });

    it("deletes, and a job finishing after its delete stores nothing", async () => {
      await store.create(newAssessment("a-deleted", "2026-11-24T10:00:00.000Z"));
      expect(await store.delete("a-deleted")).toBe(true);
      expect(await store.delete("a-deleted")).toBe(false);
      expect(await store.complete("a-deleted", result("{}"))).toBe(false);
      expect(await store.get("a-deleted")).toBeUndefined();
    });

    it("lists newest first in pages that neither skip nor repeat rows created at the same instant", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const id = `page-${i}`;
        ids.push(id);
        // Pairs share a timestamp: the id breaks the tie.
        await store.insertDone(newAssessment(id, `2027-01-01T00:00:0${Math.floor(i / 2)}.000Z`), result("{}"));
      }
      const seen: string[] = [];
      let before: { createdAt: string; id: string } | undefined;
      for (;;) {
        const page = await store.list({ limit: 3, ...(before ? { before } : {}) });
        const mine = page.filter((record) => record.id.startsWith("page-"));
        seen.push(...mine.map((record) => record.id));
        const last = page.at(-1);
        if (page.length < 3 || !last) break;
        before = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it("keeps everything across a restart and does not migrate twice", async () => {
      await store.close();
      // PGlite allows one handle per data directory, so the migration checks run between two store lifetimes.
      const db = await database.open();
      try {
        expect(await migrate(db)).toBe(MIGRATIONS.at(-1)?.version);
        const rows = await db.query<{ n: number | string }>("SELECT count(*) AS n FROM proxyfit.schema_migrations");
        expect(Number(rows[0]?.n)).toBe(MIGRATIONS.length);

        await db.query("INSERT INTO proxyfit.schema_migrations (version, name) VALUES (9999, 'from the future')");
        await expect(migrate(db), "a database migrated by a newer proxyfit").rejects.toThrow(
          /schema is at version 9999 .* upgrade proxyfit/,
        );
        await db.query("DELETE FROM proxyfit.schema_migrations WHERE version = 9999");
      } finally {
        await db.close();
      }
      store = await SqlAssessmentStore.open(await database.open());
      expect(await store.reportJson("a-running")).toContain('"z":1');
      expect((await store.get("a-failed"))?.status).toBe("failed");
    });

    it.runIf(shared)("lets several instances start at once on one database", async () => {
      const opened = await Promise.all([1, 2, 3].map(async () => SqlAssessmentStore.open(await database.open())));
      await Promise.all(opened.map((instance) => instance.close()));
    });
  });
}
