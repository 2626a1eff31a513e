import { describe, expect, it } from "vitest";
import { PgTimestampParser, zoneOffsetMinutes } from "../../src/formats/pg-time.js";

/** The calendar arithmetic without any caching, as a reference. */
function reference(text: string, fallbackOffset: number): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d*)?(?: (.*))?$/.exec(text);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const offset = zoneOffsetMinutes(zone ?? "") ?? fallbackOffset;
  const second = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offset * 60_000;
  return second + (fraction ? Number(`0${fraction}`) * 1000 : 0);
}

describe("PgTimestampParser's cached day and zone", () => {
  it("give what the full computation gives, line after line, across seconds, days, months, years and zones", () => {
    const parser = new PgTimestampParser(60);
    const texts: string[] = [];
    const zones = ["UTC", "CET", "+03", "-05:30", "XYZT"];
    let ms = Date.UTC(2026, 11, 31, 22, 59, 58);
    for (let i = 0; i < 5000; i++) {
      ms += (i * 7919) % 2500;
      const iso = new Date(ms).toISOString();
      const zone = zones[Math.floor(i / 700) % zones.length]!;
      const separator = i % 97 === 0 ? "T" : " ";
      const fraction = i % 3 === 0 ? iso.slice(19, 23) : i % 3 === 1 ? `${iso.slice(19, 23)}456` : "";
      texts.push(`${iso.slice(0, 10)}${separator}${iso.slice(11, 19)}${fraction} ${zone}`);
    }
    // Hours, minutes and seconds past their range overflow into the next day as Date.UTC has them.
    texts.push("2026-02-28 25:61:61.500 UTC", "2026-02-28 23:00:00 UTC", "2026-13-01 00:00:00 UTC");
    const inLines = new PgTimestampParser(60);
    for (const text of texts) {
      expect(parser.parse(text)).toBe(reference(text, 60));
      // Read in place at the start of a line, as the stderr format does for %m and %t prefixes.
      expect(inLines.parse(`${text} [4711] app@shop LOG:  statement: SELECT 1`, 0, text.length)).toBe(reference(text, 60));
    }
  });

  it("reject damaged text without disturbing the next line", () => {
    const parser = new PgTimestampParser();
    expect(parser.parse("2026-11-24 10:00:00.250 UTC")).toBe(Date.UTC(2026, 10, 24, 10, 0, 0, 250));
    for (const bad of ["2026-11-24 1x:00:00 UTC", "2026/11/24 10:00:00", "2026-11-24 10:00", "2026-11-2410:00:00 UTC"]) {
      expect(parser.parse(bad)).toBeNaN();
    }
    expect(parser.parse("2026-11-24 10:00:01.500 UTC")).toBe(Date.UTC(2026, 10, 24, 10, 0, 1, 500));
  });
});
