import type { Engine } from "../events/log-event.js";
import { THRESHOLDS } from "../recommendation/recommend.js";
import type { CostComparison, CostOption } from "../report/report.js";
import { defaultMaxConnections, requireInstanceClass, serverlessV2MaxConnections, smallestClassFor } from "../targets/index.js";
import { sizePooler } from "./pooler-sizing.js";
import type { PriceItem, PriceQuote, PriceSource } from "./price-source.js";

export const HOURS_PER_MONTH = 730;
/** Between an option's name and the error in a note about an option the price source failed to price. */
export const NOT_PRICED = ": not priced: ";
/** RDS Proxy bills a provisioned target for at least 2 vCPUs, an Aurora Serverless v2 target for at least 8 ACUs. */
export const RDS_PROXY_MIN_VCPUS = 2;
export const RDS_PROXY_MIN_ACUS = 8;

export interface CostInput {
  engine: Engine;
  /** AWS region of the target, e.g. "us-east-1". */
  region: string;
  /** Today's instance class (--instance-class). */
  instanceClass?: string;
  aurora?: boolean;
  /** An Aurora Serverless v2 target (--serverless-v2-acu): its capacity range. */
  serverlessV2?: { maxAcu: number; minAcu?: number };
  /** Today's max_connections when known (--max-connections); else the class default is used. */
  maxConnections?: number;
  /** Replay: peak client connections (what a pooler must accept). */
  peakClientConnections: number;
  /** Replay baseline: peak concurrent sessions without a proxy (what max_connections must cover). */
  peakConcurrentSessions: number;
}

export interface CostComparisonResult extends CostComparison {
  /** Options that could not be priced, and why (missing input, no price for the region, API error). */
  notes: string[];
}

type LineItem = CostOption["lineItems"][number];

const usd = (n: number) => Math.round(n * 100) / 100;
const count = (n: number) => n.toLocaleString("en-US");

function lineItem(item: string, quantity: number, unit: string, quote: PriceQuote): LineItem {
  return { item, quantity, unit, unitUsd: quote.usdPerHour, monthlyUsd: usd(quantity * quote.usdPerHour * HOURS_PER_MONTH) };
}

function option(kind: CostOption["option"], summary: string, lineItems: LineItem[]): CostOption {
  return { option: kind, monthlyUsd: usd(lineItems.reduce((sum, l) => sum + l.monthlyUsd, 0)), summary, lineItems };
}

/**
 * Monthly cost, side by side (730 hours a month, on-demand list prices): RDS Proxy for the target, a self-hosted
 * pooler pair on EC2, and "no proxy" (a larger instance class, as the difference from today's). An option that cannot
 * be priced is left out and explained in `notes`; the others are still returned.
 */
export async function compareCosts(input: CostInput, source: PriceSource): Promise<CostComparisonResult> {
  const info = source.describe();
  const price = (item: PriceItem) => source.hourlyPrice(item);
  const options: CostOption[] = [];
  const notes: string[] = [];
  const builders: Array<[string, () => Promise<CostOption | string>]> = [
    ["RDS Proxy", () => rdsProxyOption(input, price)],
    ["self-hosted pooler", () => selfHostedOption(input, price)],
    ["no proxy", () => noProxyOption(input, price)],
  ];
  for (const [name, build] of builders) {
    try {
      const built = await build();
      if (typeof built === "string") notes.push(`${name}: ${built}`);
      else options.push(built);
    } catch (error) {
      notes.push(`${name}${NOT_PRICED}${(error as Error).message}`);
    }
  }
  return {
    currency: "USD",
    hoursPerMonth: HOURS_PER_MONTH,
    priceSource: { kind: info.kind, asOf: info.asOf, region: input.region },
    options,
    notes,
  };
}

type Price = (item: PriceItem) => Promise<PriceQuote>;

async function rdsProxyOption(input: CostInput, price: Price): Promise<CostOption | string> {
  if (input.serverlessV2) {
    const acus = Math.max(RDS_PROXY_MIN_ACUS, input.serverlessV2.maxAcu);
    const quote = await price({ kind: "rds-proxy-acu", region: input.region });
    return option(
      "rds-proxy",
      `RDS Proxy for Aurora Serverless v2 bills the ACUs the cluster uses, at least ${RDS_PROXY_MIN_ACUS}; priced at ` +
        `${acus} ACU (the maximum capacity, or the minimum charge), so this is an upper bound`,
      [lineItem(`RDS Proxy, Aurora Serverless v2 target (${acus} ACU)`, acus, "ACU-hour", quote)],
    );
  }
  if (!input.instanceClass) return "needs the target's size: give --instance-class or --serverless-v2-acu";
  const cls = requireInstanceClass(input.instanceClass);
  const vcpus = Math.max(RDS_PROXY_MIN_VCPUS, cls.vcpus);
  const quote = await price({ kind: "rds-proxy-vcpu", region: input.region });
  const minimum = cls.vcpus < RDS_PROXY_MIN_VCPUS ? ` (${cls.vcpus} vCPU, billed at the ${RDS_PROXY_MIN_VCPUS}-vCPU minimum)` : "";
  return option(
    "rds-proxy",
    `RDS Proxy bills the vCPUs of the target instance: ${cls.name} has ${cls.vcpus}${minimum}.` +
      (input.aurora ? " An Aurora cluster pays for the vCPUs of every instance in it; this is one instance." : ""),
    [lineItem(`RDS Proxy, ${cls.name} target (${vcpus} vCPU)`, vcpus, "vCPU-hour", quote)],
  );
}

