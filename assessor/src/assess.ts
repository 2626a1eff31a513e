import { type Analysis, createAnalysis } from "./analysis/analysis.js";
import type { Engine, LogEvent } from "./events/log-event.js";
import { DETECTION_LINES, detectFormat, formatById } from "./formats/index.js";
import type { FormatDetection, FormatId, LogFormat, LogParser } from "./formats/log-format.js";
import { InputError } from "./input/input-error.js";
import { type LineBatch, type LineReaderResult, readLines } from "./input/line-reader.js";
import type { LogInput } from "./input/log-input.js";
import type { InputReport, Report } from "./report/report.js";
import { PROFILES, type ProfileId } from "./rules/rulebook.js";

export interface AssessOptions {
  /** Expected engine; inputs of the other engine are an error. Default: from the detected formats. */
  engine?: Engine;
  /** Skip detection and read every input as this format. */
  logFormat?: FormatId;
  /** PostgreSQL stderr: log_line_prefix to use instead of the detected one. */
  prefix?: string;
  profile?: ProfileId;
  onProgress?(progress: { bytesRead: number; totalBytes?: number }): void;
  signal?: AbortSignal;
}

/**
 * The assessor's core, shared by the CLI and the HTTP API: reads every input, detects its format, merges the inputs
 * into one timeline, rebuilds the sessions and applies the pinning rulebook.
 */
export async function assess(inputs: readonly LogInput[], options: AssessOptions = {}): Promise<Report> {
  if (inputs.length === 0) throw new InputError("no input: give at least one log file");
  const profile = checkProfile(options.profile);
  const forced = options.logFormat === undefined ? undefined : formatById(options.logFormat);
  const progress = progressReporter(inputs, options.onProgress);

  const cursors: InputCursor[] = [];
  for (const [index, input] of inputs.entries()) {
    cursors.push(await InputCursor.open(input, options, forced, (bytes) => progress(index, bytes)));
  }
  const engine = options.engine ?? cursors[0]!.format.engine;
  for (const cursor of cursors) {
    if (cursor.format.engine !== engine) {
      throw new InputError(
        `this is a ${cursor.format.engine} log (${cursor.format.id}), but the assessment is for ${engine}` +
          (options.engine ? " (--engine)" : ` (from ${cursors[0]!.input.name})`),
        { file: cursor.input.name },
      );
    }
  }

  const analysis = await createAnalysis({ engine, profile });
  await mergeTimelines(cursors, analysis, options.signal);
  return analysis.report(cursors.map((c) => c.inputReport(options.prefix)));
}

/** Feeds the events of all inputs to the analysis in time order (a k-way merge of per-input queues). */
async function mergeTimelines(cursors: InputCursor[], analysis: Analysis, signal?: AbortSignal): Promise<void> {
  await Promise.all(cursors.map((c) => c.fill(signal)));
  const live = cursors.filter((c) => !c.exhausted);
  while (live.length > 0) {
    let next = 0;
    for (let i = 1; i < live.length; i++) {
      if (live[i]!.peekTime() < live[next]!.peekTime()) next = i;
    }
    const cursor = live[next]!;
    analysis.add(cursor.take());
    if (cursor.isEmpty()) {
      await cursor.fill(signal);
      if (cursor.exhausted) live.splice(next, 1);
    }
  }
}

/** One input being read: its line batches, its parser, and the events parsed but not yet merged. */
class InputCursor {
  private queue: LogEvent[] = [];
  private head = 0;
  private finished = false;
  private events = 0;
  private readonly extraProblems: InputReport["problems"] = [];

  private constructor(
    readonly input: LogInput,
    readonly format: LogFormat,
    private readonly detection: FormatDetection,
    private readonly parser: LogParser,
    private readonly batches: AsyncGenerator<LineBatch>,
    private readonly buffered: LineBatch[],
    private readonly readerResult: LineReaderResult,
    private readonly prefixGiven: boolean,
  ) {}

