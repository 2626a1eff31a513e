import type { Summary } from "../report/report.js";
import { HttpProblem, type ProblemDocument } from "./problem.js";
import type { AssessmentRecord, AssessmentStatus, Progress, UploadedFile } from "./storage/assessment-store.js";

/** A running assessment whose heartbeat is older than this was interrupted (its server stopped or crashed). */
export const STALE_AFTER_MS = 60_000;

/** What POST answers and what the list holds: everything about an assessment but its report. */
export interface AssessmentStatusDocument {
  id: string;
  status: AssessmentStatus;
  createdAt: string;
  finishedAt?: string;
  files: UploadedFile[];
  options: Record<string, unknown>;
  /** While running: bytes of the logs read so far, of totalBytes when known. */
  progress?: Progress;
  engine?: string;
  summary?: Summary;
  problem?: ProblemDocument;
  links: { self: string; report?: string; html?: string; recommendation?: string };
}

export function assessmentPath(id: string): string {
  return `/v1/assessments/${encodeURIComponent(id)}`;
}

/**
 * The record as clients see it: a running assessment nobody is working on any more (stale heartbeat, not running
 * here) is shown as failed, so pollers stop.
 */
export function effectiveRecord(record: AssessmentRecord, runningHere: boolean, now = Date.now()): AssessmentRecord {
  if (record.status !== "running" || runningHere) return record;
  if (now - Date.parse(record.updatedAt) < STALE_AFTER_MS) return record;
  const problem = new HttpProblem(
    "interrupted",
    `no progress since ${record.updatedAt}: the server running it stopped; upload the logs again`,
  ).toDocument(assessmentPath(record.id));
  return { ...record, status: "failed", problem };
}

export function statusDocument(record: AssessmentRecord, liveProgress?: Progress): AssessmentStatusDocument {
  const self = assessmentPath(record.id);
  return {
    id: record.id,
    status: record.status,
    createdAt: record.createdAt,
    ...(record.finishedAt === undefined ? {} : { finishedAt: record.finishedAt }),
    files: record.files,
    options: record.options,
    ...(record.status === "running" ? { progress: liveProgress ?? record.progress } : {}),
    ...(record.engine === undefined ? {} : { engine: record.engine }),
    ...(record.summary === undefined ? {} : { summary: record.summary }),
    ...(record.problem === undefined ? {} : { problem: record.problem }),
    links:
      record.status === "done"
        ? { self, report: self, html: `${self}/report.html`, recommendation: `${self}/recommendation.json` }
        : { self },
  };
}
