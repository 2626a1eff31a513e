import type { IncomingMessage } from "node:http";
import express, { type Request, Router } from "express";
import { renderHtml } from "../../report/html.js";
import type { Report } from "../../report/report.js";
import type { AssessmentJobs, JobSubmission } from "../assessment-jobs.js";
import { parseRequestOptions } from "../options.js";
import { HttpProblem } from "../problem.js";
import { type AssessmentStatusDocument, assessmentPath, effectiveRecord, statusDocument } from "../status-document.js";
import type { AssessmentRecord, AssessmentStore } from "../storage/assessment-store.js";
import type { TerraformModuleWriter } from "../terraform-modules.js";
import { type ConfigLimits, spoolMultipart } from "../uploads/multipart-upload.js";
import { declaredLength, rawUpload } from "../uploads/raw-upload.js";

export interface AssessmentRoutesOptions {
  store: AssessmentStore;
  jobs: AssessmentJobs;
  /** Bytes an upload may have (the log files, compressed size as sent). */
  maxUploadBytes: number;
  /** Uploads up to this size are answered when done (201); bigger ones at once (202). */
  syncLimitBytes: number;
  /** Config parts an upload may hold in memory. */
  configLimits: ConfigLimits;
  /** True once shutdown began: new uploads are refused. */
  isDraining(): boolean;
  /** Loads the writer of the Terraform route; without it the route is not served. */
  terraformModules?: () => Promise<TerraformModuleWriter>;
}

/** Deployment inputs are a small JSON document (docs/deploy.md). */
const DEPLOY_INPUTS_LIMIT = "1mb";

/**
 * Raw bodies: plain text logs or gzip. application/x-www-form-urlencoded is what `curl --data-binary @file` sends
 * unless told otherwise; the body is taken as is, never form-decoded. Anything else (JSON...) is probably a mistake.
 */
const RAW_TYPES = [
  "text/plain",
  "text/x-log",
  "application/octet-stream",
  "application/gzip",
  "application/x-gzip",
  "application/x-www-form-urlencoded",
];
const RAW_ENCODINGS = ["identity", "gzip", "x-gzip"];
/** When the upload gives no file name. */
const DEFAULT_RAW_NAME = "upload.log";

const ASSESSMENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
/** A cursor's time, as the server writes it (toISOString). */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const PAGE_DEFAULT = 20;
const PAGE_MAX = 100;

