/**
 * Price List API products shaped like the real GetProducts output (aws_v1): product attributes as the AmazonRDS and
 * AmazonEC2 offers name them, OnDemand and Reserved terms with SKU.offerTermCode / SKU.offerTermCode.rateCode keys,
 * prices as decimal strings with ten places.
 */
import { PRICING_REGIONS } from "../../src/pricing/regions.js";

export interface FixtureProduct {
  serviceCode: "AmazonRDS" | "AmazonEC2";
  json: Record<string, unknown>;
  attributes: Record<string, string>;
}

const ON_DEMAND = "JRTCKXETXF";
const HOURLY_RATE = "6YS6EN2CT7";
const RESERVED_1YR_NO_UPFRONT = "4NA7Y494T4";

let skuCounter = 0;
function nextSku(): string {
  skuCounter += 1;
  return `FX${String(skuCounter).padStart(6, "0")}PRXYFT`;
}

function product(
  serviceCode: FixtureProduct["serviceCode"],
  productFamily: string,
  attributes: Record<string, string>,
  usdPerHour: number,
  description: string,
): FixtureProduct {
  const sku = nextSku();
  const price = usdPerHour.toFixed(10);
  const json = {
    product: { productFamily, attributes, sku },
    serviceCode,
    terms: {
      OnDemand: {
        [`${sku}.${ON_DEMAND}`]: {
          priceDimensions: {
            [`${sku}.${ON_DEMAND}.${HOURLY_RATE}`]: {
              unit: "Hrs",
              endRange: "Inf",
              description,
              appliesTo: [],
              rateCode: `${sku}.${ON_DEMAND}.${HOURLY_RATE}`,
              beginRange: "0",
              pricePerUnit: { USD: price },
            },
          },
          sku,
          effectiveDate: "2026-11-01T00:00:00Z",
          offerTermCode: ON_DEMAND,
          termAttributes: {},
        },
      },
      Reserved: {
        [`${sku}.${RESERVED_1YR_NO_UPFRONT}`]: {
          priceDimensions: {
            [`${sku}.${RESERVED_1YR_NO_UPFRONT}.${HOURLY_RATE}`]: {
              unit: "Hrs",
              endRange: "Inf",
              description: "reserved, 1 year, no upfront",
              appliesTo: [],
              rateCode: `${sku}.${RESERVED_1YR_NO_UPFRONT}.${HOURLY_RATE}`,
              beginRange: "0",
              pricePerUnit: { USD: (usdPerHour * 0.65).toFixed(10) },
            },
          },
          sku,
          effectiveDate: "2026-11-01T00:00:00Z",
          offerTermCode: RESERVED_1YR_NO_UPFRONT,
          termAttributes: { LeaseContractLength: "1yr", OfferingClass: "standard", PurchaseOption: "No Upfront" },
        },
      },
    },
    version: "20261101000000",
    publicationDate: "2026-11-01T00:00:00Z",
  };
  return { serviceCode, json, attributes };
}

function regionAttributes(region: string) {
  const r = PRICING_REGIONS[region]!;
  // us-east-1 usage types carry no prefix for instance usage, the others do.
  const instancePrefix = region === "us-east-1" ? "" : `${r.usagePrefix}-`;
  return { r, instancePrefix, common: { location: r.location, locationType: "AWS Region", regionCode: region } };
}

export function rdsInstance(opts: {
  region: string;
  instanceType: string;
  databaseEngine: "PostgreSQL" | "MySQL" | "Aurora PostgreSQL" | "Aurora MySQL";
  usdPerHour: number;
  vcpu: number;
  memoryGiB: number;
  ioOptimized?: boolean;
}): FixtureProduct {
  const { instancePrefix, common } = regionAttributes(opts.region);
  const usage = opts.ioOptimized ? "InstanceUsageIOOptimized" : "InstanceUsage";
  return product(
    "AmazonRDS",
    "Database Instance",
    {
      ...common,
      servicecode: "AmazonRDS",
      servicename: "Amazon Relational Database Service",
      instanceType: opts.instanceType,
      currentGeneration: "Yes",
      instanceFamily: "Memory optimized",
      vcpu: String(opts.vcpu),
      memory: `${opts.memoryGiB} GiB`,
      storage: "EBS Only",
      networkPerformance: "Up to 10 Gigabit",
      processorArchitecture: "64-bit",
      databaseEngine: opts.databaseEngine,
      licenseModel: "No license required",
      deploymentOption: "Single-AZ",
      usagetype: `${instancePrefix}${usage}:${opts.instanceType}`,
      operation: opts.databaseEngine === "PostgreSQL" ? "CreateDBInstance:0014" : "CreateDBInstance:0002",
    },
    opts.usdPerHour,
    `$${opts.usdPerHour} per RDS ${opts.instanceType} Single-AZ instance hour (or partial hour) running ${opts.databaseEngine}`,
  );
}

export function rdsProxy(opts: { region: string; acu?: boolean; databaseEngine: "PostgreSQL" | "MySQL"; usdPerHour: number }) {
  const { r, common } = regionAttributes(opts.region);
  const unit = opts.acu ? "ACU" : "vCPU";
  return product(
    "AmazonRDS",
    "Database Proxy",
    {
      ...common,
      servicecode: "AmazonRDS",
      servicename: "Amazon Relational Database Service",
      databaseEngine: opts.databaseEngine,
      usagetype: `${r.usagePrefix}-RDS:${opts.acu ? "Proxy-ASv2-Usage" : "ProxyUsage"}`,
      operation: "CreateDBProxy:0002",
    },
    opts.usdPerHour,
    `$${opts.usdPerHour} per hour per ${unit} of the RDS ${opts.databaseEngine} instances associated with an RDS Proxy`,
  );
}

export function auroraServerlessV2(opts: { region: string; databaseEngine: "Aurora PostgreSQL" | "Aurora MySQL"; usdPerHour: number }) {
  const { r, common } = regionAttributes(opts.region);
  return product(
    "AmazonRDS",
    "ServerlessV2",
    {
      ...common,
      servicecode: "AmazonRDS",
      servicename: "Amazon Relational Database Service",
      databaseEngine: opts.databaseEngine,
      usagetype: `${r.usagePrefix}-Aurora:ServerlessV2Usage`,
      operation: "CreateDBInstance:0021",
    },
    opts.usdPerHour,
    `$${opts.usdPerHour} per Aurora Capacity Unit hour running ${opts.databaseEngine}`,
  );
}

export function ec2Instance(opts: { region: string; instanceType: string; usdPerHour: number; vcpu: number; capacitystatus?: string }) {
  const { r, common } = regionAttributes(opts.region);
  const prefix = opts.region === "us-east-1" ? "" : `${r.usagePrefix}-`;
  const status = opts.capacitystatus ?? "Used";
  return product(
    "AmazonEC2",
    "Compute Instance",
    {
      ...common,
      servicecode: "AmazonEC2",
      servicename: "Amazon Elastic Compute Cloud",
      instanceType: opts.instanceType,
      currentGeneration: "Yes",
      vcpu: String(opts.vcpu),
      operatingSystem: "Linux",
      tenancy: "Shared",
      preInstalledSw: "NA",
      licenseModel: "No License required",
      capacitystatus: status,
      marketoption: "OnDemand",
      usagetype: `${prefix}BoxUsage:${opts.instanceType}`,
      operation: "RunInstances",
    },
    status === "Used" ? opts.usdPerHour : 0,
    `$${opts.usdPerHour} per On Demand Linux ${opts.instanceType} Instance Hour`,
  );
}
