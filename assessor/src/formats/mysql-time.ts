/**
 * The two timestamp layouts of MySQL and MariaDB query logs:
 * - ISO 8601 with microseconds (MySQL 5.7+): `2026-11-24T10:00:00.123456Z`, or `+01:00` with log_timestamps=SYSTEM;
 * - `YYMMDD H:MM:SS` (MariaDB, MySQL 5.6 and older; Percona adds `.ffffff`), with the hour blank-padded and no zone:
 *   server local time.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;
const SHORT = /^(\d{2})(\d{2})(\d{2}) +(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/**
 * Parses log timestamps into epoch milliseconds (fractional below the millisecond). Consecutive lines mostly share
 * their second, so the calendar arithmetic runs once per second of log, not once per line.
 */
export class MysqlTimestampParser {
  private lastSecondKey = "";
  private lastSecondMs = Number.NaN;

  /** @param utcOffsetMinutes zone of timestamps that carry none (server local time), minutes east of UTC. */
  constructor(private readonly utcOffsetMinutes = 0) {}

  /** NaN when the text is neither layout. */
  parse(text: string): number {
    const iso = ISO.exec(text);
    if (iso) return this.compose(iso, 0, iso[8]);
    const short = SHORT.exec(text);
    if (short) return this.compose(short, Number(short[1]) < 70 ? 2000 : 1900, undefined);
    return Number.NaN;
  }

  private compose(match: RegExpExecArray, century: number, zone: string | undefined): number {
    const key = `${match[1]}${match[2]}${match[3]}${match[4]}${match[5]}${match[6]}${zone ?? ""}`;
    if (key !== this.lastSecondKey) {
      const utc = Date.UTC(
        century + Number(match[1]),
        Number(match[2]) - 1,
        Number(match[3]),
        Number(match[4]),
        Number(match[5]),
        Number(match[6]),
      );
      const offset = zone === undefined ? this.utcOffsetMinutes : zoneMinutes(zone);
      this.lastSecondKey = key;
      this.lastSecondMs = utc - offset * 60_000;
    }
    const fraction = match[7];
    return fraction === undefined ? this.lastSecondMs : this.lastSecondMs + Number(`0.${fraction}`) * 1000;
  }
}

function zoneMinutes(zone: string): number {
  if (zone === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}
