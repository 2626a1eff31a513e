import type { EmitEvent, FormatDetection, FormatOptions, LogFormat, LogParser, ParserStats } from "./log-format.js";
import { countProblem, emptyStats, hostOnly, knownName, PgEventAssembler, type PgRecord, timestampParser } from "./pg-message.js";
import { type CompiledPrefix, compilePrefix, inferPrefix, type PrefixField, SEVERITY_MARKER } from "./pg-prefix.js";
import { type PgTimestampParser, parseEpochSeconds } from "./pg-time.js";
import { looksLikeSyslog, SyslogUnwrapper } from "./syslog.js";

/** Lines a parser without a given prefix reads before inferring one (the detector samples as many). */
const INFERENCE_LINES = 400;
/** The prefix and severity must fit in this many characters; longer lines are statements, not prefixes. */
const PREFIX_WINDOW = 4096;

/**
 * PostgreSQL's stderr log (log_destination = 'stderr', with or without the logging collector), with any
 * log_line_prefix: inferred from the lines, or given with --prefix. Also reads syslog-wrapped stderr lines.
 */
export const pgStderrFormat: LogFormat = {
  id: "pg-stderr",
  engine: "postgresql",
  detect(lines: readonly string[]): FormatDetection | null {
    const syslog = looksLikeSyslog(lines);
    const sample = syslog ? unwrapSample(lines) : lines;
    const prefix = inferPrefix(sample);
    if (prefix === undefined) return null;
    const regex = compilePrefix(prefix).regex;
    let matched = 0;
    let counted = 0;
    for (const line of sample) {
      if (line === "") continue;
      counted++;
      if (line.charCodeAt(0) === 9 || regex.test(window(line))) matched++;
    }
    if (matched === 0) return null;
    return { format: "pg-stderr", confidence: matched / counted, prefix, ...(syslog ? { syslog } : {}) };
  },
  open(options: FormatOptions): LogParser {
    return new PgStderrParser(options);
  },
};

/** Before the prefix is known, a syslog part that has a severity marker early on is taken for a log line. */
function hasSeverityMarker(part: string): boolean {
  return SEVERITY_MARKER.test(part.length > 400 ? part.slice(0, 400) : part);
}

function unwrapSample(lines: readonly string[]): string[] {
  const unwrapped: string[] = [];
  const syslog = new SyslogUnwrapper(hasSeverityMarker);
  lines.forEach((line, i) => {
    syslog.line(line, i + 1, (text) => unwrapped.push(text));
  });
  syslog.end((text) => unwrapped.push(text));
  return unwrapped;
}

function window(line: string): string {
  return line.length > PREFIX_WINDOW ? line.slice(0, PREFIX_WINDOW) : line;
}

/** Group numbers of the fields proxyfit reads, from a compiled prefix; 0 when the prefix lacks the escape. */
type FieldGroups = Record<Exclude<PrefixField, "skip">, number>;

function fieldGroups(compiled: CompiledPrefix): FieldGroups {
  const groups: FieldGroups = {
    time: 0,
    epoch: 0,
    pid: 0,
    user: 0,
    database: 0,
    application: 0,
    host: 0,
    remote: 0,
    session: 0,
    sqlstate: 0,
  };
  compiled.fields.forEach((field, i) => {
    if (field !== "skip" && groups[field] === 0) groups[field] = i + 1;
  });
  return groups;
}

class PgStderrParser implements LogParser {
  readonly stats: ParserStats = emptyStats();
  private compiled: CompiledPrefix | undefined;
  private groups: FieldGroups | undefined;
  private severityGroup = 0;
  private timeOpensLine = false;
  /** Lines held until a prefix is inferred (only when none was given). */
  private buffered: { text: string; lineNo: number }[] | undefined;
  private syslog: SyslogUnwrapper | undefined;
  private syslogDecided: boolean;
  private syslogTime = Number.NaN;
  /** The line being parsed, for problems found below the line level (an unknown time zone). */
  private lineNo = 0;
  /** The record whose continuation lines (starting with a tab) may still follow. */
  private current: PgRecord | undefined;
  /** Its continuation lines so far, joined with newlines when it closes. */
  private more: string[] | undefined;
  private readonly assembler: PgEventAssembler;
  private readonly timestamps: PgTimestampParser;

  constructor(options: FormatOptions) {
    this.assembler = new PgEventAssembler(options.file);
    this.timestamps = timestampParser(options, this.stats, () => this.lineNo);
    if (options.prefix !== undefined) this.usePrefix(options.prefix);
    else this.buffered = [];
    this.syslogDecided = options.syslog !== undefined;
    if (options.syslog) this.syslog = this.syslogUnwrapper();
  }

  line(text: string, lineNo: number, emit: EmitEvent): void {
    this.stats.linesRead++;
    if (this.buffered) {
      this.buffered.push({ text, lineNo });
      if (this.buffered.length >= INFERENCE_LINES) this.inferAndReplay(emit);
      return;
    }
    this.physical(text, lineNo, emit);
  }

