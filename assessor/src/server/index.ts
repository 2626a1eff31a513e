/**
 * @proxyfit/assessor/server — the assessor as an HTTP service: `proxyfit serve`, and the app for tests and embedding.
 */
export { type AppOptions, type AssessorApp, createApp } from "./app.js";
export { jsonLogger, type Logger, silentLogger } from "./logger.js";
export { OPTION_FIELDS } from "./options.js";
export { PROBLEM_TYPE_PREFIX, PROBLEM_TYPES, type ProblemDocument } from "./problem.js";
export { SAMPLE_REMOVED } from "./redact.js";
export { type RunningServer, runServe, type ServerOptions, startServer } from "./serve.js";
export type { AssessmentStatusDocument } from "./status-document.js";
export type { AssessmentStore } from "./storage/assessment-store.js";
export { openStore, type StoreOptions } from "./storage/open-store.js";
export type { TerraformModuleRequest, TerraformModuleResult, TerraformModuleWriter } from "./terraform-modules.js";
