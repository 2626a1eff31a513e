import { TOOL_VERSION } from "../analysis/analysis.js";
import { OPTION_FIELDS } from "./options.js";
import { PROBLEM_TYPE_PREFIX, PROBLEM_TYPES } from "./problem.js";
import { CONFIG_PART, LOG_PART } from "./uploads/multipart-upload.js";

/**
 * OpenAPI 3.1 description of the API. Hand-written so it reads well; test/server/openapi.test.ts holds it to the
 * routes the app really serves and to the status codes the end-to-end tests see.
 */
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});
const json = (description: string, ref: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const idParameter = { $ref: "#/components/parameters/id" };

/** A failed assessment answers its reads with the problem that failed it. */
const failed = {
  "400": problem("The assessment failed: the upload was cut off or an option was bad."),
  "413": problem("The assessment failed: the upload (sent without Content-Length) grew past the limit."),
  "422": problem("The assessment failed: the log could not be assessed."),
  "500": problem("The assessment failed unexpectedly, or was interrupted (its server stopped)."),
  "503": problem("The assessment failed: the server shut down while it ran."),
};

const optionProperties = Object.fromEntries(
  Object.entries(OPTION_FIELDS).map(([field, spec]) => [field, { type: "string", description: spec.about }]),
);

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "proxyfit assessor API",
    version: TOOL_VERSION,
    description:
      "Upload PostgreSQL or MySQL/MariaDB logs (and driver configs); get the RDS Proxy fit report the `proxyfit assess` " +
      "CLI writes. Errors are RFC 9457 problem documents. Every route but /healthz and /readyz needs " +
      "`Authorization: Bearer <PROXYFIT_API_TOKEN>` when the server has a token.",
  },
  servers: [{ url: "/" }],
  security: [{ bearer: [] }],
  paths: {
    "/healthz": {
      get: {
        summary: "Liveness: the process answers.",
        security: [],
        responses: { "200": { description: "Alive.", content: { "application/json": { schema: { type: "object" } } } } },
      },
    },
    "/readyz": {
      get: {
        summary: "Readiness: the database answers and the server is not shutting down.",
        security: [],
        responses: {
          "200": { description: "Ready.", content: { "application/json": { schema: { type: "object" } } } },
          "503": problem("Shutting down, or the database cannot be reached."),
        },
      },
    },
    "/v1/openapi.json": {
      get: {
        summary: "This description.",
        responses: {
          "200": { description: "OpenAPI 3.1.", content: { "application/json": { schema: { type: "object" } } } },
          "401": problem("Missing or wrong bearer token."),
        },
      },
    },
    "/v1/assessments": {
      post: {
        summary: "Assess uploaded logs.",
        description:
          "A raw body (one log, plain or gzip; options as query parameters) streams straight through the parser. " +
          `multipart/form-data carries several logs ("${LOG_PART}" parts), driver configs ("${CONFIG_PART}" parts) ` +
          "and options as fields; its files are spooled to disk first. Uploads up to the sync limit (default 8 MiB) " +
          "are answered 201 when done; bigger ones, uploads without Content-Length and `Prefer: respond-async` " +
          "get 202 as soon as the upload is received, and are polled with GET (the list shows an upload's " +
          "progress while it streams in).",
        parameters: [
          {
            name: "name",
            in: "query",
            description: "Raw body only: the file name shown in the report (default upload.log).",
            schema: { type: "string" },
          },
          ...Object.entries(OPTION_FIELDS).map(([field, spec]) => ({
            name: field,
            in: "query",
            description: `Raw body only (multipart: a form field). ${spec.about}`,
            schema: { type: "string" },
          })),
          {
            name: "Prefer",
            in: "header",
            description: "respond-async: answer 202 at once whatever the size.",
            schema: { type: "string" },
          },
        ],
        requestBody: {
          required: true,
          content: {
            "text/plain": { schema: { type: "string" } },
            "application/octet-stream": { schema: { type: "string", format: "binary" } },
            "application/gzip": { schema: { type: "string", format: "binary" } },
            "application/x-www-form-urlencoded": {
              description: "What curl --data-binary sends by default: taken as a raw log, never form-decoded.",
              schema: { type: "string" },
            },
            "multipart/form-data": {
              schema: {
                type: "object",
                required: [LOG_PART],
                properties: {
                  [LOG_PART]: { type: "array", items: { type: "string", format: "binary" } },
                  [CONFIG_PART]: { type: "array", items: { type: "string", format: "binary" } },
                  ...optionProperties,
                },
              },
            },
          },
        },
        responses: {
          "201": json("Done; Location is the report.", "AssessmentStatus"),
          "202": json("Accepted and running; GET Location until done.", "AssessmentStatus"),
          "400": problem("Bad option, or the upload was cut off."),
          "401": problem("Missing or wrong bearer token."),
          "413": problem("Upload too large."),
          "415": problem("Unsupported Content-Type or Content-Encoding."),
          "422": problem("The log could not be assessed: unknown format, empty or binary file."),
          "500": problem("Unexpected failure."),
          "503": problem("Shutting down."),
        },
      },
      get: {
        summary: "List assessments, newest first.",
        parameters: [
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
          { name: "cursor", in: "query", description: "From the previous page's next link.", schema: { type: "string" } },
        ],
        responses: {
          "200": json("A page.", "AssessmentList"),
          "400": problem("Bad limit or cursor."),
          "401": problem("Missing or wrong bearer token."),
        },
      },
    },
    "/v1/assessments/{id}": {
      get: {
        summary: "The JSON report (the schema `proxyfit assess --format json` writes), or the status while running.",
        parameters: [idParameter],
        responses: {
          "200": {
            description: "The report: docs/schemas/report.schema.json.",
            content: { "application/json": { schema: { type: "object" } } },
          },
          "202": json("Still running: status and progress.", "AssessmentStatus"),
          "401": problem("Missing or wrong bearer token."),
          "404": problem("No such assessment."),
          ...failed,
        },
      },
      delete: {
        summary: "Delete an assessment (a running one is stopped).",
        parameters: [idParameter],
        responses: {
          "204": { description: "Deleted." },
          "401": problem("Missing or wrong bearer token."),
          "404": problem("No such assessment."),
        },
      },
    },
    "/v1/assessments/{id}/report.html": {
      get: {
        summary: "The report as a self-contained HTML page (inline CSS and SVG, no network).",
        parameters: [idParameter],
        responses: {
          "200": { description: "The page.", content: { "text/html": { schema: { type: "string" } } } },
          "401": problem("Missing or wrong bearer token."),
          "404": problem("No such assessment."),
          "409": problem("Still running."),
          ...failed,
        },
      },
    },
    "/v1/assessments/{id}/recommendation.json": {
      get: {
        summary: "The recommendation (docs/schemas/recommendation.schema.json), as the cdktf stacks take it.",
        parameters: [idParameter],
        responses: {
          "200": {
            description: "The recommendation.",
            content: { "application/json": { schema: { type: "object" } } },
          },
          "401": problem("Missing or wrong bearer token."),
          "404": problem("No such assessment, or it has no recommendation."),
          "409": problem("Still running."),
          ...failed,
        },
      },
    },
    "/v1/assessments/{id}/terraform": {
      post: {
        summary:
          "The recommendation as plain Terraform modules (HCL), as `proxyfit terraform` writes them, for the deployment " +
          "inputs in the body (docs/deploy.md; its `recommendation` field is not read: the assessment's is used). " +
          "Served by `proxyfit serve`.",
        parameters: [idParameter],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { type: "object", description: "Deployment inputs (docs/deploy.md)." } } },
        },
        responses: {
          "200": {
            description:
              "A gzip-compressed tar of one folder per stack the inputs define (rds-proxy/, trial-proxy/), each with " +
              "main.tf, variables.tf, outputs.tf and versions.tf: `tar xzf` it into a repository.",
            content: { "application/gzip": { schema: { type: "string", contentMediaType: "application/gzip" } } },
          },
          "400": problem("The body is not JSON, or is over 1 MiB."),
          "401": problem("Missing or wrong bearer token."),
          "404": problem("No such assessment, or it has no recommendation."),
          "409": problem("Still running."),
          "415": problem("The body is not application/json."),
          "422": problem("The deployment inputs are not valid: `problems` lists each field and what is wrong with it."),
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    parameters: { id: { name: "id", in: "path", required: true, schema: { type: "string" } } },
    schemas: {
      Problem: {
        type: "object",
        required: ["type", "title", "status", "detail"],
        properties: {
          type: {
            type: "string",
            enum: Object.values(PROBLEM_TYPES).map((type) => PROBLEM_TYPE_PREFIX + type.slug),
          },
          title: { type: "string" },
          status: { type: "integer" },
          detail: { type: "string" },
          instance: { type: "string" },
          file: { type: "string", description: "The file at fault." },
          line: { type: "integer", description: "The line at fault." },
          field: { type: "string", description: "The option, query parameter or form part at fault." },
          limitBytes: { type: "integer" },
          assessment: {
            type: "object",
            properties: { id: { type: "string" }, status: { type: "string" } },
          },
          problems: {
            type: "array",
            description: "Every problem in a request's deployment inputs (bad-deploy-inputs).",
            items: { type: "object", required: ["field", "message"], properties: { field: { type: "string" }, message: { type: "string" } } },
          },
        },
      },
      AssessmentStatus: {
        type: "object",
        required: ["id", "status", "createdAt", "files", "options", "links"],
        properties: {
          id: { type: "string" },
          status: { type: "string", enum: ["running", "done", "failed"] },
          createdAt: { type: "string", format: "date-time" },
          finishedAt: { type: "string", format: "date-time" },
          files: {
            type: "array",
            items: {
              type: "object",
              required: ["name", "kind"],
              properties: {
                name: { type: "string" },
                kind: { type: "string", enum: ["log", "config"] },
                bytes: { type: "integer" },
              },
            },
          },
          options: { type: "object", additionalProperties: { type: "string" } },
          progress: {
            type: "object",
            required: ["bytesRead"],
            properties: { bytesRead: { type: "integer" }, totalBytes: { type: "integer" } },
          },
          engine: { type: "string", enum: ["postgresql", "mysql"] },
          summary: { type: "object", description: "The report's summary." },
          problem: { $ref: "#/components/schemas/Problem" },
          links: {
            type: "object",
            required: ["self"],
            properties: {
              self: { type: "string" },
              report: { type: "string" },
              html: { type: "string" },
              recommendation: { type: "string" },
            },
          },
        },
      },
      AssessmentList: {
        type: "object",
        required: ["items"],
        properties: {
          items: { type: "array", items: { $ref: "#/components/schemas/AssessmentStatus" } },
          next: { type: "string", description: "The next page, absent on the last one." },
        },
      },
    },
  },
} as const;
