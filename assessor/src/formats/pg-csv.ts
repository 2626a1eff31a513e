import type { EmitEvent, FormatDetection, FormatOptions, LogFormat, LogParser, ParserStats } from "./log-format.js";
import { countProblem, emptyStats, knownName, PgEventAssembler, type PgRecord, timestampParser } from "./pg-message.js";
import { SEVERITIES } from "./pg-prefix.js";
import type { PgTimestampParser } from "./pg-time.js";

/**
 * csvlog columns (PostgreSQL documentation, "Using CSV-Format Log Output"). Columns are only ever appended: 9.0-12
 * write 23 (up to application_name), 13 adds backend_type (24), 14 adds leader_pid and query_id (26).
 */
const COLUMN = {
  time: 0,
  user: 1,
  database: 2,
  pid: 3,
  connectionFrom: 4,
  session: 5,
  severity: 11,
  sqlstate: 12,
  message: 13,
  query: 19,
  application: 22,
} as const;
/** 8.4 had no application_name; every later version writes at least 23 columns. */
const MIN_COLUMNS = 22;
/** A quoted field longer than this many lines is not a csvlog record (a stray quote in a file of something else). */
const MAX_RECORD_LINES = 100_000;

const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES);
const RECORD_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/;
/** The start of a record as PostgreSQL writes it: time with milliseconds and zone, then a comma. */
const RECORD_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [^\s,]+,/;

/**
 * Splits CSV records as PostgreSQL writes them: fields quoted with double quotes ("" inside), quoted fields may span
 * lines. Feed physical lines; a complete record's fields come back, undefined while a quoted field is still open.
 */
export class CsvRecordReader {
  private fields: string[] = [];
  private field = "";
  private quoted = false;
  private open = false;
  lines = 0;

  line(text: string): string[] | undefined {
    let pos = 0;
    let fieldStart = true;
    if (this.open) {
      this.field += "\n";
      fieldStart = false;
    } else {
      this.fields = [];
      this.field = "";
      this.quoted = false;
      this.open = true;
      this.lines = 0;
    }
    this.lines++;
    for (;;) {
      if (this.quoted) {
        const quote = text.indexOf('"', pos);
        if (quote < 0) {
          this.field += text.slice(pos);
          return undefined;
        }
        this.field += text.slice(pos, quote);
        if (text.charCodeAt(quote + 1) === 34) {
          this.field += '"';
          pos = quote + 2;
        } else {
          this.quoted = false;
          pos = quote + 1;
        }
        continue;
      }
      if (fieldStart && text.charCodeAt(pos) === 34) {
        this.quoted = true;
        fieldStart = false;
        pos++;
        continue;
      }
      const comma = text.indexOf(",", pos);
      const end = comma < 0 ? text.length : comma;
      this.field += text.slice(pos, end);
      this.fields.push(this.field);
      this.field = "";
      if (comma < 0) {
        this.open = false;
        return this.fields;
      }
      pos = comma + 1;
      fieldStart = true;
    }
  }

  /** A record is open across lines (a quoted field has not been closed yet). */
  get pending(): boolean {
    return this.open;
  }

  reset(): void {
    this.open = false;
  }
}

function isCsvRecord(fields: readonly string[]): boolean {
  return (
    fields.length >= MIN_COLUMNS &&
    RECORD_START.test(fields[COLUMN.time]!) &&
    SEVERITY_SET.has(fields[COLUMN.severity]!) &&
    /^\d+$/.test(fields[COLUMN.pid]!)
  );
}

/** PostgreSQL's csvlog (log_destination = 'csvlog'), any version from 9.0. */
export const pgCsvFormat: LogFormat = {
  id: "pg-csv",
  engine: "postgresql",
  detect(lines: readonly string[]): FormatDetection | null {
    const reader = new CsvRecordReader();
    let explained = 0;
    let counted = 0;
    for (const line of lines) {
      if (line === "" && !reader.pending) continue;
      counted++;
      if (!reader.pending && !RECORD_START.test(line)) continue;
      const fields = reader.line(line);
      if (fields && isCsvRecord(fields)) explained += reader.lines;
    }
    if (reader.pending) explained += reader.lines;
    if (explained === 0) return null;
    return { format: "pg-csv", confidence: Math.min(1, explained / counted) };
  },
  open(options: FormatOptions): LogParser {
    return new PgCsvParser(options);
  },
};

class PgCsvParser implements LogParser {
  readonly stats: ParserStats = emptyStats();
  private readonly reader = new CsvRecordReader();
  private readonly assembler: PgEventAssembler;
  private readonly timestamps: PgTimestampParser;
  private recordLine = 0;
  private recordStartText = "";

  constructor(options: FormatOptions) {
    this.assembler = new PgEventAssembler(options.file);
    this.timestamps = timestampParser(options, this.stats, () => this.recordLine);
  }

  line(text: string, lineNo: number, emit: EmitEvent): void {
    this.stats.linesRead++;
    if (this.reader.pending && RECORD_LINE.test(text)) {
      // A line that is a whole record by itself most likely means the open record was cut off (a truncated or
      // interleaved file), not that a quoted statement contains a log line.
      const fields = new CsvRecordReader().line(text);
      if (fields && isCsvRecord(fields)) {
        this.reader.reset();
        countProblem(this.stats, this.recordLine, "record cut off (quoted field not closed)", this.recordStartText);
      }
    }
    if (!this.reader.pending) {
      if (text === "") return;
      this.recordLine = lineNo;
      this.recordStartText = text;
      if (!RECORD_START.test(text)) {
        countProblem(this.stats, lineNo, "not a csvlog record (does not start with a timestamp)", text);
        return;
      }
    }
    const fields = this.reader.line(text);
    if (fields) {
      this.record(fields, emit);
    } else if (this.reader.lines > MAX_RECORD_LINES) {
      this.reader.reset();
      countProblem(this.stats, this.recordLine, "quoted field never closed", this.recordStartText);
    }
  }

  end(emit: EmitEvent): void {
    if (this.reader.pending) {
      this.reader.reset();
      countProblem(this.stats, this.recordLine, "truncated record at end of input (quoted field not closed)", this.recordStartText);
    }
    this.assembler.end(emit);
  }

  private record(fields: string[], emit: EmitEvent): void {
    if (!isCsvRecord(fields)) {
      countProblem(
        this.stats,
        this.recordLine,
        `not a csvlog record (${fields.length} columns; expected ${MIN_COLUMNS}-26 with a severity in column 12)`,
        this.recordStartText,
      );
      return;
    }
    const from = fields[COLUMN.connectionFrom]!;
    const colon = from.lastIndexOf(":");
    const record: PgRecord = {
      time: this.timestamps.parse(fields[COLUMN.time]!),
      pid: Number(fields[COLUMN.pid]),
      user: knownName(fields[COLUMN.user]),
      database: knownName(fields[COLUMN.database]),
      application: knownName(fields[COLUMN.application]),
      // "host:port", or "[local]" for Unix sockets.
      clientAddress: knownName(colon > 0 && !from.startsWith("[") ? from.slice(0, colon) : from),
      sessionKey: fields[COLUMN.session] || undefined,
      severity: fields[COLUMN.severity]!,
      sqlstate: fields[COLUMN.sqlstate] || undefined,
      message: fields[COLUMN.message]!,
      statement: fields[COLUMN.query] || undefined,
      line: this.recordLine,
    };
    this.assembler.record(record, emit);
  }
}
