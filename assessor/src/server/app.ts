import express, { type NextFunction, type Request, type Response } from "express";
import { assess } from "../assess.js";
import { type AssessFunction, AssessmentJobs } from "./assessment-jobs.js";
import { requireBearerToken } from "./auth.js";
import { errorFields, type Logger, silentLogger } from "./logger.js";
import { openApiDocument } from "./openapi.js";
import { HttpProblem, problemFromError } from "./problem.js";
import { assessmentRoutes } from "./routes/assessments.js";
import type { AssessmentStore } from "./storage/assessment-store.js";
import type { TerraformModuleWriter } from "./terraform-modules.js";

export interface AppOptions {
  store: AssessmentStore;
  /** PROXYFIT_API_TOKEN: required as a bearer token on every route but /healthz and /readyz. */
  token?: string;
  logger?: Logger;
  /** Default 2 GiB. */
  maxUploadBytes?: number;
  /** Default 8 MiB. */
  syncLimitBytes?: number;
  /** Bytes of log text (after gzip decompression) one upload may hold. Default 16 GiB. */
  maxLogBytes?: number;
  /** Config parts are read into memory: at most this many per upload (default 20)... */
  maxConfigFiles?: number;
  /** ...and this many bytes together (default 1 MiB). */
  maxConfigBytes?: number;
  /** The Price List API endpoint for uploads asking live-pricing=true (default: AWS's). */
  pricingEndpoint?: string;
  /** The assessor core; tests may wrap it. Default assess(). */
  assess?: AssessFunction;
  /**
   * Loads the writer of POST /v1/assessments/{id}/terraform at its first request (`proxyfit serve` passes
   * @proxyfit/cdktf's); without it that route is not served.
   */
  terraformModules?: () => Promise<TerraformModuleWriter>;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
export const DEFAULT_SYNC_LIMIT_BYTES = 8 * 1024 ** 2;
export const DEFAULT_MAX_LOG_BYTES = 16 * 1024 ** 3;
export const DEFAULT_MAX_CONFIG_FILES = 20;
export const DEFAULT_MAX_CONFIG_BYTES = 1024 ** 2;

export interface AssessorApp {
  app: express.Express;
  jobs: AssessmentJobs;
  /** Refuse new uploads and report not ready (shutdown began). */
  drain(): void;
}

/** The assessor's HTTP API. Listening, signals and shutdown are the caller's (see startServer). */
export function createApp(options: AppOptions): AssessorApp {
  const logger = options.logger ?? silentLogger;
  const jobs = new AssessmentJobs(
    options.store,
    logger,
    options.assess ?? assess,
    options.pricingEndpoint,
    options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES,
  );
  let draining = false;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(requestLog(logger));

  app.get("/healthz", (_request, response) => {
    response.json({ status: "ok" });
  });
  app.get("/readyz", async (_request, response) => {
    if (draining) throw new HttpProblem("shuttingDown", "the server is shutting down");
    await options.store.ping().catch((error: unknown) => {
      logger.warn("database unreachable", errorFields(error));
      throw new HttpProblem("shuttingDown", "the database cannot be reached");
    });
    response.json({ status: "ready", storage: options.store.description, runningAssessments: jobs.size });
  });

  if (options.token) app.use(requireBearerToken(options.token));
  app.get("/v1/openapi.json", (_request, response) => {
    response.json(openApiDocument);
  });
  app.use(
    assessmentRoutes({
      store: options.store,
      jobs,
      maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
      syncLimitBytes: options.syncLimitBytes ?? DEFAULT_SYNC_LIMIT_BYTES,
      configLimits: {
        files: options.maxConfigFiles ?? DEFAULT_MAX_CONFIG_FILES,
        bytes: options.maxConfigBytes ?? DEFAULT_MAX_CONFIG_BYTES,
      },
      isDraining: () => draining,
      ...(options.terraformModules ? { terraformModules: options.terraformModules } : {}),
    }),
  );
  app.use((request: Request, _response: Response, next: NextFunction) => {
    next(new HttpProblem("notFound", `no route ${request.method} ${request.path}`));
  });
  app.use(problemResponder(logger));

  return {
    app,
    jobs,
    drain() {
      draining = true;
    },
  };
}

function requestLog(logger: Logger) {
  return (request: Request, response: Response, next: NextFunction) => {
    const started = performance.now();
    const remote = request.socket.remoteAddress;
    response.on("finish", () => {
      const location = response.getHeader("location");
      logger.info("request", {
        method: request.method,
        path: request.path,
        status: response.statusCode,
        durationMs: Math.round(performance.now() - started),
        ...(request.headers["content-length"] ? { requestBytes: Number(request.headers["content-length"]) } : {}),
        ...(typeof location === "string" ? { location } : {}),
        remote,
      });
    });
    next();
  };
}

function problemResponder(logger: Logger) {
  return (error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const problem = problemFromError(error);
    if (problem.kind === "internal" && !(error instanceof HttpProblem)) {
      logger.error("request failed", { method: request.method, path: request.path, ...errorFields(error) });
    }
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (!request.complete) closeGently(request, response);
    response
      .status(problem.status)
      .type("application/problem+json")
      // The path only: a query string may hold what must not be echoed (a token pasted in the wrong place).
      .send(JSON.stringify(problem.toDocument(request.originalUrl.split("?")[0])));
  };
}

/** Most bytes of a refused upload thrown away after the answer, and for how long; then the connection is cut. */
const DISCARD_MAX_BYTES = 64 * 1024 ** 2;
const DISCARD_MAX_MS = 10_000;

/**
 * A refused upload's connection closes (Connection: close) once the answer is out, but gently: closing a socket with
 * unread bytes makes the kernel reset it, and the reset throws away the answer before the client reads it (a client
 * would see "connection reset", never the 413). So the answer is followed by a FIN only, and what the client still
 * sends is read and thrown away (compressed bytes are not inflated) until it stops, or for DISCARD_MAX_BYTES or
 * DISCARD_MAX_MS at most.
 */
function closeGently(request: Request, response: Response): void {
  response.setHeader("Connection", "close");
  const socket = request.socket;
  // Node ends such a connection with destroySoon(): FIN, then destroy as soon as the answer is flushed.
  socket.destroySoon = () => socket.end();
  const cut = setTimeout(() => socket.destroy(), DISCARD_MAX_MS).unref();
  socket.once("close", () => clearTimeout(cut));
  let left = DISCARD_MAX_BYTES;
  // A reader that stopped mid-body (the upload's iterator) keeps the stream paused through its "readable" listener.
  request.removeAllListeners("readable");
  request.on("data", (chunk: Buffer) => {
    left -= chunk.byteLength;
    if (left < 0) socket.destroy();
  });
  request.resume();
}
