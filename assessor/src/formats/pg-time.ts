/**
 * PostgreSQL log timestamps: %t / %m / %s in stderr prefixes and the time columns of csvlog and jsonlog, written as
 * "YYYY-MM-DD HH:MM:SS[.mmm] ZONE" in log_timezone. ZONE is what the time zone database calls the zone at that
 * moment: an abbreviation (UTC, CET, EDT) or, for zones without one, a numeric offset (+03, -0530, +05:30).
 */

/**
 * Offsets in minutes east of UTC for the abbreviations the time zone database prints for common log_timezone
 * settings. Where an abbreviation is ambiguous the zone most often seen in server logs wins (IST = India, CST = US
 * Central); other zones print numeric offsets, which need no table.
 */
const ZONE_OFFSETS: Readonly<Record<string, number>> = {
  UTC: 0,
  UT: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  IST: 330,
  CET: 60,
  CEST: 120,
  MET: 60,
  MEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  SAST: 120,
  WAT: 60,
  CAT: 120,
  EAT: 180,
  PKT: 300,
  HKT: 480,
  CST: -360,
  CDT: -300,
  EST: -300,
  EDT: -240,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AKST: -540,
  AKDT: -480,
  HST: -600,
  AST: -240,
  ADT: -180,
  NST: -210,
  NDT: -150,
  JST: 540,
  KST: 540,
  PHT: 480,
  WIB: 420,
  AWST: 480,
  ACST: 570,
  ACDT: 630,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
};

const NUMERIC_ZONE = /^([+-])(\d{2}):?(\d{2})?$/;

/** Offset in minutes east of UTC, or undefined when the zone is unknown. An absent zone is UTC. */
export function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone === "") return 0;
  const known = ZONE_OFFSETS[zone];
  if (known !== undefined) return known;
  const numeric = NUMERIC_ZONE.exec(zone);
  if (!numeric) return undefined;
  const minutes = Number(numeric[2]) * 60 + Number(numeric[3] ?? 0);
  return numeric[1] === "-" ? -minutes : minutes;
}

/**
 * Parses PostgreSQL timestamps, remembering the last day and zone seen: consecutive log lines mostly share them, so
 * the calendar arithmetic and the zone lookup run once per day of log, and a line costs reading its digits.
 */
export class PgTimestampParser {
  /** The last date as YYYYMMDD, its zone, and the UTC milliseconds of its midnight in that zone. */
  private lastDate = Number.NaN;
  private lastZone = "";
  private lastMidnightMs = Number.NaN;
  private readonly unknownZones = new Set<string>();

  /**
   * @param fallbackOffsetMinutes used for zone abbreviations not in the table (and reported through onUnknownZone).
   * @param onUnknownZone called once per unknown abbreviation.
   */
  constructor(
    private readonly fallbackOffsetMinutes = 0,
    private readonly onUnknownZone: (zone: string) => void = () => {},
  ) {}

  /** Milliseconds since the epoch, or NaN when the text is not a PostgreSQL timestamp. */
  parse(text: string): number {
    // "YYYY-MM-DD HH:MM:SS" (or with a T) is 19 characters; then optional ".mmm" (or more digits) and optional " ZONE".
    if (text.length < 19 || !hasSeparators(text)) return Number.NaN;
    const date = digitsAt(text, 0, 4) * 10_000 + digitsAt(text, 5, 2) * 100 + digitsAt(text, 8, 2);
    const time = digitsAt(text, 11, 2) * 3_600_000 + digitsAt(text, 14, 2) * 60_000 + digitsAt(text, 17, 2) * 1000;
    if (Number.isNaN(date + time)) return Number.NaN;
    let pos = 19;
    let fraction = 0;
    if (text.charCodeAt(pos) === 46 /* . */) {
      let end = pos + 1;
      while (end < text.length && isDigit(text.charCodeAt(end))) end++;
      fraction = end === pos + 4 ? digitsAt(text, pos + 1, 3) : Number(`0${text.slice(pos, end)}`) * 1000;
      pos = end;
    }
    const zoneAt = text.charCodeAt(pos) === 32 /* space */ ? pos + 1 : text.length;
    if (date !== this.lastDate || !this.sameZone(text, zoneAt)) {
      const zone = text.slice(zoneAt);
      const year = Math.floor(date / 10_000);
      const month = Math.floor(date / 100) % 100;
      // Date.UTC(y, m, d, h, mi, s) is the day's milliseconds plus h, mi and s in milliseconds, overflow included.
      this.lastMidnightMs = Date.UTC(year, month - 1, date % 100) - this.offsetMinutes(zone) * 60_000;
      this.lastDate = date;
      this.lastZone = zone;
    }
    return this.lastMidnightMs + time + fraction;
  }

  private sameZone(text: string, zoneAt: number): boolean {
    const zone = this.lastZone;
    if (text.length - zoneAt !== zone.length) return false;
    for (let i = 0; i < zone.length; i++) if (text.charCodeAt(zoneAt + i) !== zone.charCodeAt(i)) return false;
    return true;
  }

  private offsetMinutes(zone: string): number {
    const offset = zoneOffsetMinutes(zone);
    if (offset !== undefined) return offset;
    if (!this.unknownZones.has(zone)) {
      this.unknownZones.add(zone);
      this.onUnknownZone(zone);
    }
    return this.fallbackOffsetMinutes;
  }
}

/** "-" "-" " " or "T" ":" ":" where "YYYY-MM-DD HH:MM:SS" has them. */
function hasSeparators(text: string): boolean {
  const t = text.charCodeAt(10);
  return (
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(7) === 45 &&
    (t === 32 || t === 84) &&
    text.charCodeAt(13) === 58 &&
    text.charCodeAt(16) === 58
  );
}

/** %n: seconds since the epoch with milliseconds ("1732442400.123"). */
export function parseEpochSeconds(text: string): number {
  return text === "" ? Number.NaN : Number(text) * 1000;
}

/**
 * The `count` decimal digits at `at` as a number, NaN if one is not a digit. For three digits after the point this is
 * what Number("0.ddd") * 1000 gives, for every ddd.
 */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return Number.NaN;
    value = value * 10 + (code - 48);
  }
  return value;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