export function assessmentRoutes(options: AssessmentRoutesOptions): Router {
  const { store, jobs } = options;
  const router = Router();
  // The server makes UUIDs; anything outside URL-safe characters names no assessment and never reaches the database
  // (a NUL byte would fail there).
  router.param("id", (_request, _response, next, id: string) => {
    next(ASSESSMENT_ID.test(id) ? undefined : notFound(id));
  });

  router.post("/v1/assessments", async (request, response) => {
    if (options.isDraining()) throw new HttpProblem("shuttingDown", "the server is shutting down; retry elsewhere");
    const submission = isMultipart(request)
      ? await multipartSubmission(request, options.maxUploadBytes, options.configLimits)
      : rawSubmission(request, options.maxUploadBytes);
    const size = submission.totalBytes;
    const respondAsync = size === undefined || size > options.syncLimitBytes || prefersAsync(request);
    if (respondAsync) {
      const record = await jobs.start(submission);
      // A job that failed mid-upload is answered at once: close rather than read the rest of the body.
      if (!request.complete) response.setHeader("Connection", "close");
      response.status(202).location(assessmentPath(record.id)).setHeader("Retry-After", "2");
      response.json(statusDocument(record, jobs.progress(record.id)));
    } else {
      const record = await jobs.runToEnd(submission);
      response.status(201).location(assessmentPath(record.id)).json(statusDocument(record));
    }
  });

  router.get("/v1/assessments", async (request, response) => {
    const query = new URL(request.originalUrl, "http://localhost").searchParams;
    const limit = pageLimit(query.get("limit"));
    const before = query.has("cursor") ? decodeCursor(query.get("cursor")!) : undefined;
    const records = await store.list({ limit, ...(before ? { before } : {}) });
    const items = records.map((record) => present(record, jobs));
    const last = records.at(-1);
    const body: { items: AssessmentStatusDocument[]; next?: string } = { items };
    if (records.length === limit && last) {
      body.next = `/v1/assessments?limit=${limit}&cursor=${encodeCursor(last)}`;
    }
    response.json(body);
  });

  router.get("/v1/assessments/:id", async (request, response) => {
    const id = request.params.id;
    const report = await store.reportJson(id);
    if (report !== undefined) {
      response.type("application/json").send(report);
      return;
    }
    const record = await findRecord(store, jobs, id);
    if (record.status === "failed") throw failedProblem(record);
    response.status(202).setHeader("Retry-After", "2");
    response.json(present(record, jobs));
  });

  router.get("/v1/assessments/:id/report.html", async (request, response) => {
    const id = request.params.id;
    const report = await store.reportJson(id);
    if (report === undefined) throw notDone(await findRecord(store, jobs, id));
    response
      // The page is self-contained: forbid every fetch, so a viewer knows nothing leaves the browser.
      .setHeader(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
      )
      .type("text/html")
      .send(renderHtml(JSON.parse(report) as Report));
  });

  router.get("/v1/assessments/:id/recommendation.json", async (request, response) => {
    response.type("application/json").send(await storedRecommendation(store, jobs, request.params.id));
  });

  const loadWriter = options.terraformModules;
  if (loadWriter) {
    router.post("/v1/assessments/:id/terraform", express.json({ limit: DEPLOY_INPUTS_LIMIT }), async (request, response) => {
      if (!request.is("application/json")) {
        throw new HttpProblem("unsupportedMediaType", "send the deployment inputs (docs/deploy.md) as application/json");
      }
      const id = request.params.id;
      const recommendation = JSON.parse(await storedRecommendation(store, jobs, id)) as unknown;
      const result = (await loadWriter())({
        recommendation,
        recommendationName: `assessment ${id} recommendation`,
        inputs: request.body,
        inputsName: "request body",
      });
      if (!result.ok) {
        const detail = result.problems.map((problem) => (problem.field ? `${problem.field}: ${problem.message}` : problem.message)).join("; ");
        throw new HttpProblem("badDeployInputs", detail, { problems: result.problems });
      }
      response
        .type("application/gzip")
        .setHeader("Content-Disposition", `attachment; filename="proxyfit-terraform-${id}.tar.gz"`)
        .send(Buffer.from(result.archive));
    });
  }

  router.delete("/v1/assessments/:id", async (request, response) => {
    const id = request.params.id;
    jobs.cancel(id);
    if (!(await store.delete(id))) throw notFound(id);
    response.status(204).end();
  });

  return router;
}

function isMultipart(request: Request): boolean {
  return request.is("multipart/form-data") === "multipart/form-data";
}

async function multipartSubmission(
  request: Request,
  maxUploadBytes: number,
  configLimits: ConfigLimits,
): Promise<JobSubmission> {
  const stray = [...new URL(request.originalUrl, "http://localhost").searchParams.keys()];
  if (stray.length > 0) {
    throw new HttpProblem("badOption", `${stray[0]}: with multipart/form-data, send options as form fields`, {
      field: stray[0]!,
    });
  }
  const upload = await spoolMultipart(request, maxUploadBytes, configLimits);
  return {
    files: upload.files,
    inputs: upload.logs,
    options: upload.options,
    totalBytes: upload.logBytes,
    cleanup: upload.cleanup,
  };
}

