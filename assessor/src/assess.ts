import { type Analysis, createAnalysis } from "./analysis/analysis.js";
import { ENGINE_TITLES, type Engine, type LogEvent } from "./events/log-event.js";
import { bestFormat, DETECTION_LINES, detectFormat, formatById, LOG_FORMATS } from "./formats/index.js";
import type { EmitEvent, FormatDetection, FormatId, LogFormat, LogParser } from "./formats/log-format.js";
import { MysqlLogReconciler } from "./formats/mysql-merge.js";
import { InputError } from "./input/input-error.js";
import { type LineBatch, type LineReaderEvents, type LineReaderResult, readLines } from "./input/line-reader.js";
import type { LogInput } from "./input/log-input.js";
import { analyzeConfigs, CONFIG_FAMILIES } from "./configs/index.js";
import { CoverageObserver } from "./coverage/input-coverage.js";
import { BuiltInPriceSource } from "./pricing/built-in-prices.js";
import { compareCosts, NOT_PRICED } from "./pricing/compare-costs.js";
import type { PriceSource } from "./pricing/price-source.js";
import type { Recommendation } from "./recommendation/recommendation.js";
import { recommend } from "./recommendation/recommend.js";
import type { InputReport, Report } from "./report/report.js";
import { PROFILES, type ProfileId } from "./rules/rulebook.js";
import { maxConnectionsEstimate, serverlessV2MaxConnections } from "./targets/index.js";

export interface AssessOptions {
  /** Expected engine; inputs of the other engine are an error. Default: from the detected formats. */
  engine?: Engine;
  /** Skip detection and read every input as this format. */
  logFormat?: FormatId;
  /** PostgreSQL stderr: log_line_prefix to use instead of the detected one. */
  prefix?: string;
  /**
   * Offset from UTC, in minutes, of log timestamps that carry no zone (MariaDB/MySQL 5.x general and slow logs) or an
   * abbreviation proxyfit does not know. Default 0.
   */
  utcOffsetMinutes?: number;
  profile?: ProfileId;
  /** Driver / ORM configuration files to check (--config). */
  configs?: Array<{ name: string; text: string }>;
  /** The target today: its class gives vCPUs (cost) and the default max_connections. */
  instanceClass?: string;
  engineVersion?: string;
  /** AWS region for prices (default us-east-1). */
  region?: string;
  /** The target's max_connections; default: RDS's formula for the instance class. */
  maxConnections?: number;
  aurora?: boolean;
  /** Aurora Serverless v2 target: its maximum ACUs. */
  serverlessV2Acu?: number;
  /** RDS Proxy's max_connections_percent for the replay (default 100: what the proxy may open at most). */
  maxConnectionsPercent?: number;
  /** Prices from the AWS Price List API instead of the built-in table; an object to point it at an endpoint. */
  livePricing?: boolean | { endpoint?: string };
  /**
   * Bytes of log text (after gzip decompression) the assessment may read, all inputs together: past it, an InputError
   * with `limitBytes`. Default: no limit (the API sets one).
   */
  maxLogBytes?: number;
  onProgress?(progress: { bytesRead: number; totalBytes?: number }): void;
  signal?: AbortSignal;
}

