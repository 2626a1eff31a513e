import { randomUUID } from "node:crypto";
import type { AssessOptions } from "../assess.js";
import type { LogInput } from "../input/log-input.js";
import type { Report } from "../report/report.js";
import { errorFields, type Logger } from "./logger.js";
import type { RequestOptions } from "./options.js";
import { HttpProblem, problemFromError } from "./problem.js";
import { withoutLineSamples } from "./redact.js";
import type {
  AssessmentRecord,
  AssessmentResult,
  AssessmentStore,
  NewAssessment,
  Progress,
  UploadedFile,
} from "./storage/assessment-store.js";

export type AssessFunction = (inputs: LogInput[], options: AssessOptions) => Promise<Report>;

export interface JobSubmission {
  files: UploadedFile[];
  inputs: LogInput[];
  options: RequestOptions;
  totalBytes?: number;
  /**
   * Settles when a streamed upload has been read to its end (or failed). An asynchronous job answers only then:
   * HTTP clients stop sending a body once they hold a complete response.
   */
  received?: Promise<void>;
  /** Stops reading the inputs at once (destroys an upload's connection). */
  abortInputs?: () => void;
  /** Why the upload stopped short, if it did: then the job fails with it, whatever assess() made of the rest. */
  uploadProblem?: () => HttpProblem | undefined;
  /** Runs when the job is over, whatever the outcome (removes spooled files). */
  cleanup?: () => Promise<void>;
}

interface RunningJob {
  controller: AbortController;
  progress: Progress;
  finished: Promise<void>;
  abortInputs?: () => void;
}

/** How often a running job's progress reaches the database at most, and its heartbeat at least. */
const PROGRESS_WRITE_MS = 1000;

/**
 * Runs assessments and keeps the store in step with them. A synchronous job writes one row when done and nothing
 * otherwise; an asynchronous one is recorded at once, shows progress and a heartbeat while it runs, and ends done
 * (report stored in one statement) or failed (problem stored). A crash leaves a stale heartbeat, which readers show
 * as interrupted.
 */
export class AssessmentJobs {
  private readonly running = new Map<string, RunningJob>();

  constructor(
    private readonly store: AssessmentStore,
    private readonly logger: Logger,
    private readonly assessLogs: AssessFunction,
    /** The Price List API endpoint live-pricing asks (the operator's choice); default AWS's. */
    private readonly pricingEndpoint?: string,
    /** Bytes of log text (decompressed) one assessment may read. */
    private readonly maxLogBytes?: number,
  ) {}

  /** Runs a job to the end. Resolves with the stored record; rejects with the problem, having stored nothing. */
  async runToEnd(submission: JobSubmission): Promise<AssessmentRecord> {
    const assessment = newAssessment(submission);
    const job = this.track(assessment.id, submission);
    try {
      const result = await this.execute(assessment.id, submission, job);
      await this.store.insertDone(assessment, result);
      this.logger.info("assessment done", { assessment: assessment.id, mode: "sync" });
      return { ...assessment, status: "done", updatedAt: result.finishedAt, ...doneFields(result) };
    } catch (error) {
      throw this.problem(assessment.id, error, job);
    } finally {
      this.untrack(assessment.id, submission);
    }
  }

  /**
   * Records a running assessment (so the list shows it and its progress while the upload streams in) and runs it in
   * the background. Resolves once the upload is received or the job has ended, whichever comes first; rejects with
   * the problem (naming the assessment, stored as failed) when the job failed first: a gzip bomb passing the
   * decompressed limit mid-upload is answered 413 then, not 202.
   */
  async start(submission: JobSubmission): Promise<AssessmentRecord> {
    const assessment = newAssessment(submission);
    await this.store.create(assessment);
    const job = this.track(assessment.id, submission);
    let lastWrite = Date.now();
    const writeProgress = () => {
      lastWrite = Date.now();
      this.store.updateProgress(assessment.id, job.progress, new Date(lastWrite).toISOString()).catch((error) => {
        this.logger.warn("progress not saved", { assessment: assessment.id, ...errorFields(error) });
      });
    };
    const heartbeat = setInterval(writeProgress, PROGRESS_WRITE_MS * 5);
    const onProgress = (progress: Progress) => {
      job.progress = progress;
      if (Date.now() - lastWrite >= PROGRESS_WRITE_MS) writeProgress();
    };

    let failure: HttpProblem | undefined;
    job.finished = (async () => {
      try {
        const result = await this.execute(assessment.id, submission, job, onProgress);
        clearInterval(heartbeat);
        const stored = await this.store.complete(assessment.id, result);
        this.logger.info(stored ? "assessment done" : "assessment deleted while running; result dropped", {
          assessment: assessment.id,
          mode: "async",
        });
      } catch (error) {
        clearInterval(heartbeat);
        const problem = this.problem(assessment.id, error, job);
        failure = new HttpProblem(problem.kind, problem.message, {
          ...problem.extensions,
          assessment: { id: assessment.id, status: "failed" },
        });
        await this.store
          .fail(assessment.id, problem.toDocument(`/v1/assessments/${assessment.id}`), new Date().toISOString())
          .catch((storeError) => {
            this.logger.error("failure not saved", { assessment: assessment.id, ...errorFields(storeError) });
          });
      } finally {
        this.untrack(assessment.id, submission);
      }
    })();
    await Promise.race([submission.received ?? Promise.resolve(), job.finished]);
    if (failure) {
      await job.finished;
      throw failure;
    }
    return { ...assessment, status: "running", updatedAt: assessment.createdAt };
  }

