import { describe, expect, it } from "vitest";
import { IsoTimes } from "../../src/sessions/iso-time.js";

describe("IsoTimes", () => {
  it("writes what Date.prototype.toISOString writes, within a second and across seconds", () => {
    const times = new IsoTimes();
    const start = Date.UTC(2026, 10, 24, 23, 59, 58);
    for (let i = 0; i < 5000; i++) {
      const ms = start + i * 0.37;
      expect(times.format(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("matches toISOString before 1970, for fractions of a millisecond and for far years", () => {
    const times = new IsoTimes();
    for (const ms of [-1, -999.5, -1000, 0, 0.9, 0.9, 253402300799999, 253402300800000, -62198755200001]) {
      expect(times.format(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("refuses an invalid time as Date does", () => {
    expect(() => new IsoTimes().format(Number.NaN)).toThrow(RangeError);
  });
});
