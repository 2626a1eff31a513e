import { InputError } from "../input/input-error.js";

/**
 * RFC 9457 problem details: every error the API returns is one of these, served as application/problem+json.
 * The `type` URIs are stable identifiers (docs/api.md lists them), so clients can branch on them.
 */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Extensions: where the problem is. */
  file?: string;
  line?: number;
  field?: string;
  limitBytes?: number;
  assessment?: { id: string; status: string };
  /** Every problem in a request's deployment inputs (bad-deploy-inputs). */
  problems?: Array<{ field: string; message: string }>;
}

export const PROBLEM_TYPES = {
  badOption: { slug: "bad-option", title: "Bad option", status: 400 },
  badRequest: { slug: "bad-request", title: "Malformed request", status: 400 },
  badInput: { slug: "bad-input", title: "The log or config file could not be assessed", status: 422 },
  incompleteUpload: { slug: "incomplete-upload", title: "The upload was cut off", status: 400 },
  unsupportedMediaType: { slug: "unsupported-media-type", title: "Unsupported media type", status: 415 },
  tooLarge: { slug: "too-large", title: "Upload too large", status: 413 },
  unauthorized: { slug: "unauthorized", title: "Missing or wrong bearer token", status: 401 },
  notFound: { slug: "not-found", title: "Not found", status: 404 },
  noRecommendation: { slug: "no-recommendation", title: "The assessment has no recommendation", status: 404 },
  badDeployInputs: { slug: "bad-deploy-inputs", title: "The deployment inputs are not valid", status: 422 },
  notDone: { slug: "not-done", title: "The assessment is not done", status: 409 },
  interrupted: { slug: "interrupted", title: "The assessment was interrupted", status: 500 },
  shuttingDown: { slug: "shutting-down", title: "The server is shutting down", status: 503 },
  internal: { slug: "internal", title: "Internal error", status: 500 },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

export const PROBLEM_TYPE_PREFIX = "urn:proxyfit:problem:";

/** An error that knows the problem document it becomes. Thrown anywhere in the server, rendered in one place. */
export class HttpProblem extends Error {
  readonly kind: ProblemKind;
  readonly extensions: Omit<ProblemDocument, "type" | "title" | "status" | "detail">;

  constructor(kind: ProblemKind, detail: string, extensions: HttpProblem["extensions"] = {}) {
    super(detail);
    this.name = "HttpProblem";
    this.kind = kind;
    this.extensions = extensions;
  }

  /** The kind a stored document's `type` names, if this server knows it. */
  static kindOfType(type: string): ProblemKind | undefined {
    const slug = type.startsWith(PROBLEM_TYPE_PREFIX) ? type.slice(PROBLEM_TYPE_PREFIX.length) : undefined;
    return (Object.keys(PROBLEM_TYPES) as ProblemKind[]).find((kind) => PROBLEM_TYPES[kind].slug === slug);
  }

  get status(): number {
    return PROBLEM_TYPES[this.kind].status;
  }

  toDocument(instance?: string): ProblemDocument {
    const type = PROBLEM_TYPES[this.kind];
    return {
      type: PROBLEM_TYPE_PREFIX + type.slug,
      title: type.title,
      status: type.status,
      detail: this.message,
      ...(instance === undefined ? {} : { instance }),
      ...this.extensions,
    };
  }
}

/** The problem an error thrown while assessing becomes. Unexpected errors keep their details in the server log. */
export function problemFromError(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof InputError) {
    const where = {
      ...(error.file === undefined ? {} : { file: error.file }),
      ...(error.line === undefined ? {} : { line: error.line }),
      ...(error.field === undefined ? {} : { field: error.field.replace(/^--/, "") }),
    };
    if (error.limitBytes !== undefined) return new HttpProblem("tooLarge", error.message, { ...where, limitBytes: error.limitBytes });
    return new HttpProblem(error.field === undefined ? "badInput" : "badOption", error.message, where);
  }
  // Express's own refusals (a path that does not decode, say) carry a 4xx status: the client's mistake, not ours.
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new HttpProblem("badRequest", `malformed request: ${(error as Error).message}`);
  }
  return new HttpProblem("internal", "unexpected failure; the server log has the details");
}
