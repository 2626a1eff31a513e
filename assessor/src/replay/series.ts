/**
 * Above this many runs a series halves its resolution. Runs only accumulate where levels change, so this is reached
 * only by logs far longer (in seconds) than the report's series, whose points are wider than two seconds anyway.
 */
const MAX_RUNS = 1 << 17;

/**
 * Per-second maxima of one level, as the sweep moves forward, in memory that depends on how often the level changed,
 * not on the time span: seconds are stored as runs of equal values (a year of idle time is one run), and p99 is
 * read from a histogram of the per-second maxima. Past `MAX_RUNS` runs the stored buckets widen (keeping each wider
 * bucket's maximum); the histogram, the peaks and p99 stay per second.
 */
export class MaxSeries {
  private runValues = new Int32Array(1024);
  private runCounts = new Float64Array(1024);
  private runs = 0;
  /** Stored buckets in the runs. */
  private stored = 0;
  /** Seconds per stored bucket: a power of two. */
  private width = 1;
  /** Seconds in the stored bucket being filled (less than `width`), and their maximum. */
  private partialSeconds = 0;
  private partialMax = 0;
  /** Per-second maximum -> number of seconds. */
  private readonly histogram = new Map<number, number>();
  /** The second the sweep is in, and its maximum so far. */
  private current = -1;
  private currentMax = 0;
  private finished = false;

  /** Seconds appended (the one being swept is not among them until `finish`). */
  private get seconds(): number {
    return this.stored * this.width + this.partialSeconds;
  }

  /**
   * The sweep reached bucket `index` at an instant with level `value`: buckets passed over held `previous`
   * throughout; so did `index` itself unless the instant is its very start (`heldBefore` 0).
   */
  reach(index: number, previous: number, heldBefore: 0 | 1, value: number): void {
    if (index > this.current) {
      if (this.current >= 0) this.appendSeconds(this.currentMax, 1);
      this.appendSeconds(previous, index - this.seconds);
      this.current = index;
      this.currentMax = previous * heldBefore;
    }
    if (value > this.currentMax) this.currentMax = value;
  }

  /** The series in at most `points` points, each the maximum over `factor` seconds. */
  points(points: number): { values: number[]; factor: number } {
    this.finish();
    const needed = Math.max(1, Math.ceil(this.seconds / points));
    // Stored buckets per point.
    const perPoint = Math.ceil(needed / this.width);
    const values: number[] = [];
    let filled = 0;
    let max = 0;
    const add = (value: number, count: number) => {
      while (count > 0) {
        if (filled === 0 && count >= perPoint) {
          // Whole points of one value: a long idle run costs one step per point, not per second.
          const whole = Math.floor(count / perPoint);
          for (let i = 0; i < whole; i++) values.push(value);
          count -= whole * perPoint;
          continue;
        }
        const take = Math.min(count, perPoint - filled);
        if (value > max) max = value;
        filled += take;
        count -= take;
        if (filled === perPoint) {
          values.push(max);
          filled = 0;
          max = 0;
        }
      }
    };
    for (let i = 0; i < this.runs; i++) add(this.runValues[i]!, this.runCounts[i]!);
    if (this.partialSeconds > 0) add(this.partialMax, 1);
    if (filled > 0) values.push(max);
    return { values, factor: perPoint * this.width };
  }

  /** The 99th percentile of the per-second maxima (nearest rank). */
  p99(): number {
    this.finish();
    const seconds = this.seconds;
    if (seconds === 0) return 0;
    const rank = Math.max(0, Math.ceil(seconds * 0.99) - 1);
    let atOrBelow = 0;
    for (const value of [...this.histogram.keys()].sort((a, b) => a - b)) {
      atOrBelow += this.histogram.get(value)!;
      if (atOrBelow > rank) return value;
    }
    return 0;
  }

  /** Appends the second being swept: no `reach` after this. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.current >= 0) this.appendSeconds(this.currentMax, 1);
  }

  /** Appends `count` seconds that all held `value`. */
  private appendSeconds(value: number, count: number): void {
    if (count <= 0) return;
    while (this.runs > MAX_RUNS) this.widen();
    this.histogram.set(value, (this.histogram.get(value) ?? 0) + count);
    const width = this.width;
    if (this.partialSeconds > 0) {
      const take = Math.min(count, width - this.partialSeconds);
      if (value > this.partialMax) this.partialMax = value;
      this.partialSeconds += take;
      count -= take;
      if (this.partialSeconds < width) return;
      this.pushRun(this.partialMax, 1);
      this.partialSeconds = 0;
      this.partialMax = 0;
    }
    const whole = Math.floor(count / width);
    this.pushRun(value, whole);
    this.partialSeconds = count - whole * width;
    if (this.partialSeconds > 0) this.partialMax = value;
  }

  /** Appends `count` stored buckets of `value`. */
  private pushRun(value: number, count: number): void {
    if (count <= 0) return;
    this.stored += count;
    if (this.runs > 0 && this.runValues[this.runs - 1] === value) {
      this.runCounts[this.runs - 1]! += count;
      return;
    }
    if (this.runs === this.runValues.length) {
      const values = new Int32Array(this.runs * 2);
      values.set(this.runValues);
      this.runValues = values;
      const counts = new Float64Array(this.runs * 2);
      counts.set(this.runCounts);
      this.runCounts = counts;
    }
    this.runValues[this.runs] = value;
    this.runCounts[this.runs] = count;
    this.runs++;
  }

  /** Doubles the stored buckets' width, pairing neighbours; an unpaired last one joins the partial bucket. */
  private widen(): void {
    const values = this.runValues;
    const counts = this.runCounts;
    const runs = this.runs;
    const oldWidth = this.width;
    this.runValues = new Int32Array(values.length);
    this.runCounts = new Float64Array(counts.length);
    this.runs = 0;
    this.stored = 0;
    this.width = oldWidth * 2;
    let unpaired: number | undefined;
    for (let i = 0; i < runs; i++) {
      const value = values[i]!;
      let count = counts[i]!;
      if (unpaired !== undefined) {
        this.pushRun(Math.max(unpaired, value), 1);
        unpaired = undefined;
        count--;
      }
      const pairs = Math.floor(count / 2);
      this.pushRun(value, pairs);
      if (count - pairs * 2 === 1) unpaired = value;
    }
    if (unpaired !== undefined) {
      this.partialMax = this.partialSeconds > 0 ? Math.max(unpaired, this.partialMax) : unpaired;
      this.partialSeconds += oldWidth;
    }
  }
}

/** The 99th percentile of bucket maxima (nearest rank). */
export function p99(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)]!;
}
