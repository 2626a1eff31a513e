import type { Summary } from "../../report/report.js";
import type { ProblemDocument } from "../problem.js";
import type {
  AssessmentRecord,
  AssessmentResult,
  AssessmentStatus,
  AssessmentStore,
  ListPage,
  NewAssessment,
  Progress,
  UploadedFile,
} from "./assessment-store.js";
import { migrate } from "./migrations.js";
import type { SqlDatabase } from "./sql-database.js";

/** Columns of a record without the report; json columns read as text so both drivers return the same thing. */
const RECORD_COLUMNS = `id, status, created_at, updated_at, finished_at, inputs::text AS inputs, options::text AS options,
  bytes_read, bytes_total, engine, summary::text AS summary, problem::text AS problem`;

interface RecordRow {
  id: string;
  status: AssessmentStatus;
  created_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
  inputs: string;
  options: string;
  bytes_read: number | string;
  bytes_total: number | string | null;
  engine: string | null;
  summary: string | null;
  problem: string | null;
}

export class SqlAssessmentStore implements AssessmentStore {
  private constructor(private readonly db: SqlDatabase) {}

  /** Opens the store on a database, applying any pending migration first. */
  static async open(db: SqlDatabase): Promise<SqlAssessmentStore> {
    await migrate(db);
    return new SqlAssessmentStore(db);
  }

  get description(): string {
    return this.db.description;
  }

  async create(assessment: NewAssessment): Promise<void> {
    await this.db.query(
      `INSERT INTO proxyfit.assessments (id, status, created_at, updated_at, inputs, options, bytes_read, bytes_total)
       VALUES ($1, 'running', $2, $2, $3, $4, $5, $6)`,
      newAssessmentParams(assessment),
    );
  }

  async updateProgress(id: string, progress: Progress, at: string): Promise<void> {
    await this.db.query(
      `UPDATE proxyfit.assessments SET bytes_read = $2, bytes_total = $3, updated_at = $4
       WHERE id = $1 AND status = 'running'`,
      [id, progress.bytesRead, progress.totalBytes ?? null, at],
    );
  }

  async complete(id: string, result: AssessmentResult): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE proxyfit.assessments
       SET status = 'done', finished_at = $2, updated_at = $2, engine = $3, summary = $4, report = $5,
           bytes_read = COALESCE(bytes_total, bytes_read)
       WHERE id = $1 AND status = 'running' RETURNING id`,
      [id, ...resultParams(result)],
    );
    return rows.length === 1;
  }

  async fail(id: string, problem: ProblemDocument, at: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE proxyfit.assessments SET status = 'failed', finished_at = $2, updated_at = $2, problem = $3
       WHERE id = $1 AND status = 'running' RETURNING id`,
      [id, at, JSON.stringify(problem)],
    );
    return rows.length === 1;
  }

  async insertDone(assessment: NewAssessment, result: AssessmentResult): Promise<void> {
    await this.db.query(
      `INSERT INTO proxyfit.assessments
         (id, status, created_at, updated_at, inputs, options, bytes_read, bytes_total,
          finished_at, engine, summary, report)
       VALUES ($1, 'done', $2, $7, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [...newAssessmentParams(assessment), ...resultParams(result)],
    );
  }

  async get(id: string): Promise<AssessmentRecord | undefined> {
    const rows = await this.db.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM proxyfit.assessments WHERE id = $1`, [
      id,
    ]);
    return rows[0] && toRecord(rows[0]);
  }

  async reportJson(id: string): Promise<string | undefined> {
    const rows = await this.db.query<{ report: string }>(
      "SELECT report::text AS report FROM proxyfit.assessments WHERE id = $1 AND status = 'done'",
      [id],
    );
    return rows[0]?.report;
  }

  async recommendationJson(id: string): Promise<string | null | undefined> {
    const rows = await this.db.query<{ recommendation: string | null }>(
      `SELECT (report -> 'recommendation')::text AS recommendation
       FROM proxyfit.assessments WHERE id = $1 AND status = 'done'`,
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.recommendation === null || row.recommendation === "null" ? null : row.recommendation;
  }

  async list(page: ListPage): Promise<AssessmentRecord[]> {
    const rows = page.before
      ? await this.db.query<RecordRow>(
          `SELECT ${RECORD_COLUMNS} FROM proxyfit.assessments
           WHERE (created_at, id) < ($1::timestamptz, $2) ORDER BY created_at DESC, id DESC LIMIT $3`,
          [page.before.createdAt, page.before.id, page.limit],
        )
      : await this.db.query<RecordRow>(
          `SELECT ${RECORD_COLUMNS} FROM proxyfit.assessments ORDER BY created_at DESC, id DESC LIMIT $1`,
          [page.limit],
        );
    return rows.map(toRecord);
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.db.query("DELETE FROM proxyfit.assessments WHERE id = $1 RETURNING id", [id]);
    return rows.length === 1;
  }

  async ping(): Promise<void> {
    await this.db.query("SELECT 1");
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function newAssessmentParams(assessment: NewAssessment): unknown[] {
  return [
    assessment.id,
    assessment.createdAt,
    JSON.stringify(assessment.files),
    JSON.stringify(assessment.options),
    assessment.progress.bytesRead,
    assessment.progress.totalBytes ?? null,
  ];
}

function resultParams(result: AssessmentResult): unknown[] {
  return [result.finishedAt, result.engine, JSON.stringify(result.summary), result.reportJson];
}

function toRecord(row: RecordRow): AssessmentRecord {
  const totalBytes = row.bytes_total === null ? undefined : Number(row.bytes_total);
  return {
    id: row.id,
    status: row.status,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
    ...(row.finished_at === null ? {} : { finishedAt: isoTime(row.finished_at) }),
    files: JSON.parse(row.inputs) as UploadedFile[],
    options: JSON.parse(row.options) as Record<string, unknown>,
    progress: { bytesRead: Number(row.bytes_read), ...(totalBytes === undefined ? {} : { totalBytes }) },
    ...(row.engine === null ? {} : { engine: row.engine }),
    ...(row.summary === null ? {} : { summary: JSON.parse(row.summary) as Summary }),
    ...(row.problem === null ? {} : { problem: JSON.parse(row.problem) as ProblemDocument }),
  };
}

function isoTime(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