export const DEFAULT_REGION = "us-east-1";
/** The proxy's idle_client_timeout when none is given: RDS Proxy's default. */
const IDLE_CLIENT_TIMEOUT_S = 1800;
/** The largest time a Date holds (±100,000,000 days from the epoch). */
const MAX_TIME_MS = 8.64e15;

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
  const countText = textBudget(options.maxLogBytes);
  for (const [index, input] of inputs.entries()) {
    cursors.push(
      await InputCursor.open(input, options, forced, {
        onBytes: (bytes) => progress(index, bytes),
        onText: (bytes) => countText(bytes, input.name),
      }),
    );
  }
  const engine = options.engine ?? cursors[0]!.format.engine;
  for (const cursor of cursors) {
    if (cursor.format.engine !== engine) {
      throw new InputError(
        `this is a ${ENGINE_TITLES[cursor.format.engine]} log (${cursor.format.id}), but the assessment is for ${ENGINE_TITLES[engine]}` +
          (options.engine ? " (--engine)" : ` (from ${cursors[0]!.input.name})`),
        { file: cursor.input.name },
      );
    }
  }

  // Configs first: a file no family recognises ends the assessment before the logs are read.
  const configs = await analyzeConfigs(options.configs ?? [], {
    engine,
    profile,
    idleClientTimeoutSeconds: IDLE_CLIENT_TIMEOUT_S,
  });
  if (configs.problems.length > 0) {
    const problem = configs.problems[0]!;
    throw new InputError(problem.message, { file: problem.file, line: problem.line });
  }
  const target = targetOf(engine, options);
  const analysis = await createAnalysis({
    engine,
    profile,
    replay: { maxConnections: target.max_connections, maxConnectionsPercent: options.maxConnectionsPercent ?? 100 },
  });
  await mergeTimelines(cursors, analysis, options.signal);
  if (forced) for (const cursor of cursors) cursor.refuseIfMostlyNotUnderstood();
  const report = analysis.report(cursors.map((c) => c.inputReport(options.prefix)));

  // Absent when no configuration was given, so a report tells "none given" from "nothing found".
  if (options.configs && options.configs.length > 0) {
    report.configFiles = configs.recognised.map(({ file, families }) => ({
      file,
      recognisedAs: families.map((id) => CONFIG_FAMILIES.find((family) => family.id === id)?.title ?? id),
      findings: configs.findings.filter((finding) => finding.file === file).length,
    }));
    report.configFindings = configs.findings;
  }
  report.costs = await compareCosts(
    {
      engine,
      region: target.region ?? DEFAULT_REGION,
      instanceClass: target.instance_class,
      aurora: target.aurora,
      ...(options.serverlessV2Acu === undefined ? {} : { serverlessV2: { maxAcu: options.serverlessV2Acu } }),
      maxConnections: target.max_connections,
      peakClientConnections: report.replay?.peaks.clientConnections ?? 0,
      peakConcurrentSessions: report.replay?.baseline.peakConcurrentSessions ?? 0,
    },
    await priceSource(options.livePricing),
  );
  if (options.livePricing && report.costs.options.length === 0) {
    // Every option failed to price: a cost section of notes alone, "as of now", would pass for an answer.
    const failed = report.costs.notes.find((note) => note.includes(NOT_PRICED));
    const reason = failed ? failed.slice(failed.indexOf(NOT_PRICED) + NOT_PRICED.length) : report.costs.notes.join("; ");
    throw new InputError(`nothing could be priced: ${reason}`, { field: "--live-pricing" });
  }
  report.recommendation = recommend({
    report,
    engine,
    target,
    repeatedSettings: analysis.repeatedSettings(),
    configFindings: configs.findings,
    costs: report.costs,
  });
  return report;
}

/** What the options say of the target; max_connections derived from the instance class when not given. */
function targetOf(engine: Engine, options: AssessOptions): Recommendation["target"] {
  let maxConnections = options.maxConnections;
  if (maxConnections !== undefined && !(Number.isInteger(maxConnections) && maxConnections > 0)) {
    throw new InputError(`must be a whole number above 0, not ${maxConnections}`, { field: "--max-connections" });
  }
  try {
    if (maxConnections === undefined && options.serverlessV2Acu !== undefined) {
      maxConnections = serverlessV2MaxConnections(engine, options.serverlessV2Acu).maxConnections;
    } else if (maxConnections === undefined && options.instanceClass !== undefined) {
      maxConnections = maxConnectionsEstimate(engine, options.instanceClass, { aurora: options.aurora }).maxConnections;
    }
  } catch (error) {
    const field = options.serverlessV2Acu !== undefined ? "--serverless-v2-acu" : "--instance-class";
    throw new InputError((error as Error).message, { field });
  }
  return {
    ...(options.instanceClass === undefined ? {} : { instance_class: options.instanceClass }),
    ...(options.engineVersion === undefined ? {} : { engine_version: options.engineVersion }),
    aurora: options.aurora ?? options.serverlessV2Acu !== undefined,
    ...(options.serverlessV2Acu === undefined ? {} : { serverless_v2_max_acu: options.serverlessV2Acu }),
    region: options.region ?? DEFAULT_REGION,
    ...(maxConnections === undefined ? {} : { max_connections: maxConnections }),
  };
}

