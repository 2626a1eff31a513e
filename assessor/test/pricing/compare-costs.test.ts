import { describe, expect, it } from "vitest";
import { BuiltInPriceSource, compareCosts, type CostInput, sizePooler } from "../../src/pricing/index.js";

const builtIn = new BuiltInPriceSource();
const base: CostInput = {
  engine: "postgresql",
  region: "us-east-1",
  instanceClass: "db.r6g.large",
  peakClientConnections: 1200,
  peakConcurrentSessions: 1900,
};
const byOption = async (input: CostInput) => {
  const costs = await compareCosts(input, builtIn);
  return { costs, options: Object.fromEntries(costs.options.map((o) => [o.option, o])) };
};

describe("compareCosts", () => {
  it("prices RDS Proxy by the target's vCPUs over 730 hours", async () => {
    const { costs, options } = await byOption({ ...base, instanceClass: "db.r6g.2xlarge" });
    expect(costs.hoursPerMonth).toBe(730);
    expect(costs.priceSource).toEqual({ kind: "built-in", asOf: "2026-11-24", region: "us-east-1" });
    expect(options["rds-proxy"]!.lineItems).toEqual([
      { item: "RDS Proxy, db.r6g.2xlarge target (8 vCPU)", quantity: 8, unit: "vCPU-hour", unitUsd: 0.015, monthlyUsd: 87.6 },
    ]);
  });

  it("prices RDS Proxy for Aurora Serverless v2 by ACU with the 8-ACU minimum", async () => {
    const small = await byOption({ ...base, instanceClass: undefined, aurora: true, serverlessV2: { maxAcu: 4, minAcu: 0.5 } });
    expect(small.options["rds-proxy"]!.lineItems[0]).toMatchObject({ quantity: 8, unit: "ACU-hour", monthlyUsd: 87.6 });
    const large = await byOption({ ...base, instanceClass: undefined, aurora: true, serverlessV2: { maxAcu: 32, minAcu: 2 } });
    expect(large.options["rds-proxy"]!.monthlyUsd).toBe(350.4);
  });

  it("sizes the self-hosted pooler pair from the client peak", async () => {
    const { options } = await byOption(base);
    expect(options["self-hosted-pooler"]!.lineItems).toEqual([
      { item: "EC2 t4g.medium (PgBouncer)", quantity: 2, unit: "instance-hour", unitUsd: 0.0336, monthlyUsd: 49.06 },
    ]);
    const mysql = await byOption({ ...base, engine: "mysql", peakClientConnections: 3000 });
    expect(mysql.options["self-hosted-pooler"]!.summary).toMatch(/2 x c6g.xlarge running ProxySQL/);
  });

  it("prices no-proxy as the move to the smallest class covering the peak sessions", async () => {
    const { options } = await byOption(base);
    const noProxy = options["no-proxy"]!;
    expect(noProxy.summary).toMatch(/from db\.r6g\.large \(max_connections 1,744\) to db\.r6g\.xlarge/);
    expect(noProxy.lineItems.map((l) => [l.item, l.quantity, l.monthlyUsd])).toEqual([
      ["db.r6g.xlarge instance", 1, 328.5],
      ["less today's db.r6g.large instance", -1, -164.25],
    ]);
    expect(noProxy.monthlyUsd).toBe(164.25);
  });

  it("costs nothing more when today's max_connections already covers the peak", async () => {
    const { options } = await byOption({ ...base, peakConcurrentSessions: 900 });
    expect(options["no-proxy"]).toMatchObject({ monthlyUsd: 0, lineItems: [] });
    const given = await byOption({ ...base, peakConcurrentSessions: 900, maxConnections: 500 });
    expect(given.options["no-proxy"]).toMatchObject({ monthlyUsd: 0, lineItems: [] });
    expect(given.options["no-proxy"]!.summary).toMatch(/max_connections 500, below its default of 1,744: raising/);
  });

  it("sizes like the verdict: a peak above 80% of max_connections is not covered, so no-proxy never says no change then", async () => {
    // db.t3.micro: 85 connections; 69 is under 85 but above the verdict's pressure threshold of 68.
    const { options } = await byOption({ ...base, instanceClass: "db.t3.micro", peakConcurrentSessions: 69 });
    expect(options["no-proxy"]!.summary).toMatch(/^Move from db\.t3\.micro \(max_connections 85\) to db\.t3\.small .* within 80% of max_connections/);
    expect(options["no-proxy"]!.monthlyUsd).toBeGreaterThan(0);
    const within = await byOption({ ...base, instanceClass: "db.t3.micro", peakConcurrentSessions: 68 });
    expect(within.options["no-proxy"]!.summary).toMatch(/keeps the peak of 68 concurrent sessions within 80% of max_connections: no change/);
  });

  it("uses Aurora MySQL's table for Aurora targets", async () => {
    const { options } = await byOption({ ...base, engine: "mysql", aurora: true, peakConcurrentSessions: 1500 });
    expect(options["no-proxy"]!.summary).toMatch(/db\.r6g\.large \(max_connections 1,000\) to db\.r6g\.xlarge \(2,000\)/);
    expect(options["no-proxy"]!.monthlyUsd).toBe(189.8);
  });

  it("explains, and keeps the other options, when an option cannot be priced", async () => {
    const far = await compareCosts({ ...base, region: "eu-west-2" }, builtIn);
    expect(far.options.map((o) => o.option)).toEqual(["rds-proxy"]);
    expect(far.notes).toEqual([
      expect.stringMatching(/^self-hosted pooler: not priced: no price for EC2 t4g.medium .* in eu-west-2/),
      expect.stringMatching(/^no proxy: not priced: no price for db\.r6g\.large PostgreSQL in eu-west-2/),
    ]);
    const noClass = await compareCosts({ ...base, instanceClass: undefined }, builtIn);
    expect(noClass.options.map((o) => o.option)).toEqual(["self-hosted-pooler"]);
    expect(noClass.notes).toEqual([
      "RDS Proxy: needs the target's size: give --instance-class or --serverless-v2-acu",
      "no proxy: needs today's instance class: give --instance-class",
    ]);
    const unknown = await compareCosts({ ...base, instanceClass: "db.z9.large" }, builtIn);
    expect(unknown.notes[0]).toMatch(/unknown DB instance class "db\.z9\.large"/);
  });

  it("says when no class of the family reaches the peak", async () => {
    const costs = await compareCosts({ ...base, peakConcurrentSessions: 7000 }, builtIn);
    expect(costs.notes).toContain(
      "no proxy: no db.r6g class has a default max_connections of 8,750 or more (the peak of 7,000 within 80%) (PostgreSQL defaults stop at 5,000); raise max_connections in a parameter group, or pool",
    );
  });

  it("raises the Serverless v2 range for no-proxy, costing only a higher minimum", async () => {
    const raiseMax = await byOption({ ...base, instanceClass: undefined, serverlessV2: { maxAcu: 4, minAcu: 1 } });
    expect(raiseMax.options["no-proxy"]!.summary).toMatch(/from 4 to 16 ACU/);
    expect(raiseMax.options["no-proxy"]!.monthlyUsd).toBe(0);
    const raiseMin = await byOption({ ...base, instanceClass: undefined, serverlessV2: { maxAcu: 16, minAcu: 0.5 }, peakConcurrentSessions: 3000 });
    expect(raiseMin.options["no-proxy"]!.lineItems).toEqual([
      { item: "Aurora Serverless v2 minimum +0.5 ACU", quantity: 0.5, unit: "ACU-hour", unitUsd: 0.12, monthlyUsd: 43.8 },
    ]);
  });
});

describe("sizePooler", () => {
  it("plans each node for the whole peak with 50% headroom", () => {
    expect(sizePooler("postgresql", 100)).toMatchObject({ instanceType: "t4g.small", required: 150, nodes: 2, fits: true });
    expect(sizePooler("postgresql", 3000)).toMatchObject({ instanceType: "c6g.large", nodeCapacity: 5000, required: 4500 });
    expect(sizePooler("mysql", 3000)).toMatchObject({ instanceType: "c6g.xlarge", nodeCapacity: 8000 });
    expect(sizePooler("postgresql", 100_000)).toMatchObject({ instanceType: "c6g.4xlarge", fits: false });
  });
});
