import { describe, expect, it } from "vitest";
import {
  defaultMaxConnections,
  estimateDbInstanceClassMemory,
  findInstanceClass,
  INSTANCE_CLASSES,
  maxConnectionsEstimate,
  serverlessV2MaxConnections,
  smallestClassFor,
  TargetNotSupportedError,
  UnknownInstanceClassError,
} from "../../src/targets/index.js";

const pgFormula = (memoryGiB: number) => Math.min(Math.floor(estimateDbInstanceClassMemory(memoryGiB) / 9531392), 5000);

describe("instance classes", () => {
  it("knows vCPUs and memory of each family and size", () => {
    expect(findInstanceClass("db.t3.micro")).toMatchObject({ vcpus: 2, memoryGiB: 1, burstable: true, aurora: false });
    expect(findInstanceClass("db.t4g.2xlarge")).toMatchObject({ vcpus: 8, memoryGiB: 32 });
    expect(findInstanceClass("db.m6g.large")).toMatchObject({ vcpus: 2, memoryGiB: 8, aurora: false });
    expect(findInstanceClass("db.r6g.xlarge")).toMatchObject({ vcpus: 4, memoryGiB: 32, aurora: true });
    expect(findInstanceClass("db.r7g.16xlarge")).toMatchObject({ vcpus: 64, memoryGiB: 512 });
    expect(findInstanceClass("db.m5.12xlarge")).toMatchObject({ vcpus: 48, memoryGiB: 192 });
  });

  it("accepts the class without db. prefix and in any case, and rejects unknown ones by name", () => {
    expect(findInstanceClass("R6G.Large")?.name).toBe("db.r6g.large");
    expect(() => defaultMaxConnections("postgresql", "db.x9.huge")).toThrow(UnknownInstanceClassError);
    expect(() => defaultMaxConnections("postgresql", "db.x9.huge")).toThrow(/db\.x9\.huge/);
  });

  it("covers t3/t4g micro..2xlarge and m5/m6g/m6i/m7g/r5/r6g/r6i/r7g large..16xlarge", () => {
    const families = new Set(INSTANCE_CLASSES.map((c) => c.family));
    expect([...families].sort()).toEqual(["m5", "m6g", "m6i", "m7g", "r5", "r6g", "r6i", "r7g", "t3", "t4g"]);
    expect(INSTANCE_CLASSES).toHaveLength(2 * 6 + 8 * 7);
  });
});

describe("DBInstanceClassMemory estimate", () => {
  it("reproduces published SHOW max_connections values of RDS for PostgreSQL within 0.5%", () => {
    // Public measurements on default parameter groups (db.t2.small/medium/large, db.r4.large 15.25 GiB).
    for (const [memoryGiB, measured] of [
      [2, 198],
      [4, 413],
      [8, 856],
      [15.25, 1660],
    ] as const) {
      expect(Math.abs(pgFormula(memoryGiB) - measured) / measured).toBeLessThan(0.005);
    }
  });

  it("is below nominal memory", () => {
    for (const cls of INSTANCE_CLASSES) expect(estimateDbInstanceClassMemory(cls.memoryGiB)).toBeLessThan(cls.memoryGiB * 2 ** 30);
  });
});

