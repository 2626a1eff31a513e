import { requireInstanceClass } from "../targets/index.js";
import {
  describeItem,
  engineName,
  type PriceItem,
  PriceNotFoundError,
  type PriceQuote,
  type PriceSource,
  type PriceSourceInfo,
} from "./price-source.js";

/**
 * The offline price table: on-demand USD list prices, compiled on BUILT_IN_PRICES_AS_OF from the AWS public pricing
 * pages named in each section. Use --live-pricing for today's figures; docs/costs.md lists every number.
 */
export const BUILT_IN_PRICES_AS_OF = "2026-11-24";

const PROXY_PAGE = "https://aws.amazon.com/rds/proxy/pricing/";
const RDS_PG_PAGE = "https://aws.amazon.com/rds/postgresql/pricing/ (Single-AZ, on-demand)";
const RDS_MYSQL_PAGE = "https://aws.amazon.com/rds/mysql/pricing/ (Single-AZ, on-demand)";
const AURORA_PAGE = "https://aws.amazon.com/rds/aurora/pricing/ (Aurora Standard, on-demand)";
const EC2_PAGE = "https://aws.amazon.com/ec2/pricing/on-demand/ (Linux, shared tenancy)";

/** RDS Proxy: per vCPU-hour of a provisioned target, per ACU-hour of an Aurora Serverless v2 target. */
const RDS_PROXY: Readonly<Record<string, { vcpuHour: number; acuHour: number }>> = {
  "us-east-1": { vcpuHour: 0.015, acuHour: 0.015 },
  "us-east-2": { vcpuHour: 0.015, acuHour: 0.015 },
  "us-west-2": { vcpuHour: 0.015, acuHour: 0.015 },
  "eu-west-2": { vcpuHour: 0.017, acuHour: 0.018 },
};

/**
 * Instance prices are the same in these three US regions for every class below; other regions need --live-pricing.
 */
const INSTANCE_PRICE_REGIONS = ["us-east-1", "us-east-2", "us-west-2"];

/** Aurora Serverless v2 (Aurora Standard) per ACU-hour, both engines. */
const AURORA_SERVERLESS_V2_ACU_HOUR = 0.12;

/**
 * Per-family price of the "large" size. AWS prices every larger size of the M and R families at its vCPU multiple of
 * "large" (xlarge = 2x, 2xlarge = 4x, ...); the burstable classes are listed size by size.
 */
interface InstancePrices {
  large: Readonly<Record<string, number>>;
  burstable: Readonly<Record<string, number>>;
  page: string;
}

const RDS_POSTGRESQL: InstancePrices = {
  page: RDS_PG_PAGE,
  large: { m5: 0.178, m6i: 0.178, m6g: 0.159, m7g: 0.168, r5: 0.25, r6i: 0.25, r6g: 0.225, r7g: 0.239 },
  burstable: {
    "db.t3.micro": 0.018,
    "db.t3.small": 0.036,
    "db.t3.medium": 0.072,
    "db.t3.large": 0.145,
    "db.t3.xlarge": 0.29,
    "db.t3.2xlarge": 0.58,
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.t4g.xlarge": 0.258,
    "db.t4g.2xlarge": 0.517,
  },
};

const RDS_MYSQL: InstancePrices = {
  page: RDS_MYSQL_PAGE,
  large: { m5: 0.171, m6i: 0.171, m6g: 0.152, m7g: 0.161, r5: 0.24, r6i: 0.24, r6g: 0.215, r7g: 0.228 },
  burstable: {
    "db.t3.micro": 0.017,
    "db.t3.small": 0.034,
    "db.t3.medium": 0.068,
    "db.t3.large": 0.136,
    "db.t3.xlarge": 0.272,
    "db.t3.2xlarge": 0.544,
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.t4g.xlarge": 0.258,
    "db.t4g.2xlarge": 0.517,
  },
};

/** Aurora Standard: the same instance prices for Aurora MySQL and Aurora PostgreSQL. */
const AURORA: InstancePrices = {
  page: AURORA_PAGE,
  large: { r5: 0.29, r6i: 0.29, r6g: 0.26, r7g: 0.276 },
  burstable: { "db.t3.medium": 0.082, "db.t3.large": 0.164, "db.t4g.medium": 0.073, "db.t4g.large": 0.146 },
};

/** The EC2 types the self-hosted pooler sizing rule picks from (see pooler-sizing.ts). */
const EC2: Readonly<Record<string, number>> = {
  "t4g.small": 0.0168,
  "t4g.medium": 0.0336,
  "t3.small": 0.0208,
  "c5.large": 0.085,
  "c6g.large": 0.068,
  "c6g.xlarge": 0.136,
  "c6g.2xlarge": 0.272,
  "c6g.4xlarge": 0.544,
};

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

function instancePrice(table: InstancePrices, instanceClass: string): number | undefined {
  const cls = requireInstanceClass(instanceClass);
  if (cls.burstable) return table.burstable[cls.name];
  const large = table.large[cls.family];
  return large === undefined ? undefined : round4(large * (cls.vcpus / 2));
}

export class BuiltInPriceSource implements PriceSource {
  describe(): PriceSourceInfo {
    return { kind: "built-in", asOf: BUILT_IN_PRICES_AS_OF };
  }

  async hourlyPrice(item: PriceItem): Promise<PriceQuote> {
    const quote = this.lookup(item);
    if (!quote) {
      throw new PriceNotFoundError(
        item,
        `the built-in table (${BUILT_IN_PRICES_AS_OF}) does not list it; use --live-pricing for ${describeItem(item)}`,
      );
    }
    return quote;
  }

  private lookup(item: PriceItem): PriceQuote | undefined {
    switch (item.kind) {
      case "rds-proxy-vcpu":
      case "rds-proxy-acu": {
        const row = RDS_PROXY[item.region];
        if (!row) return undefined;
        return { usdPerHour: item.kind === "rds-proxy-vcpu" ? row.vcpuHour : row.acuHour, source: PROXY_PAGE };
      }
      case "aurora-serverless-v2-acu":
        if (!INSTANCE_PRICE_REGIONS.includes(item.region)) return undefined;
        return { usdPerHour: AURORA_SERVERLESS_V2_ACU_HOUR, source: AURORA_PAGE };
      case "rds-instance": {
        if (!INSTANCE_PRICE_REGIONS.includes(item.region)) return undefined;
        const table = item.aurora ? AURORA : item.engine === "postgresql" ? RDS_POSTGRESQL : RDS_MYSQL;
        const price = instancePrice(table, item.instanceClass);
        if (price === undefined) return undefined;
        return { usdPerHour: price, source: `${table.page}: ${engineName(item.engine, item.aurora)}` };
      }
      case "ec2-instance": {
        if (!INSTANCE_PRICE_REGIONS.includes(item.region)) return undefined;
        const price = EC2[item.instanceType];
        return price === undefined ? undefined : { usdPerHour: price, source: EC2_PAGE };
      }
    }
  }
}