async function selfHostedOption(input: CostInput, price: Price): Promise<CostOption> {
  const sizing = sizePooler(input.engine, input.peakClientConnections);
  const quote = await price({ kind: "ec2-instance", region: input.region, instanceType: sizing.instanceType });
  const fit = sizing.fits
    ? ""
    : ` The largest node is still below ${count(sizing.required)}: split the clients over several pairs.`;
  return option(
    "self-hosted-pooler",
    `${sizing.nodes} x ${sizing.instanceType} running ${sizing.pooler} (HA pair; each node planned for ` +
      `${count(sizing.nodeCapacity)} client connections, the peak of ${count(input.peakClientConnections)} x 1.5 = ` +
      `${count(sizing.required)}). Load balancer or failover address, storage and operations time are not included.${fit}`,
    [lineItem(`EC2 ${sizing.instanceType} (${sizing.pooler})`, sizing.nodes, "instance-hour", quote)],
  );
}

async function noProxyOption(input: CostInput, price: Price): Promise<CostOption | string> {
  const peak = input.peakConcurrentSessions;
  if (input.serverlessV2) return noProxyServerless(input, price);
  if (!input.instanceClass) return "needs today's instance class: give --instance-class";
  const aurora = input.aurora ?? false;
  const current = requireInstanceClass(input.instanceClass);
  const currentMax = input.maxConnections ?? defaultMaxConnections(input.engine, current.name, { aurora });
  const currentQuote = await price({ kind: "rds-instance", region: input.region, engine: input.engine, instanceClass: current.name, aurora });
  // Sized like the verdict: the peak must stay within the pressure threshold, so this line never says "no change"
  // while the verdict says the connections are under pressure.
  const needed = connectionsForPeak(peak);
  if (needed <= currentMax) {
    return option(
      "no-proxy",
      `Today's ${current.name} (max_connections ${count(currentMax)}) keeps the peak of ${count(peak)} concurrent sessions within ${pressurePercent()} of max_connections: no change.`,
      [],
    );
  }
  const next = smallestClassFor(input.engine, needed, current.family, { aurora });
  if (!next) {
    return (
      `no db.${current.family} class has a default max_connections of ${count(needed)} or more (the peak of ${count(peak)} within ${pressurePercent()})` +
      (input.engine === "postgresql" ? " (PostgreSQL defaults stop at 5,000)" : "") +
      "; raise max_connections in a parameter group, or pool"
    );
  }
  const nextMax = defaultMaxConnections(input.engine, next.name, { aurora });
  if (next.name === current.name) {
    return option(
      "no-proxy",
      `${current.name} runs with max_connections ${count(currentMax)}, below its default of ${count(nextMax)}: raising ` +
        `max_connections in the parameter group to at least ${count(needed)} keeps the peak of ${count(peak)} within ${pressurePercent()} without a larger class.`,
      [],
    );
  }
  const nextQuote = await price({ kind: "rds-instance", region: input.region, engine: input.engine, instanceClass: next.name, aurora });
  return option(
    "no-proxy",
    `Move from ${current.name} (max_connections ${count(currentMax)}) to ${next.name} (${count(nextMax)}), the smallest ` +
      `db.${current.family} class keeping the peak of ${count(peak)} concurrent sessions within ${pressurePercent()} of max_connections; the cost is the difference.`,
    [
      lineItem(`${next.name} instance`, 1, "instance-hour", nextQuote),
      lineItem(`less today's ${current.name} instance`, -1, "instance-hour", currentQuote),
    ],
  );
}

/** Serverless v2: max_connections follows the maximum ACU, which costs nothing by itself; the minimum ACU does. */
async function noProxyServerless(input: CostInput, price: Price): Promise<CostOption | string> {
  const { maxAcu, minAcu } = input.serverlessV2!;
  const peak = input.peakConcurrentSessions;
  const current = serverlessV2MaxConnections(input.engine, maxAcu, minAcu).maxConnections;
  const needed = connectionsForPeak(peak);
  if (needed <= current) {
    return option(
      "no-proxy",
      `Today's capacity range (maximum ${maxAcu} ACU, max_connections ${count(current)}) keeps the peak of ${count(peak)} concurrent sessions within ${pressurePercent()} of max_connections.`,
      [],
    );
  }
  for (const candidateMax of [1, 4, 8, 16, 32, 64, 128, 256].filter((a) => a >= maxAcu)) {
    if (serverlessV2MaxConnections(input.engine, candidateMax, minAcu).maxConnections >= needed) {
      return option(
        "no-proxy",
        `Raise the maximum capacity from ${maxAcu} to ${candidateMax} ACU (max_connections follows the maximum); ` +
          "Serverless v2 bills the ACUs used, so the cost depends on load, not on the maximum.",
        [],
      );
    }
    const raisedMin = 1;
    if (minAcu !== undefined && minAcu < raisedMin && serverlessV2MaxConnections(input.engine, candidateMax, raisedMin).maxConnections >= peak) {
      const quote = await price({ kind: "aurora-serverless-v2-acu", region: input.region, engine: input.engine });
      return option(
        "no-proxy",
        `Raise the capacity range to ${raisedMin}..${candidateMax} ACU: with a minimum of ${minAcu} ACU Aurora PostgreSQL ` +
          `caps max_connections at 2,000. The cost is the higher floor; usage above it is billed either way.`,
        [lineItem(`Aurora Serverless v2 minimum +${raisedMin - minAcu} ACU`, raisedMin - minAcu, "ACU-hour", quote)],
      );
    }
  }
  return `no Aurora Serverless v2 capacity gives max_connections of ${count(peak)} or more; pool the connections`;
}

/** max_connections that keeps a peak within the verdict's pressure threshold (docs/recommendation.md). */
function connectionsForPeak(peak: number): number {
  return Math.ceil(peak / THRESHOLDS.connectionPressure);
}

function pressurePercent(): string {
  return `${Math.round(THRESHOLDS.connectionPressure * 100)}%`;
}