  static async open(
    input: LogInput,
    options: AssessOptions,
    forced: LogFormat | undefined,
    onBytes: (bytes: number) => void,
  ): Promise<InputCursor> {
    const readerResult: LineReaderResult = { compressed: false, bytes: 0 };
    const problems: InputReport["problems"] = [];
    const batches = readLines(
      input,
      { onBytes, onProblem: (reason, line) => problems.push({ line, reason, text: "" }) },
      readerResult,
    );
    const buffered: LineBatch[] = [];
    const sample: string[] = [];
    while (sample.length < DETECTION_LINES) {
      const next = await batches.next();
      if (next.done) break;
      buffered.push(next.value);
      for (const line of next.value.lines) if (sample.length < DETECTION_LINES) sample.push(line);
    }
    const { format, detection } = detectFormat(input.name, sample, { only: forced, engine: options.engine });
    const prefix = format.id === "pg-stderr" ? (options.prefix ?? detection.prefix) : undefined;
    const parser = format.open({ file: input.name, prefix, syslog: detection.syslog });
    const cursor = new InputCursor(
      input,
      format,
      detection,
      parser,
      batches,
      buffered,
      readerResult,
      options.prefix !== undefined,
    );
    cursor.extraProblems.push(...problems);
    return cursor;
  }

  get exhausted(): boolean {
    return this.finished && this.isEmpty();
  }

  isEmpty(): boolean {
    return this.head >= this.queue.length;
  }

  peekTime(): number {
    return this.queue[this.head]!.time;
  }

  take(): LogEvent {
    return this.queue[this.head++]!;
  }

  /** Parses batches until at least one event is queued or the input ends. */
  async fill(signal?: AbortSignal): Promise<void> {
    this.queue = [];
    this.head = 0;
    const push = (event: LogEvent) => {
      this.events++;
      this.queue.push(event);
    };
    while (this.queue.length === 0 && !this.finished) {
      signal?.throwIfAborted();
      const batch = this.buffered.shift() ?? (await this.nextBatch());
      if (!batch) {
        this.parser.end(push);
        this.finished = true;
        break;
      }
      let lineNo = batch.firstLine;
      for (const line of batch.lines) this.parser.line(line, lineNo++, push);
    }
  }

  private async nextBatch(): Promise<LineBatch | undefined> {
    const next = await this.batches.next();
    return next.done ? undefined : next.value;
  }

  inputReport(prefixOption: string | undefined): InputReport {
    const stats = this.parser.stats;
    const prefix = this.format.id === "pg-stderr" ? (prefixOption ?? this.detection.prefix) : undefined;
    return {
      file: this.input.name,
      format: this.format.id,
      ...(prefix === undefined ? {} : { prefix, prefixSource: this.prefixGiven ? "option" : "detected" }),
      ...(this.detection.syslog ? { syslog: true } : {}),
      compressed: this.readerResult.compressed,
      bytes: this.readerResult.bytes,
      linesRead: stats.linesRead,
      linesNotUnderstood: stats.linesNotUnderstood + this.extraProblems.length,
      events: this.events,
      problems: [...stats.problems, ...this.extraProblems],
    };
  }
}

function checkProfile(profile: string | undefined): ProfileId {
  if (profile === undefined) return "rds-proxy";
  if (!(PROFILES as readonly string[]).includes(profile)) {
    throw new InputError(`unknown profile "${profile}"; expected one of ${PROFILES.join(", ")}`, { field: "--profile" });
  }
  return profile as ProfileId;
}

function progressReporter(
  inputs: readonly LogInput[],
  onProgress: AssessOptions["onProgress"],
): (index: number, bytes: number) => void {
  if (!onProgress) return () => {};
  const known = inputs.every((i) => i.size !== undefined);
  const totalBytes = known ? inputs.reduce((sum, i) => sum + (i.size ?? 0), 0) : undefined;
  const read = inputs.map(() => 0);
  return (index, bytes) => {
    read[index] = bytes;
    onProgress({ bytesRead: read.reduce((a, b) => a + b, 0), totalBytes });
  };
}
