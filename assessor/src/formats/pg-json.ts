import type { EmitEvent, FormatDetection, FormatOptions, LogFormat, LogParser, ParserStats } from "./log-format.js";
import { countProblem, emptyStats, knownName, PgEventAssembler, type PgRecord, timestampParser } from "./pg-message.js";
import { SEVERITIES } from "./pg-prefix.js";
import type { PgTimestampParser } from "./pg-time.js";

const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES);

/**
 * The keys of a jsonlog record proxyfit reads (PostgreSQL 15+, "Using JSON-Format Log Output"). Keys whose value
 * would be empty are left out by the server.
 */
interface JsonlogRecord {
  timestamp?: unknown;
  user?: unknown;
  dbname?: unknown;
  pid?: unknown;
  remote_host?: unknown;
  session_id?: unknown;
  error_severity?: unknown;
  state_code?: unknown;
  message?: unknown;
  statement?: unknown;
  application_name?: unknown;
}

function parseJsonlog(line: string): JsonlogRecord | undefined {
  if (line.charCodeAt(0) !== 123 /* { */) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== "object" || value === null) return undefined;
    const record = value as JsonlogRecord;
    if (typeof record.error_severity !== "string" || !SEVERITY_SET.has(record.error_severity)) return undefined;
    if (typeof record.pid !== "number" || typeof record.message !== "string") return undefined;
    return record;
  } catch {
    return undefined;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** PostgreSQL's jsonlog (log_destination = 'jsonlog', PostgreSQL 15 and later): one JSON object per line. */
export const pgJsonFormat: LogFormat = {
  id: "pg-json",
  engine: "postgresql",
  detect(lines: readonly string[]): FormatDetection | null {
    let explained = 0;
    let counted = 0;
    for (const line of lines) {
      if (line === "") continue;
      counted++;
      if (parseJsonlog(line)) explained++;
    }
    return explained === 0 ? null : { format: "pg-json", confidence: explained / counted };
  },
  open(options: FormatOptions): LogParser {
    return new PgJsonParser(options);
  },
};

class PgJsonParser implements LogParser {
  readonly stats: ParserStats = emptyStats();
  private readonly assembler: PgEventAssembler;
  private readonly timestamps: PgTimestampParser;
  private lineNo = 0;

  constructor(options: FormatOptions) {
    this.assembler = new PgEventAssembler(options.file);
    this.timestamps = timestampParser(options, this.stats, () => this.lineNo);
  }

  line(line: string, lineNo: number, emit: EmitEvent): void {
    this.stats.linesRead++;
    if (line === "") return;
    this.lineNo = lineNo;
    const json = parseJsonlog(line);
    if (!json) {
      countProblem(this.stats, lineNo, "not a jsonlog record (a JSON object with pid, error_severity, message)", line);
      return;
    }
    const record: PgRecord = {
      time: this.timestamps.parse(text(json.timestamp) ?? ""),
      pid: json.pid as number,
      user: knownName(text(json.user)),
      database: knownName(text(json.dbname)),
      application: knownName(text(json.application_name)),
      clientAddress: knownName(text(json.remote_host)),
      sessionKey: text(json.session_id),
      severity: json.error_severity as string,
      sqlstate: text(json.state_code),
      message: json.message as string,
      statement: text(json.statement),
      line: lineNo,
    };
    this.assembler.record(record, emit);
  }

  end(emit: EmitEvent): void {
    this.assembler.end(emit);
  }
}
