/**
 * @proxyfit/assessor — reads database logs, rebuilds every client session, applies the RDS Proxy pinning rulebook
 * and reports what a proxy would do with the workload.
 */
export { type Analysis, type AnalysisOptions, createAnalysis, type RetainedEntries } from "./analysis/analysis.js";
export { type AssessOptions, assess } from "./assess.js";
export type { Engine, EventKind, LogEvent, SourcePosition } from "./events/log-event.js";
export { FORMAT_IDS, LOG_FORMATS } from "./formats/index.js";
export type { FormatId } from "./formats/log-format.js";
export { InputError } from "./input/input-error.js";
export { bufferInput, fileInput, type LogInput } from "./input/log-input.js";
export { systemErrorReason } from "./input/system-error.js";
export type * from "./report/report.js";
export { renderHtml } from "./report/html.js";
export { renderMarkdown } from "./report/markdown.js";
export { p99 } from "./replay/series.js";
export { renderText } from "./report/text.js";
export { plural } from "./report/format-numbers.js";
