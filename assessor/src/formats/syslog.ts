/**
 * PostgreSQL logs written through syslog (log_destination = 'syslog'). The server sends each line of a message as a
 * syslog message of its own, numbered "[N-M]" (syslog_sequence_numbers: N counts messages, M the parts of one), and
 * splits lines longer than about 900 bytes into several parts (syslog_split_messages). The syslog daemon prepends
 * its header, e.g. rsyslog's traditional file format:
 *
 *     Nov 24 23:17:44 db1 postgres[1234]: [5-1] 2026-11-24 23:17:44.123 UTC [1234] LOG:  statement: SELECT a
 *     Nov 24 23:17:44 db1 postgres[1234]: [5-2] #011FROM t
 *
 * or RFC 3339 timestamps (RSYSLOG_FileFormat). rsyslog escapes control characters as "#ooo" (the tab that starts a
 * continuation line becomes "#011"). This module strips the wrapper and rebuilds the lines PostgreSQL would have
 * written to stderr, which the stderr format then parses.
 */

const SYSLOG_LINE =
  /^(?:([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)|(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)) \S+ [^\s[:]+(?:\[(\d+)\])?: (?:\[(\d+)-(\d+)\] )?/;

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/** True when most non-empty lines carry a syslog header. */
export function looksLikeSyslog(lines: readonly string[]): boolean {
  let wrapped = 0;
  let total = 0;
  for (const line of lines) {
    if (line === "") continue;
    total++;
    if (SYSLOG_LINE.test(line)) wrapped++;
  }
  return total > 0 && wrapped * 2 > total;
}

/** A line as PostgreSQL wrote it, with where it was in the syslog file and the syslog time. */
export type UnwrappedLine = (text: string, lineNo: number, syslogTime: number) => void;

/** What SyslogUnwrapper.line() made of a line. */
export type SyslogLineStatus = "ok" | "no-header" | "no-pid";

interface OpenMessage {
  /** The message's lines so far; the last may still grow by the parts of a split line. */
  lines: { text: string; lineNo: number }[];
  time: number;
  sequence: string;
}

/**
 * Strips syslog headers and reassembles messages. PostgreSQL sends every line of a report as a part of one numbered
 * message: a part that starts with a tab is a continuation line, a part that starts like a log line (the DETAIL or
 * STATEMENT of the report) is a line of its own, and any other part continues the previous line (it was split for
 * length, at a space that the part keeps). Messages are assembled per pid, because the parts of one process's message
 * may be interleaved with other processes' messages, and a message's lines are passed on together.
 */
export class SyslogUnwrapper {
  /** One message per pid that may still get parts. */
  private readonly open = new Map<string, OpenMessage>();

  /**
   * @param startsLine tells a part that is a log line of its own (prefix and severity) from the rest of a split line.
   * @param year the year of timestamps without one (traditional syslog); default: this year.
   */
  constructor(
    private readonly startsLine: (part: string) => boolean,
    private readonly year = new Date().getUTCFullYear(),
  ) {}

  /**
   * "no-header": not a syslog line. "no-pid": a syslog line without a program[pid] tag, which PostgreSQL always
   * writes (another program's message in a shared syslog file). Either way the caller counts it.
   */
  line(text: string, lineNo: number, out: UnwrappedLine): SyslogLineStatus {
    const header = SYSLOG_LINE.exec(text);
    if (!header) return "no-header";
    const pid = header[7];
    if (pid === undefined) return "no-pid";
    const sequence = header[8];
    const part = header[9];
    let body = text.slice(header[0].length);
    if (body.includes("#")) body = unescapeControlCharacters(body);
    const pending = this.open.get(pid);
    if (pending && part !== undefined && part !== "1" && sequence === pending.sequence) {
      if (body.charCodeAt(0) === 9 /* tab */ || this.startsLine(body)) pending.lines.push({ text: body, lineNo });
      else pending.lines[pending.lines.length - 1]!.text += body;
      return "ok";
    }
    if (pending) this.flush(pending, out);
    const time = this.time(header);
    if (sequence === undefined) {
      // Without sequence numbers parts cannot be joined; each syslog message is a line.
      this.open.delete(pid);
      out(body, lineNo, time);
    } else {
      this.open.set(pid, { lines: [{ text: body, lineNo }], time, sequence });
    }
    return "ok";
  }

  end(out: UnwrappedLine): void {
    for (const pending of this.open.values()) this.flush(pending, out);
    this.open.clear();
  }

  private flush(message: OpenMessage, out: UnwrappedLine): void {
    for (const line of message.lines) out(line.text, line.lineNo, message.time);
  }

  private time(header: RegExpExecArray): number {
    if (header[6]) return Date.parse(header[6]);
    const month = MONTHS[header[1]!];
    if (month === undefined) return Number.NaN;
    return Date.UTC(this.year, month, Number(header[2]), Number(header[3]), Number(header[4]), Number(header[5]));
  }
}

/** rsyslog writes control characters as "#" and three octal digits ("#011" is a tab). */
function unescapeControlCharacters(text: string): string {
  return text.replace(/#([0-3][0-7]{2})/g, (escaped, octal: string) => {
    const code = Number.parseInt(octal, 8);
    return code < 32 || code === 127 ? String.fromCharCode(code) : escaped;
  });
}
