import type { Engine, LogEvent } from "../events/log-event.js";

export type FormatId = "pg-stderr" | "pg-csv" | "pg-json" | "mysql-slow" | "mysql-general";

export interface FormatDetection {
  format: FormatId;
  /** 0..1: the share of sampled lines this format explained. The detector picks the highest. */
  confidence: number;
  /** pg-stderr only: the log_line_prefix inferred from the lines (e.g. "%m [%p] %q%u@%d "). */
  prefix?: string;
  /** Lines were wrapped by syslog (the wrapper is stripped before the format sees them). */
  syslog?: boolean;
}

export interface FormatOptions {
  /** Name of the input, used in every SourcePosition and error message. */
  file: string;
  /** pg-stderr: the log_line_prefix to use instead of the detected one. */
  prefix?: string;
  syslog?: boolean;
  /** Time zone offset in minutes for formats whose timestamps carry none (MySQL general log). Default 0 (UTC). */
  utcOffsetMinutes?: number;
}

/** A line the parser could not use: counted and sampled in the report, never fatal. */
export interface LineProblem {
  line: number;
  reason: string;
  /** At most 200 characters of the line. */
  text: string;
}

export interface ParserStats {
  linesRead: number;
  linesNotUnderstood: number;
  /** The first few problems (at most 20), for the report. */
  problems: LineProblem[];
}

export type EmitEvent = (event: LogEvent) => void;

/**
 * A stateful parser for one input file. Lines are fed in order; multi-line records (continuation lines, quoted CSV
 * fields, multi-line MySQL queries) are assembled inside and emitted when complete.
 */
export interface LogParser {
  /** One physical line without its line terminator; lineNo is 1-based. */
  line(text: string, lineNo: number, emit: EmitEvent): void;
  /** End of input: flush what is pending. A truncated last record is emitted if usable, else counted as a problem. */
  end(emit: EmitEvent): void;
  readonly stats: ParserStats;
}

export interface LogFormat {
  readonly id: FormatId;
  readonly engine: Engine;
  /** Looks at the first lines (up to a few hundred) of an input; null when they are not this format. */
  detect(lines: readonly string[]): FormatDetection | null;
  open(options: FormatOptions): LogParser;
}