async function priceSource(live: AssessOptions["livePricing"]): Promise<PriceSource> {
  if (!live) return new BuiltInPriceSource();
  // The AWS SDK takes longer to load than a small log takes to read: loaded only when asked for.
  const { PriceListApiSource } = await import("./pricing/price-list-api.js");
  return new PriceListApiSource(typeof live === "object" && live.endpoint ? { endpoint: live.endpoint } : {});
}

/**
 * Feeds the events of all inputs to the analysis in time order (a k-way merge of per-input queues). A MySQL general
 * log and slow log of the same server are reconciled, so a statement both show counts once.
 */
async function mergeTimelines(cursors: InputCursor[], analysis: Analysis, signal?: AbortSignal): Promise<void> {
  const add: EmitEvent = (event) => analysis.add(event);
  const formats = new Set(cursors.map((c) => c.format.id));
  const reconciler =
    formats.has("mysql-general") && formats.has("mysql-slow") ? new MysqlLogReconciler() : undefined;
  const merged = (cursor: InputCursor): EmitEvent =>
    reconciler ? (event) => reconciler.push(event, cursor.format.id, add) : add;
  await Promise.all(cursors.map((c) => c.fill(signal)));
  const live = cursors.filter((c) => !c.exhausted);
  while (live.length > 1) {
    let next = 0;
    for (let i = 1; i < live.length; i++) {
      if (live[i]!.peekTime() < live[next]!.peekTime()) next = i;
    }
    const cursor = live[next]!;
    merged(cursor)(cursor.take());
    if (cursor.isEmpty()) {
      await cursor.fill(signal);
      if (cursor.exhausted) live.splice(next, 1);
    }
  }
  // The last input left (the only one, usually) needs no merging: its events go straight from parser to analysis.
  if (live.length === 1) await live[0]!.drainTo(merged(live[0]!), signal);
  reconciler?.end(add);
}

/** One input being read: its line batches, its parser, and the events parsed but not yet merged. */
class InputCursor {
  private queue: LogEvent[] = [];
  private head = 0;
  private finished = false;
  private events = 0;
  private readonly extraProblems: InputReport["problems"] = [];
  private readonly coverage: CoverageObserver;
  /** Bytes of text read (after decompression), for the coverage's bytes per statement. */
  private readonly text: { bytes: number };

  private constructor(
    readonly input: LogInput,
    readonly format: LogFormat,
    private readonly detection: FormatDetection,
    private readonly parser: LogParser,
    private readonly batches: AsyncGenerator<LineBatch>,
    private readonly buffered: LineBatch[],
    private readonly readerResult: LineReaderResult,
    private readonly prefixGiven: boolean,
    text: { bytes: number },
    private readonly sample: readonly string[],
  ) {
    this.coverage = new CoverageObserver(format.id);
    this.text = text;
  }

