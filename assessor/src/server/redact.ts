import type { Report } from "../report/report.js";

/** What replaces a raw log line sample in a stored report. */
export const SAMPLE_REMOVED = "(line sample not kept: upload with keep-samples=true to keep it)";

/**
 * Logs hold customer data. Pin reasons and top statements are already normalized (literals replaced); the one raw
 * text left in a report is the sample of each line the parser could not use. Stored reports drop it unless asked.
 */
export function withoutLineSamples(report: Report): Report {
  return {
    ...report,
    inputs: report.inputs.map((input) => ({
      ...input,
      problems: input.problems.map((problem) => ({ ...problem, text: problem.text === "" ? "" : SAMPLE_REMOVED })),
    })),
  };
}
