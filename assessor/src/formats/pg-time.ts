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
 * Parses PostgreSQL timestamps, remembering the last second seen: consecutive log lines mostly share it, so the
 * calendar arithmetic runs once per second of log, not once per line.
 */
export class PgTimestampParser {
  private lastSecondText = "";
  private lastZone = "";
  private lastSecondMs = Number.NaN;
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
    // "YYYY-MM-DD HH:MM:SS" is 19 characters; then optional ".mmm" (or more digits) and optional " ZONE".
    if (text.length < 19) return Number.NaN;
    let pos = 19;
    let fraction = 0;
    if (text.charCodeAt(pos) === 46 /* . */) {
      let end = pos + 1;
      while (end < text.length && isDigit(text.charCodeAt(end))) end++;
      fraction = end === pos + 4 ? milliseconds(text, pos + 1) : Number(`0${text.slice(pos, end)}`) * 1000;
      pos = end;
    }
    const zoneAt = text.charCodeAt(pos) === 32 /* space */ ? pos + 1 : text.length;
    // Compared in place: most lines repeat the previous line's second and zone, and need no substrings.
    if (!this.sameSecond(text, zoneAt)) {
      const secondText = text.slice(0, 19);
      const zone = text.slice(zoneAt);
      const seconds = this.parseSecond(secondText, zone);
      if (Number.isNaN(seconds)) return Number.NaN;
      this.lastSecondText = secondText;
      this.lastZone = zone;
      this.lastSecondMs = seconds;
    }
    return this.lastSecondMs + fraction;
  }

  /** Character by character, seconds first (they change most often): cheaper than startsWith on such short text. */
  private sameSecond(text: string, zoneAt: number): boolean {
    if (Number.isNaN(this.lastSecondMs)) return false;
    const second = this.lastSecondText;
    for (let i = 18; i >= 0; i--) if (text.charCodeAt(i) !== second.charCodeAt(i)) return false;
    const zone = this.lastZone;
    if (text.length - zoneAt !== zone.length) return false;
    for (let i = 0; i < zone.length; i++) if (text.charCodeAt(zoneAt + i) !== zone.charCodeAt(i)) return false;
    return true;
  }

  private parseSecond(text: string, zone: string): number {
    const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text);
    if (!match) return Number.NaN;
    let offset = zoneOffsetMinutes(zone);
    if (offset === undefined) {
      offset = this.fallbackOffsetMinutes;
      if (!this.unknownZones.has(zone)) {
        this.unknownZones.add(zone);
        this.onUnknownZone(zone);
      }
    }
    const utc = Date.UTC(
      Number(match[1]),
      Number(match[2]) - 1,
      Number(match[3]),
      Number(match[4]),
      Number(match[5]),
      Number(match[6]),
    );
    return utc - offset * 60_000;
  }
}

/** %n: seconds since the epoch with milliseconds ("1732442400.123"). */
export function parseEpochSeconds(text: string): number {
  return text === "" ? Number.NaN : Number(text) * 1000;
}

/** Three digits at `at` as a number: what Number("0.ddd") * 1000 gives for every ddd, without the string. */
function milliseconds(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 100 + (text.charCodeAt(at + 1) - 48) * 10 + (text.charCodeAt(at + 2) - 48);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
