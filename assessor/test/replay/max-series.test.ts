import { describe, expect, it } from "vitest";
import { MaxSeries, p99 } from "../../src/replay/series.js";

/** The dense reference: one value per second, as the replay kept them before series became sparse. */
class DenseSeries {
  values: number[] = [];
  reach(index: number, previous: number, heldBefore: 0 | 1, value: number): void {
    while (this.values.length < index) this.values.push(previous);
    if (this.values.length === index) this.values.push(previous * heldBefore);
    if (value > this.values[index]!) this.values[index] = value;
  }
  points(factor: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.values.length; i += factor) out.push(Math.max(...this.values.slice(i, i + factor)));
    return out;
  }
}

/** A deterministic pseudo-random sequence (the test must not depend on luck). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function sweep(steps: number, maxGap: number, seed: number) {
  const next = random(seed);
  const sparse = new MaxSeries();
  const dense = new DenseSeries();
  let index = 0;
  let level = 0;
  for (let i = 0; i < steps; i++) {
    index += Math.floor(next() * next() * maxGap);
    const heldBefore = next() < 0.5 ? 0 : 1;
    const value = Math.floor(next() * 8);
    sparse.reach(index, level, heldBefore, value);
    dense.reach(index, level, heldBefore, value);
    level = value;
  }
  return { sparse, dense };
}

describe("MaxSeries", () => {
  it("gives the dense per-second series, its p99 and its downsampling, for logs up to the report's length", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { sparse, dense } = sweep(3000, 6, seed);
      const points = sparse.points(10_000);
      expect(points.factor).toBe(1);
      expect(points.values).toEqual(dense.values);
      expect(sparse.p99()).toBe(p99(dense.values));
    }
  });

  it("downsamples longer logs as the dense series did (max over ceil(length / points) seconds)", () => {
    const { sparse, dense } = sweep(20_000, 8, 7);
    const factor = Math.ceil(dense.values.length / 1000);
    const points = sparse.points(1000);
    expect(points.factor).toBe(factor);
    expect(points.values).toEqual(dense.points(factor));
    expect(sparse.p99()).toBe(p99(dense.values));
  });

  it("widens its stored buckets past its run limit: each point is still the maximum over its seconds, p99 exact", () => {
    const { sparse, dense } = sweep(400_000, 3, 11);
    const points = sparse.points(10_000);
    expect(points.values.length).toBeLessThanOrEqual(10_000);
    expect(points.values).toEqual(dense.points(points.factor));
    expect(sparse.p99()).toBe(p99(dense.values));
  });

  it("holds a span of decades in a few runs", () => {
    const series = new MaxSeries();
    series.reach(0, 0, 0, 1);
    series.reach(35 * 365 * 86_400, 1, 1, 2);
    const points = series.points(10_000);
    expect(points.values.length).toBeLessThanOrEqual(10_000);
    expect(points.values.at(-1)).toBe(2);
    expect(Math.max(...points.values)).toBe(2);
    expect(series.p99()).toBe(1);
  });
});