  /** This instance's live progress of a running job (fresher than the database). */
  progress(id: string): Progress | undefined {
    return this.running.get(id)?.progress;
  }

  isRunningHere(id: string): boolean {
    return this.running.has(id);
  }

  /** Stops a running job (its assessment was deleted); it then stores nothing. */
  cancel(id: string): void {
    this.abort(id, new HttpProblem("notFound", "the assessment was deleted while it ran"));
  }

  get size(): number {
    return this.running.size;
  }

  /**
   * Lets running jobs finish for up to graceMs, then aborts the rest: they end as failed ("shutting down"), never
   * half-stored.
   */
  async shutdown(graceMs: number): Promise<void> {
    const all = () => Promise.allSettled([...this.running.values()].map((job) => job.finished));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    const outcome = await Promise.race([all(), graceOver]);
    clearTimeout(timer);
    if (outcome !== "timeout") return;
    for (const id of this.running.keys()) {
      this.abort(id, new HttpProblem("shuttingDown", "the server shut down before the assessment finished"));
    }
    await all();
  }

  private async execute(
    id: string,
    submission: JobSubmission,
    job: RunningJob,
    onProgress?: (progress: Progress) => void,
  ): Promise<AssessmentResult> {
    const asked = submission.options.assess;
    let report: Report;
    try {
      report = await this.assessLogs(submission.inputs, {
        ...asked,
        livePricing: asked.livePricing ? (this.pricingEndpoint ? { endpoint: this.pricingEndpoint } : true) : false,
        signal: job.controller.signal,
        ...(this.maxLogBytes === undefined ? {} : { maxLogBytes: this.maxLogBytes }),
        ...(onProgress ? { onProgress } : {}),
      });
    } catch (error) {
      throw submission.uploadProblem?.() ?? error;
    }
    const uploadProblem = submission.uploadProblem?.();
    if (uploadProblem) throw uploadProblem;
    job.controller.signal.throwIfAborted();
    const stored = submission.options.keepSamples ? report : withoutLineSamples(report);
    this.logger.info("assessment analysed", { assessment: id, sessions: report.summary.sessions });
    return {
      finishedAt: new Date().toISOString(),
      engine: report.engine,
      summary: report.summary,
      reportJson: JSON.stringify(stored),
    };
  }

  private track(id: string, submission: JobSubmission): RunningJob {
    const job: RunningJob = {
      controller: new AbortController(),
      progress: { bytesRead: 0, ...(submission.totalBytes === undefined ? {} : { totalBytes: submission.totalBytes }) },
      finished: Promise.resolve(),
      ...(submission.abortInputs ? { abortInputs: submission.abortInputs } : {}),
    };
    this.running.set(id, job);
    return job;
  }

  private untrack(id: string, submission: JobSubmission): void {
    this.running.delete(id);
    submission.cleanup?.().catch((error) => {
      this.logger.warn("upload cleanup failed", { assessment: id, ...errorFields(error) });
    });
  }

  private abort(id: string, reason: HttpProblem): void {
    const job = this.running.get(id);
    if (!job) return;
    job.controller.abort(reason);
    job.abortInputs?.();
  }

  /** An abort's reason wins over whatever error the abort caused downstream (a destroyed upload, say). */
  private problem(id: string, error: unknown, job: RunningJob): HttpProblem {
    const reason: unknown = job.controller.signal.aborted ? job.controller.signal.reason : error;
    const problem = problemFromError(reason);
    if (problem.kind === "internal") this.logger.error("assessment failed", { assessment: id, ...errorFields(error) });
    else this.logger.info("assessment rejected", { assessment: id, problem: problem.kind, detail: problem.message });
    return problem;
  }
}

function newAssessment(submission: JobSubmission): NewAssessment {
  return {
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    files: submission.files,
    options: submission.options.asked,
    progress: { bytesRead: 0, ...(submission.totalBytes === undefined ? {} : { totalBytes: submission.totalBytes }) },
  };
}

function doneFields(result: AssessmentResult): Pick<AssessmentRecord, "finishedAt" | "engine" | "summary"> {
  return { finishedAt: result.finishedAt, engine: result.engine, summary: result.summary };
}
