/** Buckets per decade: adjacent bucket edges are 2.3% apart, finer than any threshold a server takes. */
const PER_DECADE = 100;
/** The first bucket starts at 1 µs; everything faster shares bucket 0. The last ends at 10^7 ms (almost 3 hours). */
const LOWEST_MS = 0.001;
const DECADES = 10;
const BUCKETS = PER_DECADE * DECADES + 2;
/** A tenth of a decade. */
const WINDOW = PER_DECADE / 10;

/**
 * Statement durations as counts in log-spaced buckets: a fixed 8 KB whatever the number of statements, enough to read
 * low quantiles to within 2.3% and the exact minimum.
 */
export class DurationHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  min = Number.POSITIVE_INFINITY;

  add(ms: number): void {
    if (!(ms >= 0)) return;
    this.counts[bucketOf(ms)]!++;
    this.count++;
    if (ms < this.min) this.min = ms;
  }

  /**
   * A duration at or below which at most `share` of the durations lie: the lower edge of the bucket holding the
   * duration of rank floor(share * count), or the exact minimum when that rank is 0 or the minimum's own bucket.
   */
  lowQuantile(share: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.floor(share * this.count);
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.counts[bucket]!;
      if (seen > rank) return Math.max(this.min, lowerEdge(bucket));
    }
    return this.min;
  }

  /**
   * Where the bulk of the durations begins: the lower edge of the first bucket from which the next tenth of a decade
   * (10 buckets, 26% of width) holds at least `dense` durations; the exact minimum when that is the minimum's bucket.
   * Stray fast durations below a threshold are sparse, so they are passed over; NaN when no window is that dense.
   */
  bulkStart(dense: number): number {
    let window = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      window += this.counts[bucket]!;
      const first = bucket - WINDOW + 1;
      if (first >= 0) {
        if (window >= dense) return this.firstNonEmpty(first);
        window -= this.counts[first]!;
      }
    }
    return Number.NaN;
  }

  /** The lower edge of the first bucket at or after `from` holding a duration, or the minimum when it holds it. */
  private firstNonEmpty(from: number): number {
    for (let bucket = from; bucket < BUCKETS; bucket++) {
      if (this.counts[bucket]! > 0) return Math.max(this.min, lowerEdge(bucket));
    }
    return this.min;
  }

  /** Durations in buckets wholly below `ms`. */
  countBelow(ms: number): number {
    const limit = bucketOf(ms);
    let below = 0;
    for (let bucket = 0; bucket < limit; bucket++) below += this.counts[bucket]!;
    return below;
  }
}

function bucketOf(ms: number): number {
  if (ms < LOWEST_MS) return 0;
  const bucket = 1 + Math.floor(Math.log10(ms / LOWEST_MS) * PER_DECADE + 1e-9);
  return Math.min(BUCKETS - 1, bucket);
}

function lowerEdge(bucket: number): number {
  return bucket === 0 ? 0 : LOWEST_MS * 10 ** ((bucket - 1) / PER_DECADE);
}
