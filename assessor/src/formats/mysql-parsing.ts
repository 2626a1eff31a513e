import type { LogEvent } from "../events/log-event.js";
import type { FormatDetection, FormatId, LineProblem, LogParser, ParserStats } from "./log-format.js";

const MAX_PROBLEM_SAMPLES = 20;
const MAX_PROBLEM_TEXT = 200;

/** Line counters of one parser: every line is read, some are not understood; the first few are kept as samples. */
export class LineStats implements ParserStats {
  linesRead = 0;
  linesNotUnderstood = 0;
  readonly problems: LineProblem[] = [];

  notUnderstood(line: number, reason: string, text: string): void {
    this.linesNotUnderstood++;
    if (this.problems.length < MAX_PROBLEM_SAMPLES) {
      this.problems.push({
        line,
        reason,
        text: text.length > MAX_PROBLEM_TEXT ? text.slice(0, MAX_PROBLEM_TEXT) : text,
      });
    }
  }
}

/**
 * Detection by trial: the sample goes through a fresh parser, and the confidence is the share of lines it understood.
 * A sample that yields no event at all is not this format, however few lines it rejected (a log of nothing but server
 * start-up banners is no evidence either way).
 */
export function detectByParsing(format: FormatId, parser: LogParser, lines: readonly string[]): FormatDetection | null {
  let events = 0;
  const count = (_event: LogEvent) => {
    events++;
  };
  for (const [index, text] of lines.entries()) parser.line(text, index + 1, count);
  parser.end(count);
  const { linesRead, linesNotUnderstood } = parser.stats;
  if (events === 0 || linesRead === 0) return null;
  return { format, confidence: (linesRead - linesNotUnderstood) / linesRead };
}
