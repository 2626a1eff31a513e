import type { LogEvent } from "../events/log-event.js";

/**
 * Line shapes shared by the MySQL/MariaDB general and slow query logs. Each parser also knows the other's record
 * heads, so a general log and a slow log concatenated into one file are counted as not understood instead of being
 * glued onto the previous statement as continuation lines.
 */

/**
 * A general log record head: timestamp, thread id, command name, a tab, then the argument.
 * - MySQL 5.7+: `2026-11-24T10:00:00.123456Z\t   12 Query\tSELECT 1` (ISO 8601, every line).
 * - MariaDB, MySQL 5.6 and older: `261124 10:00:00\t    12 Query\tSELECT 1`, the timestamp only on the first record
 *   of each second; the others start with two tabs: `\t\t    12 Query\tSELECT 1`.
 * Groups: 1 ISO timestamp, 2 YYMMDD timestamp, 3 thread id, 4 command. The argument starts after the match.
 */
export const GENERAL_RECORD_HEAD =
  /^(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)\s+|(\d{6} +\d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})?)\s+|\t\t\s*)(\d+) ([A-Za-z][A-Za-z_]*(?: [A-Za-z_]+)*)(?:\t|$)/;

/** A line that starts like a general log timestamp, for telling a damaged record head from a continuation line. */
export const GENERAL_TIMESTAMP_START = /^(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}|\d{6} +\d{1,2}:\d{2}:\d{2})/;

/** The slow log's record heads: `# Time:` (every record in MySQL 5.7+, once per second in MariaDB) and `# User@Host:`. */
export function isSlowRecordHead(line: string): boolean {
  return line.startsWith("# Time: ") || line.startsWith("# User@Host: ");
}

/**
 * The three lines both logs get each time the server starts (or the log is flushed or reopened):
 *   /usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:
 *   Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock      (Windows: "TCP Port: 3306, Named Pipe: MySQL")
 *   Time                 Id Command    Argument
 * "start" is the first of them: from there on thread ids belong to a new server run.
 */
export function serverHeaderLine(line: string): "start" | "other" | undefined {
  if (line.endsWith(" started with:") && line.includes(", Version: ")) return "start";
  if (line.startsWith("Tcp port: ") || line.startsWith("TCP Port: ")) return "other";
  if (line.startsWith("Time") && COLUMN_TITLES.test(line)) return "other";
  return undefined;
}

const COLUMN_TITLES = /^Time\s+Id\s+Command\s+Argument$/;

/**
 * What a protocol command means for sessions, for the commands both logs name: the general log in its command column,
 * the slow log as `# administrator command: Name;`. Binary-protocol prepare and execute carry the statement text when
 * the log gives one (the general log does; its Execute line shows the parameters already substituted). Commands not
 * listed here say nothing about sessions or pinning: kind "other", with the command as the message.
 */
export function commandEvent(
  command: string,
  argument: string,
): Pick<LogEvent, "kind" | "statement" | "protocol" | "message"> {
  switch (command) {
    case "Prepare":
    case "Execute":
      return {
        kind: command === "Prepare" ? "prepare" : "execute",
        ...(argument === "" ? {} : { statement: argument }),
        protocol: "extended",
      };
    case "Close stmt":
      return { kind: "close_statement", protocol: "extended" };
    case "Quit":
      return { kind: "disconnection" };
    default:
      return { kind: "other", message: argument === "" ? command : `${command}: ${argument}` };
  }
}