function rawSubmission(request: Request, maxUploadBytes: number): JobSubmission {
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "" && !RAW_TYPES.includes(type)) {
    throw new HttpProblem(
      "unsupportedMediaType",
      `Content-Type ${type} is not accepted; send a log as ${RAW_TYPES.join(", ")}, or files as multipart/form-data`,
    );
  }
  const encoding = (request.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (!RAW_ENCODINGS.includes(encoding)) {
    throw new HttpProblem("unsupportedMediaType", `Content-Encoding ${encoding} is not accepted; use gzip or none`);
  }
  const query = new URL(request.originalUrl, "http://localhost").searchParams;
  const name = query.get("name") ?? DEFAULT_RAW_NAME;
  const options = parseRequestOptions([...query].filter(([key]) => key !== "name"));
  const declared = declaredLength(request);
  if (declared !== undefined && declared > maxUploadBytes) {
    throw new HttpProblem("tooLarge", `${name}: ${declared} bytes exceeds the limit of ${maxUploadBytes} bytes`, {
      file: name,
      limitBytes: maxUploadBytes,
    });
  }
  const upload = rawUpload(request, name, maxUploadBytes);
  return {
    files: [{ name, kind: "log", ...(declared === undefined ? {} : { bytes: declared }) }],
    inputs: [upload.input],
    options,
    ...(declared === undefined ? {} : { totalBytes: declared }),
    received: upload.received,
    uploadProblem: upload.problem,
    abortInputs: () => (request as IncomingMessage).destroy(),
  };
}

/** RFC 7240: `Prefer: respond-async` asks for 202 whatever the size. */
function prefersAsync(request: Request): boolean {
  return /(^|[,\s])respond-async($|[,;\s])/i.test(request.get("prefer") ?? "");
}

function pageLimit(value: string | null): number {
  if (value === null) return PAGE_DEFAULT;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) {
    throw new HttpProblem("badOption", `limit: "${value}" is not an integer from 1 to ${PAGE_MAX}`, { field: "limit" });
  }
  return limit;
}

function encodeCursor(record: AssessmentRecord): string {
  return Buffer.from(JSON.stringify([record.createdAt, record.id])).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (
      typeof createdAt === "string" &&
      typeof id === "string" &&
      CURSOR_TIME.test(createdAt) &&
      !Number.isNaN(Date.parse(createdAt)) &&
      ASSESSMENT_ID.test(id)
    ) {
      return { createdAt, id };
    }
  } catch {
    // Falls through to the problem below.
  }
  throw new HttpProblem("badOption", "cursor: not a cursor this server gave out (use the list's next link)", {
    field: "cursor",
  });
}

function present(record: AssessmentRecord, jobs: AssessmentJobs): AssessmentStatusDocument {
  return statusDocument(effectiveRecord(record, jobs.isRunningHere(record.id)), jobs.progress(record.id));
}

async function findRecord(store: AssessmentStore, jobs: AssessmentJobs, id: string): Promise<AssessmentRecord> {
  const record = await store.get(id);
  if (!record) throw notFound(id);
  return effectiveRecord(record, jobs.isRunningHere(id));
}

/** The recommendation document of a done assessment, as stored; problems for every other case. */
async function storedRecommendation(store: AssessmentStore, jobs: AssessmentJobs, id: string): Promise<string> {
  const recommendation = await store.recommendationJson(id);
  if (recommendation === undefined) throw notDone(await findRecord(store, jobs, id));
  if (recommendation === null) {
    throw new HttpProblem(
      "noRecommendation",
      "this assessment has no recommendation (the report was made without the inputs a recommendation needs)",
      { assessment: { id, status: "done" } },
    );
  }
  return recommendation;
}

function notFound(id: string): HttpProblem {
  return new HttpProblem("notFound", `no assessment ${JSON.stringify(id)}`);
}

/** A failed assessment answers with the problem that failed it. */
function failedProblem(record: AssessmentRecord): HttpProblem {
  const problem = record.problem;
  const kind = (problem && HttpProblem.kindOfType(problem.type)) ?? "internal";
  return new HttpProblem(kind, problem?.detail ?? "the assessment failed", {
    ...(problem?.file === undefined ? {} : { file: problem.file }),
    ...(problem?.line === undefined ? {} : { line: problem.line }),
    ...(problem?.field === undefined ? {} : { field: problem.field }),
    ...(problem?.limitBytes === undefined ? {} : { limitBytes: problem.limitBytes }),
    assessment: { id: record.id, status: "failed" },
  });
}

function notDone(record: AssessmentRecord): HttpProblem {
  if (record.status === "failed") return failedProblem(record);
  return new HttpProblem("notDone", "the assessment is still running; GET it until it is done", {
    assessment: { id: record.id, status: record.status },
  });
}
