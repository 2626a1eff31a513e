/**
 * Times as ISO 8601 text, exactly as Date.prototype.toISOString writes them. The sessions of a log start and end
 * within the same few seconds, so the text up to the second is kept and only the milliseconds are written anew.
 */
export class IsoTimes {
  private second = Number.NaN;
  /** "2026-11-24T23:37:56." for `second`. */
  private upToMillis = "";

  format(ms: number): string {
    // A Date drops the fraction of a millisecond the same way.
    const whole = Math.trunc(ms);
    const second = Math.floor(whole / 1000);
    if (second !== this.second) {
      const text = new Date(whole).toISOString();
      this.second = second;
      this.upToMillis = text.slice(0, -4);
      return text;
    }
    const millis = whole - second * 1000;
    // join() builds one flat string; + would leave a chain of rope nodes that sessions keep until the report is out.
    return [this.upToMillis, millis < 10 ? "00" : millis < 100 ? "0" : "", millis, "Z"].join("");
  }
}
