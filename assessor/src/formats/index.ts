import { ENGINE_TITLES, type Engine } from "../events/log-event.js";
import { InputError } from "../input/input-error.js";
import type { FormatDetection, FormatId, LogFormat } from "./log-format.js";
import { mysqlGeneralFormat } from "./mysql-general.js";
import { mysqlSlowFormat } from "./mysql-slow.js";
import { pgCsvFormat } from "./pg-csv.js";
import { pgJsonFormat } from "./pg-json.js";
import { pgStderrFormat } from "./pg-stderr.js";

export type { FormatDetection, FormatId, FormatOptions, LogFormat, LogParser, ParserStats } from "./log-format.js";

/** Every format proxyfit reads. Order breaks ties in detection: the more specific formats come first. */
export const LOG_FORMATS: readonly LogFormat[] = [
  pgJsonFormat,
  pgCsvFormat,
  mysqlSlowFormat,
  mysqlGeneralFormat,
  pgStderrFormat,
];

export const FORMAT_IDS: readonly FormatId[] = LOG_FORMATS.map((f) => f.id);

export function formatById(id: string, field = "--log-format"): LogFormat {
  const format = LOG_FORMATS.find((f) => f.id === id);
  if (!format) {
    throw new InputError(`unknown log format "${id}"; expected one of ${FORMAT_IDS.join(", ")}`, { field });
  }
  return format;
}

/** How many lines detection looks at. Enough to get past a server's start-up banner and a few sessions. */
export const DETECTION_LINES = 400;

/**
 * Picks the format that explains most of the sample. With `only` set (from --log-format) the sample is still checked,
 * so a wrong override gets a clear error instead of a report full of lines not understood.
 */
export function detectFormat(
  file: string,
  sample: readonly string[],
  options: { only?: LogFormat; engine?: Engine } = {},
): { format: LogFormat; detection: FormatDetection } {
  const candidates = options.only
    ? [options.only]
    : LOG_FORMATS.filter((f) => !options.engine || f.engine === options.engine);
  const best = bestFormat(candidates, sample);
  // An explicit --log-format is obeyed even when the sample does not look like it: the assessment refuses the file
  // afterwards if the format understood less than half of it (assess.ts).
  if (!best && options.only) return { format: options.only, detection: { format: options.only.id, confidence: 0 } };
  if (!best && options.engine) {
    const other = bestFormat(LOG_FORMATS, sample);
    if (other) {
      throw new InputError(
        `this is a ${ENGINE_TITLES[other.format.engine]} log (${other.format.id}), not a ${ENGINE_TITLES[options.engine]} one (--engine ${options.engine})`,
        { file },
      );
    }
  }
  if (!best) {
    const firstLine = sample.find((l) => l.trim() !== "") ?? "";
    const shown = firstLine.length > 120 ? `${firstLine.slice(0, 120)}…` : firstLine;
    const expected = candidates.map((f) => f.id).join(", ");
    throw new InputError(
      `cannot recognise the log format (tried ${expected}); first line: ${JSON.stringify(shown)}. ` +
        "Pass --log-format (and --prefix for PostgreSQL stderr logs) if this is a log proxyfit should read.",
      { file },
    );
  }
  return best;
}

/** The format that explains most of the sample, or undefined when none explains any of it. */
export function bestFormat(
  formats: readonly LogFormat[],
  sample: readonly string[],
): { format: LogFormat; detection: FormatDetection } | undefined {
  let best: { format: LogFormat; detection: FormatDetection } | undefined;
  for (const format of formats) {
    const detection = format.detect(sample);
    if (detection && (!best || detection.confidence > best.detection.confidence)) best = { format, detection };
  }
  return best && best.detection.confidence > 0 ? best : undefined;
}