  static async open(
    input: LogInput,
    options: AssessOptions,
    forced: LogFormat | undefined,
    reading: Pick<LineReaderEvents, "onBytes" | "onText">,
  ): Promise<InputCursor> {
    const readerResult: LineReaderResult = { compressed: false, bytes: 0 };
    const problems: InputReport["problems"] = [];
    const text = { bytes: 0 };
    const batches = readLines(
      input,
      {
        ...reading,
        onText: (bytes) => {
          text.bytes += bytes;
          reading.onText?.(bytes);
        },
        onProblem: (reason, line) => problems.push({ line, reason, text: "" }),
      },
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
    const parser = format.open({
      file: input.name,
      prefix,
      syslog: detection.syslog,
      utcOffsetMinutes: options.utcOffsetMinutes,
    });
    const cursor = new InputCursor(
      input,
      format,
      detection,
      parser,
      batches,
      buffered,
      readerResult,
      options.prefix !== undefined,
      text,
      sample,
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
    while (this.queue.length === 0 && !this.finished) await this.parseBatch(this.enqueue, signal);
  }

  /** Hands every event left, queued or not yet parsed, to `emit` as it is parsed. */
  async drainTo(emit: EmitEvent, signal?: AbortSignal): Promise<void> {
    while (!this.isEmpty()) emit(this.take());
    const counted: EmitEvent = (event) => {
      this.accept(event);
      emit(event);
    };
    while (!this.finished) await this.parseBatch(counted, signal);
  }

  private readonly enqueue: EmitEvent = (event) => {
    this.accept(event);
    this.queue.push(event);
  };

  /** Counts an event; one whose time could not be read ends the assessment, naming its line (never NaN downstream). */
  private accept(event: LogEvent): void {
    if (!(Math.abs(event.time) <= MAX_TIME_MS)) {
      throw new InputError(
        this.format.id === "pg-stderr"
          ? "no time could be read from this line (its log_line_prefix has no %m, %t or %n?); give the server's log_line_prefix with --prefix"
          : "no time could be read from this line",
        { file: this.input.name, line: event.source.line },
      );
    }
    this.events++;
    this.coverage.add(event);
  }

  private async parseBatch(emit: EmitEvent, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const batch = this.buffered.shift() ?? (await this.nextBatch());
    if (!batch) {
      this.parser.end(emit);
      this.finished = true;
      return;
    }
    const { lines, firstLine } = batch;
    for (let i = 0; i < lines.length; i++) this.parser.line(lines[i]!, firstLine + i, emit);
  }

  private async nextBatch(): Promise<LineBatch | undefined> {
    const next = await this.batches.next();
    return next.done ? undefined : next.value;
  }

  /**
   * A format forced with --log-format that understood less than half of the lines: the file is refused, with what it
   * looks like, rather than assessed as a few sessions among thousands of lines not understood.
   */
  refuseIfMostlyNotUnderstood(): void {
    const { linesRead, linesNotUnderstood } = this.inputReport(undefined);
    if (linesNotUnderstood * 2 <= linesRead) return;
    const looks = bestFormat(LOG_FORMATS, this.sample);
    const hint = !looks
      ? "detection does not recognise it as any format either"
      : looks.format.id === this.format.id
        ? `detection agrees it is ${looks.format.id}, so most of the file is something else`
        : `it looks like ${looks.format.id}: drop --log-format, or give --log-format ${looks.format.id}`;
    throw new InputError(
      `read as ${this.format.id} (--log-format), ${linesNotUnderstood.toLocaleString("en-US")} of ${linesRead.toLocaleString("en-US")} lines are not understood; ${hint}`,
      { file: this.input.name },
    );
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
      coverage: this.coverage.report(this.text.bytes, stats.linesRead),
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

/** Counts the text read from all inputs against `maxLogBytes`; throws as soon as it is passed. */
function textBudget(limitBytes: number | undefined): (bytes: number, file: string) => void {
  let read = 0;
  return (bytes, file) => {
    read += bytes;
    if (limitBytes !== undefined && read > limitBytes) {
      throw new InputError(`the logs hold more than ${limitBytes} bytes of text (decompressed), the server's limit`, {
        file,
        limitBytes,
      });
    }
  };
}
