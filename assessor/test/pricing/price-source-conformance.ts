/**
 * The one suite every PriceSource runs: the same items, the same expected list prices, the same failures, the same
 * cost comparison. The live source's local server is seeded from EXPECTED_PRICES, so both must agree to the digit.
 */
import { describe, expect, it } from "vitest";
import { compareCosts, type PriceItem, PriceNotFoundError, type PriceSource } from "../../src/pricing/index.js";

export const EXPECTED_PRICES: ReadonlyArray<{ item: PriceItem; usdPerHour: number }> = [
  { item: { kind: "rds-proxy-vcpu", region: "us-east-1" }, usdPerHour: 0.015 },
  { item: { kind: "rds-proxy-vcpu", region: "eu-west-2" }, usdPerHour: 0.017 },
  { item: { kind: "rds-proxy-acu", region: "us-east-1" }, usdPerHour: 0.015 },
  { item: { kind: "aurora-serverless-v2-acu", region: "us-east-1", engine: "postgresql" }, usdPerHour: 0.12 },
  {
    item: { kind: "rds-instance", region: "us-east-1", engine: "postgresql", instanceClass: "db.r6g.large", aurora: false },
    usdPerHour: 0.225,
  },
  {
    item: { kind: "rds-instance", region: "us-east-1", engine: "postgresql", instanceClass: "db.r6g.xlarge", aurora: false },
    usdPerHour: 0.45,
  },
  {
    item: { kind: "rds-instance", region: "us-east-1", engine: "mysql", instanceClass: "db.r6g.xlarge", aurora: false },
    usdPerHour: 0.43,
  },
  {
    item: { kind: "rds-instance", region: "us-east-1", engine: "postgresql", instanceClass: "db.t4g.medium", aurora: false },
    usdPerHour: 0.065,
  },
  {
    item: { kind: "rds-instance", region: "us-east-1", engine: "postgresql", instanceClass: "db.r6g.large", aurora: true },
    usdPerHour: 0.26,
  },
  { item: { kind: "ec2-instance", region: "us-east-1", instanceType: "c6g.large" }, usdPerHour: 0.068 },
  { item: { kind: "ec2-instance", region: "us-east-1", instanceType: "t4g.medium" }, usdPerHour: 0.0336 },
];

export function priceSourceConformance(name: string, makeSource: () => PriceSource) {
  describe(`PriceSource conformance: ${name}`, () => {
    it("says what it is and how old its figures are", () => {
      const info = makeSource().describe();
      expect(["built-in", "price-list-api"]).toContain(info.kind);
      expect(Number.isNaN(Date.parse(info.asOf))).toBe(false);
    });

    it.each(EXPECTED_PRICES.map((e) => [JSON.stringify(e.item), e] as const))("prices %s", async (_label, expected) => {
      const quote = await makeSource().hourlyPrice(expected.item);
      expect(quote.usdPerHour).toBeCloseTo(expected.usdPerHour, 6);
      expect(quote.source.length).toBeGreaterThan(0);
    });

    it("fails with PriceNotFoundError naming an item it cannot price", async () => {
      const item: PriceItem = { kind: "ec2-instance", region: "us-east-1", instanceType: "x1e.32xlarge" };
      await expect(makeSource().hourlyPrice(item)).rejects.toThrow(PriceNotFoundError);
      await expect(makeSource().hourlyPrice(item)).rejects.toThrow(/x1e\.32xlarge/);
    });

    it("fails naming a region it does not know", async () => {
      await expect(makeSource().hourlyPrice({ kind: "rds-proxy-vcpu", region: "mars-north-1" })).rejects.toThrow(/mars-north-1/);
    });

    it("gives the same cost comparison", async () => {
      const costs = await compareCosts(
        {
          engine: "postgresql",
          region: "us-east-1",
          instanceClass: "db.r6g.large",
          peakClientConnections: 1200,
          peakConcurrentSessions: 1900,
        },
        makeSource(),
      );
      expect(costs.notes).toEqual([]);
      expect(costs.options.map((o) => [o.option, o.monthlyUsd])).toEqual([
        ["rds-proxy", 21.9],
        ["self-hosted-pooler", 49.06],
        ["no-proxy", 164.25],
      ]);
    });
  });
}
