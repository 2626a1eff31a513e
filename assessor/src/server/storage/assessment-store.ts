import type { Summary } from "../../report/report.js";
import type { ProblemDocument } from "../problem.js";

export type AssessmentStatus = "running" | "done" | "failed";

/** What was uploaded: names and sizes only, never content. */
export interface UploadedFile {
  name: string;
  kind: "log" | "config";
  bytes?: number;
}

export interface Progress {
  bytesRead: number;
  totalBytes?: number;
}

/** An assessment without its report: what the list and the status document show. */
export interface AssessmentRecord {
  id: string;
  status: AssessmentStatus;
  createdAt: string;
  /** Last change; for a running assessment, its last heartbeat. */
  updatedAt: string;
  finishedAt?: string;
  files: UploadedFile[];
  /** The options as they were asked for. */
  options: Record<string, unknown>;
  progress: Progress;
  engine?: string;
  summary?: Summary;
  problem?: ProblemDocument;
}

export interface NewAssessment {
  id: string;
  createdAt: string;
  files: UploadedFile[];
  options: Record<string, unknown>;
  progress: Progress;
}

export interface AssessmentResult {
  finishedAt: string;
  engine: string;
  summary: Summary;
  /** The report exactly as served: JSON text. */
  reportJson: string;
}

export interface ListPage {
  limit: number;
  /** Keyset position: items created strictly before this (created_at, id). */
  before?: { createdAt: string; id: string };
}

/**
 * Where assessments live. One implementation (SQL) over two databases (embedded PGlite, PostgreSQL server); the
 * shared conformance suite in test/server/storage holds both to the same behaviour.
 */
export interface AssessmentStore {
  /** Records a running assessment (asynchronous jobs, so GET can show progress). */
  create(assessment: NewAssessment): Promise<void>;
  /** Progress and heartbeat of a running assessment. */
  updateProgress(id: string, progress: Progress, at: string): Promise<void>;
  /** Stores the report of a running assessment in one statement. False when it is no longer running (deleted). */
  complete(id: string, result: AssessmentResult): Promise<boolean>;
  /** Marks a running assessment failed. False when it is no longer running. */
  fail(id: string, problem: ProblemDocument, at: string): Promise<boolean>;
  /** Stores a finished assessment in one statement (synchronous jobs: nothing is written before it is done). */
  insertDone(assessment: NewAssessment, result: AssessmentResult): Promise<void>;
  get(id: string): Promise<AssessmentRecord | undefined>;
  /** The report as JSON text; undefined when there is no such assessment or it is not done. */
  reportJson(id: string): Promise<string | undefined>;
  /**
   * The recommendation as JSON text: undefined when there is no such done assessment, null when its report has
   * no recommendation.
   */
  recommendationJson(id: string): Promise<string | null | undefined>;
  /** Newest first. */
  list(page: ListPage): Promise<AssessmentRecord[]>;
  delete(id: string): Promise<boolean>;
  /** Throws when the database cannot be reached (readiness). */
  ping(): Promise<void>;
  /** Where the data lives, for the startup log (no password). */
  readonly description: string;
  close(): Promise<void>;
}