  end(emit: EmitEvent): void {
    if (this.buffered) this.inferAndReplay(emit);
    this.syslog?.end((text, lineNo, time) => this.unwrapped(text, lineNo, time, emit));
    this.closeRecord(emit);
    this.assembler.end(emit);
  }

  private usePrefix(prefix: string): void {
    this.compiled = compilePrefix(prefix);
    this.groups = fieldGroups(this.compiled);
    // %m or %t first (the usual prefixes): the time is read in the line itself, not in the captured substring.
    this.timeOpensLine = /^%[mt]/.test(prefix);
    this.severityGroup = this.compiled.fields.length + 1;
  }

  private inferAndReplay(emit: EmitEvent): void {
    const lines = this.buffered ?? [];
    this.buffered = undefined;
    const texts = lines.map((l) => l.text);
    this.decideSyslog(texts);
    const prefix = inferPrefix(this.syslog ? unwrapSample(texts) : texts);
    // No line had a severity marker: every line will be counted as not understood, against a prefix that is only
    // the severity.
    this.usePrefix(prefix ?? "");
    for (const line of lines) this.physical(line.text, line.lineNo, emit);
  }

  private decideSyslog(lines: readonly string[]): void {
    if (this.syslogDecided) return;
    this.syslogDecided = true;
    if (looksLikeSyslog(lines)) this.syslog = this.syslogUnwrapper();
  }

  private syslogUnwrapper(): SyslogUnwrapper {
    return new SyslogUnwrapper((part) => (this.compiled ? this.compiled.regex.test(window(part)) : hasSeverityMarker(part)));
  }

  private physical(text: string, lineNo: number, emit: EmitEvent): void {
    if (!this.syslogDecided) this.decideSyslog([text]);
    if (!this.syslog) {
      this.unwrapped(text, lineNo, Number.NaN, emit);
      return;
    }
    const status = this.syslog.line(text, lineNo, (line, no, time) => this.unwrapped(line, no, time, emit));
    if (status === "no-header" && text !== "") countProblem(this.stats, lineNo, "no syslog header", text);
    if (status === "no-pid") countProblem(this.stats, lineNo, "syslog message without [pid]: not from PostgreSQL", text);
  }

  /** One line as PostgreSQL wrote it. */
  private unwrapped(text: string, lineNo: number, syslogTime: number, emit: EmitEvent): void {
    if (text.charCodeAt(0) === 9 /* tab */) {
      if (this.current) {
        this.more ??= [];
        this.more.push(text.slice(1));
      } else {
        countProblem(this.stats, lineNo, "continuation line without a log line before it", text);
      }
      return;
    }
    this.closeRecord(emit);
    if (text === "") return;
    const match = this.compiled!.regex.exec(window(text));
    if (!match) {
      countProblem(this.stats, lineNo, `does not match log_line_prefix "${this.compiled!.prefix}"`, text);
      return;
    }
    this.syslogTime = syslogTime;
    this.lineNo = lineNo;
    this.current = this.toRecord(match, text, lineNo);
  }

  private toRecord(match: RegExpExecArray, text: string, lineNo: number): PgRecord {
    const g = this.groups!;
    let time = Number.NaN;
    if (this.timeOpensLine) time = this.timestamps.parse(text, 0, match[g.time]!.length);
    else if (g.time) time = this.timestamps.parse(match[g.time] ?? "");
    else if (g.epoch) time = parseEpochSeconds(match[g.epoch] ?? "");
    if (Number.isNaN(time)) time = this.syslogTime;
    const session = g.session ? match[g.session] || undefined : undefined;
    let pid = g.pid ? Number(match[g.pid]) : Number.NaN;
    // %c ends with the pid in hex.
    if (Number.isNaN(pid) && session) pid = Number.parseInt(session.slice(session.indexOf(".") + 1), 16);
    return {
      time,
      pid,
      user: g.user ? knownName(match[g.user]?.trim()) : undefined,
      database: g.database ? knownName(match[g.database]?.trim()) : undefined,
      application: g.application ? knownName(match[g.application]?.trim()) : undefined,
      clientAddress: g.host ? knownName(match[g.host]) : g.remote ? hostOnly(match[g.remote]) : undefined,
      sessionKey: session,
      severity: match[this.severityGroup]!,
      sqlstate: g.sqlstate ? match[g.sqlstate] || undefined : undefined,
      message: text.slice(match[0].length),
      statement: undefined,
      line: lineNo,
    };
  }

  private closeRecord(emit: EmitEvent): void {
    const record = this.current;
    if (!record) return;
    this.current = undefined;
    if (this.more) {
      record.message += `\n${this.more.join("\n")}`;
      this.more = undefined;
    }
    this.assembler.record(record, emit);
  }
}
