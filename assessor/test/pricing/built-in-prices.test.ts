import { describe, expect, it } from "vitest";
import { BUILT_IN_PRICES_AS_OF, BuiltInPriceSource } from "../../src/pricing/index.js";
import { INSTANCE_CLASSES } from "../../src/targets/index.js";
import { priceSourceConformance } from "./price-source-conformance.js";

priceSourceConformance("built-in table", () => new BuiltInPriceSource());

describe("built-in price table", () => {
  it("is dated", () => {
    expect(new BuiltInPriceSource().describe()).toEqual({ kind: "built-in", asOf: BUILT_IN_PRICES_AS_OF });
  });

  it("prices every RDS class of the catalogue for both engines in us-east-1, and every Aurora class", async () => {
    const source = new BuiltInPriceSource();
    for (const cls of INSTANCE_CLASSES) {
      for (const engine of ["postgresql", "mysql"] as const) {
        const rds = await source.hourlyPrice({ kind: "rds-instance", region: "us-east-1", engine, instanceClass: cls.name, aurora: false });
        expect(rds.usdPerHour).toBeGreaterThan(0);
        if (cls.aurora) {
          const aurora = await source.hourlyPrice({ kind: "rds-instance", region: "us-east-1", engine, instanceClass: cls.name, aurora: true });
          expect(aurora.usdPerHour).toBeGreaterThan(0);
        }
      }
    }
  });

  it("scales the M and R families by vCPU from the large size", async () => {
    const source = new BuiltInPriceSource();
    const price = (instanceClass: string) =>
      source.hourlyPrice({ kind: "rds-instance", region: "us-east-1", engine: "postgresql", instanceClass, aurora: false });
    expect((await price("db.r6g.16xlarge")).usdPerHour).toBeCloseTo(0.225 * 32, 6);
    expect((await price("db.m5.2xlarge")).usdPerHour).toBeCloseTo(0.712, 6);
  });

  it("does not guess instance prices for regions it does not list", async () => {
    await expect(
      new BuiltInPriceSource().hourlyPrice({ kind: "ec2-instance", region: "eu-west-2", instanceType: "c6g.large" }),
    ).rejects.toThrow(/built-in table \(\d{4}-\d{2}-\d{2}\) does not list it; use --live-pricing/);
  });
});
