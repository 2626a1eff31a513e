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

  /**
   * Milliseconds since the epoch, or NaN when text[start, end) is not a PostgreSQL timestamp. A timestamp that opens
   * a log line can be read in the line itself, which is quicker than in a substring of it.
   */
  parse(text: string, start = 0, end = text.length): number {
    // "YYYY-MM-DD HH:MM:SS" (or with a T) is 19 characters; then optional ".mmm" (or more digits) and optional " ZONE".
    if (end - start < 19 || !hasSeparators(text, start)) return Number.NaN;
    const date = (twoDigits(text, start) * 100 + twoDigits(text, start + 2)) * 10_000 + twoDigits(text, start + 5) * 100;
    const day = date + twoDigits(text, start + 8);
    const time =
      twoDigits(text, start + 11) * 3_600_000 + twoDigits(text, start + 14) * 60_000 + twoDigits(text, start + 17) * 1000;
    if (Number.isNaN(day + time)) return Number.NaN;
    let pos = start + 19;
    let fraction = 0;
    if (pos < end && text.charCodeAt(pos) === 46 /* . */) {
      let digitsEnd = pos + 1;
      while (digitsEnd < end && isDigit(text.charCodeAt(digitsEnd))) digitsEnd++;
      // Three digits (%m) as an integer: what Number("0.ddd") * 1000 gives for every ddd.
      fraction =
        digitsEnd === pos + 4
          ? twoDigits(text, pos + 1) * 10 + (text.charCodeAt(pos + 3) - 48)
          : Number(`0${text.slice(pos, digitsEnd)}`) * 1000;
      pos = digitsEnd;
    }
    const zoneAt = pos < end && text.charCodeAt(pos) === 32 /* space */ ? pos + 1 : end;
    if (day !== this.lastDate || !this.sameZone(text, zoneAt, end)) {
      const zone = text.slice(zoneAt, end);
      const year = Math.floor(day / 10_000);
      const month = Math.floor(day / 100) % 100;
      // Date.UTC(y, m, d, h, mi, s) is the day's milliseconds plus h, mi and s in milliseconds, overflow included.
      this.lastMidnightMs = Date.UTC(year, month - 1, day % 100) - this.offsetMinutes(zone) * 60_000;
      this.lastDate = day;
      this.lastZone = zone;
    }
    return this.lastMidnightMs + time + fraction;
  }

  private sameZone(text: string, zoneAt: number, end: number): boolean {
    const zone = this.lastZone;
    if (end - zoneAt !== zone.length) return false;
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

/** "-" "-" " " or "T" ":" ":" where "YYYY-MM-DD HH:MM:SS" starting at `at` has them. */
function hasSeparators(text: string, at: number): boolean {
  const t = text.charCodeAt(at + 10);
  return (
    text.charCodeAt(at + 4) === 45 &&
    text.charCodeAt(at + 7) === 45 &&
    (t === 32 || t === 84) &&
    text.charCodeAt(at + 13) === 58 &&
    text.charCodeAt(at + 16) === 58
  );
}

/** %n: seconds since the epoch with milliseconds ("1732442400.123"). */
export function parseEpochSeconds(text: string): number {
  return text === "" ? Number.NaN : Number(text) * 1000;
}

/** The two decimal digits at `at` as a number, NaN if either is not a digit. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : Number.NaN;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
