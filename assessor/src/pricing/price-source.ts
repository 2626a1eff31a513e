import type { Engine } from "../events/log-event.js";

/**
 * One hourly price proxyfit needs. Every option of the cost comparison is built from these, so a price source only
 * answers this one question.
 */
export type PriceItem =
  /** RDS Proxy in front of a provisioned instance: per vCPU of the target, per hour. */
  | { kind: "rds-proxy-vcpu"; region: string }
  /** RDS Proxy in front of Aurora Serverless v2: per ACU of the target, per hour. */
  | { kind: "rds-proxy-acu"; region: string }
  /** Aurora Serverless v2 capacity itself: per ACU-hour. */
  | { kind: "aurora-serverless-v2-acu"; region: string; engine: Engine }
  /** An on-demand Single-AZ RDS (or Aurora, Aurora Standard storage) instance. */
  | { kind: "rds-instance"; region: string; engine: Engine; instanceClass: string; aurora: boolean }
  /** An on-demand Linux EC2 instance (shared tenancy), for the self-hosted pooler. */
  | { kind: "ec2-instance"; region: string; instanceType: string };

export interface PriceQuote {
  usdPerHour: number;
  /** Where the figure comes from: the built-in table's source page, or the Price List SKU and its effective date. */
  source: string;
}

export interface PriceSourceInfo {
  kind: "built-in" | "price-list-api";
  /** The date of the figures: the built-in table's compilation date, or the time of the Price List API query. */
  asOf: string;
}

/** A source of on-demand prices: the built-in dated table, or the AWS Price List API. */
export interface PriceSource {
  describe(): PriceSourceInfo;
  hourlyPrice(item: PriceItem): Promise<PriceQuote>;
}

/** The source has no price for this item (region not in the built-in table, no matching product, ...). */
export class PriceNotFoundError extends Error {
  constructor(
    readonly item: PriceItem,
    detail: string,
  ) {
    super(`no price for ${describeItem(item)}: ${detail}`);
    this.name = "PriceNotFoundError";
  }
}

/** "RDS Proxy vCPU-hour in us-east-1", "db.r6g.large PostgreSQL (RDS) in us-east-1", ... for messages. */
export function describeItem(item: PriceItem): string {
  switch (item.kind) {
    case "rds-proxy-vcpu":
      return `RDS Proxy vCPU-hour in ${item.region}`;
    case "rds-proxy-acu":
      return `RDS Proxy ACU-hour (Aurora Serverless v2) in ${item.region}`;
    case "aurora-serverless-v2-acu":
      return `Aurora Serverless v2 ACU-hour (${engineName(item.engine, true)}) in ${item.region}`;
    case "rds-instance":
      return `${item.instanceClass} ${engineName(item.engine, item.aurora)} in ${item.region}`;
    case "ec2-instance":
      return `EC2 ${item.instanceType} (Linux, on-demand) in ${item.region}`;
  }
}

/** The engine as the Price List API's databaseEngine attribute spells it. */
export function engineName(engine: Engine, aurora: boolean): string {
  const base = engine === "postgresql" ? "PostgreSQL" : "MySQL";
  return aurora ? `Aurora ${base}` : base;
}
