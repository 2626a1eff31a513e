/** A per-bucket maximum that grows as the sweep moves forward. */
export class MaxSeries {
  private values = new Int32Array(1024);
  length = 0;

  /** Buckets up to `index` that the sweep skipped held `level` throughout. */
  private extendTo(index: number, level: number): void {
    while (this.length <= index) {
      if (this.length === this.values.length) {
        const grown = new Int32Array(this.values.length * 2);
        grown.set(this.values);
        this.values = grown;
      }
      this.values[this.length++] = level;
    }
  }

  /**
   * The sweep reached bucket `index` at an instant with level `value`: buckets passed over held `previous`
   * throughout; so did `index` itself unless the instant is its very start (`heldBefore` 0).
   */
  reach(index: number, previous: number, heldBefore: 0 | 1, value: number): void {
    this.extendTo(index - 1, previous);
    this.extendTo(index, previous * heldBefore);
    this.raise(index, value);
  }

  /** Raises bucket `index` (already extended to) to at least `value`. */
  private raise(index: number, value: number): void {
    if (value > this.values[index]!) this.values[index] = value;
  }

  toArray(): number[] {
    return Array.from(this.values.subarray(0, this.length));
  }
}

/** The 99th percentile of bucket maxima (nearest rank). */
export function p99(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)]!;
}

/** Widens buckets (keeping each wider bucket's maximum) so a long log's series stays at most `points` long. */
export function downsample(values: readonly number[], points: number): { values: number[]; factor: number } {
  if (values.length <= points) return { values: [...values], factor: 1 };
  const factor = Math.ceil(values.length / points);
  const out: number[] = [];
  for (let i = 0; i < values.length; i += factor) {
    let max = 0;
    for (let j = i; j < Math.min(values.length, i + factor); j++) if (values[j]! > max) max = values[j]!;
    out.push(max);
  }
  return { values: out, factor };
}