describe("defaultMaxConnections", () => {
  it("matches the typical values of RDS for PostgreSQL and MySQL", () => {
    expect(defaultMaxConnections("postgresql", "db.t3.medium")).toBeGreaterThanOrEqual(410);
    expect(defaultMaxConnections("postgresql", "db.t3.medium")).toBeLessThanOrEqual(450);
    expect(defaultMaxConnections("mysql", "db.t3.medium")).toBeGreaterThanOrEqual(310);
    expect(defaultMaxConnections("mysql", "db.t3.medium")).toBeLessThanOrEqual(340);
    expect(defaultMaxConnections("postgresql", "db.r6g.large")).toBeCloseTo(1700, -2);
    expect(defaultMaxConnections("mysql", "db.r6g.large")).toBeCloseTo(1300, -2);
  });

  it("caps PostgreSQL (RDS and Aurora) at 5000", () => {
    expect(defaultMaxConnections("postgresql", "db.r6g.2xlarge")).toBe(5000);
    expect(defaultMaxConnections("postgresql", "db.r6g.16xlarge", { aurora: true })).toBe(5000);
    expect(defaultMaxConnections("mysql", "db.r6g.2xlarge")).toBeGreaterThan(5000);
  });

  it("uses Aurora MySQL's fixed table", () => {
    expect(defaultMaxConnections("mysql", "db.t3.medium", { aurora: true })).toBe(90);
    expect(defaultMaxConnections("mysql", "db.t4g.large", { aurora: true })).toBe(135);
    expect(defaultMaxConnections("mysql", "db.r6g.large", { aurora: true })).toBe(1000);
    expect(defaultMaxConnections("mysql", "db.r5.8xlarge", { aurora: true })).toBe(5000);
    expect(defaultMaxConnections("mysql", "db.r7g.16xlarge", { aurora: true })).toBe(6000);
  });

  it("refuses classes Aurora does not offer", () => {
    expect(() => defaultMaxConnections("postgresql", "db.m6g.large", { aurora: true })).toThrow(TargetNotSupportedError);
    expect(() => defaultMaxConnections("mysql", "db.t3.micro", { aurora: true })).toThrow(/not offered for Aurora/);
  });

  it("explains its basis", () => {
    const estimate = maxConnectionsEstimate("postgresql", "db.r6g.large");
    expect(estimate.basis).toMatch(/LEAST\(\{DBInstanceClassMemory\/9531392\}, 5000\)/);
    expect(estimate.dbInstanceClassMemory).toBeLessThan(16 * 2 ** 30);
  });
});

describe("Aurora Serverless v2", () => {
  it("follows the table by maximum ACU, taking the lower row between rows", () => {
    expect(serverlessV2MaxConnections("postgresql", 1).maxConnections).toBe(189);
    expect(serverlessV2MaxConnections("postgresql", 16).maxConnections).toBe(3360);
    expect(serverlessV2MaxConnections("postgresql", 12).maxConnections).toBe(1669);
    expect(serverlessV2MaxConnections("mysql", 64).maxConnections).toBe(4000);
    expect(serverlessV2MaxConnections("postgresql", 256).maxConnections).toBe(5000);
  });

  it("caps PostgreSQL at 2000 when the minimum is 0.5 ACU and the maximum 16 or more", () => {
    expect(serverlessV2MaxConnections("postgresql", 16, 0.5).maxConnections).toBe(2000);
    expect(serverlessV2MaxConnections("postgresql", 16, 1).maxConnections).toBe(3360);
    expect(serverlessV2MaxConnections("postgresql", 8, 0.5).maxConnections).toBe(1669);
  });

  it("rejects capacities outside 1..256", () => {
    expect(() => serverlessV2MaxConnections("mysql", 0.5)).toThrow(/1\.\.256 ACU/);
    expect(() => serverlessV2MaxConnections("mysql", 512)).toThrow(/1\.\.256 ACU/);
  });
});

describe("smallestClassFor", () => {
  it("returns the smallest class of the family whose max_connections covers the need", () => {
    expect(smallestClassFor("postgresql", 300, "r6g")?.name).toBe("db.r6g.large");
    expect(smallestClassFor("postgresql", 2000, "db.r6g")?.name).toBe("db.r6g.xlarge");
    expect(smallestClassFor("postgresql", 400, "t4g")?.name).toBe("db.t4g.medium");
    expect(smallestClassFor("mysql", 2500, "r6g", { aurora: true })?.name).toBe("db.r6g.2xlarge");
  });

  it("returns undefined when no class is large enough, and rejects unknown families", () => {
    expect(smallestClassFor("postgresql", 6000, "r6g")).toBeUndefined();
    expect(() => smallestClassFor("postgresql", 10, "z1")).toThrow(/unknown instance family "z1"/);
  });
});
