/** Kinds of change in the replayed timeline. */
export const Delta = {
  ClientClose: 0,
  DatabaseRelease: 1,
  PinEnd: 2,
  ClientOpen: 3,
  DatabaseBorrow: 4,
  PinStart: 5,
} as const;
export type Delta = (typeof Delta)[keyof typeof Delta];

/** Timeline changes not yet swept, in two growable typed arrays (no object per change). */
export class DeltaBuffer {
  private times = new Float64Array(1 << 12);
  private kinds = new Uint8Array(1 << 12);
  length = 0;

  push(time: number, kind: Delta): void {
    if (this.length === this.times.length) {
      const times = new Float64Array(this.length * 2);
      times.set(this.times);
      this.times = times;
      const kinds = new Uint8Array(this.length * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
    }
    this.times[this.length] = time;
    this.kinds[this.length] = kind;
    this.length++;
  }

  /**
   * Hands every change before `until` to `visit` in time order and keeps the rest, but at most `keepAtMost` (the
   * latest): older ones are handed over even if not before `until`. Changes at the same instant keep the order they
   * were pushed in (the sort is stable), so a zero-length hold borrows before it releases. Changes arrive nearly in
   * order, which the engine's sort (TimSort) handles in close to linear time.
   */
  drain(until: number, visit: (time: number, kind: Delta) => void, keepAtMost = Number.POSITIVE_INFINITY): void {
    const times = this.times;
    const order = new Array<number>(this.length);
    for (let i = 0; i < this.length; i++) order[i] = i;
    order.sort((a, b) => times[a]! - times[b]!);
    const forced = this.length - keepAtMost;
    let kept = 0;
    const keepTimes = new Float64Array(Math.max(1 << 12, Math.min(this.length, keepAtMost)));
    const keepKinds = new Uint8Array(keepTimes.length);
    for (let n = 0; n < order.length; n++) {
      const i = order[n]!;
      const time = times[i]!;
      if (time < until || n < forced) visit(time, this.kinds[i] as Delta);
      else {
        keepTimes[kept] = time;
        keepKinds[kept] = this.kinds[i]!;
        kept++;
      }
    }
    this.times = keepTimes;
    this.kinds = keepKinds;
    this.length = kept;
  }
}
