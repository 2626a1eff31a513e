import type { Engine } from "../events/log-event.js";

/**
 * Sizing rule for the self-hosted pooler option: an HA pair of EC2 instances, each able to carry the whole measured
 * client peak alone (one node must survive the other's failure), with 50% headroom.
 *
 * Capacity per node is a planning figure, not a benchmark: PgBouncer is single-threaded per process, so a node runs
 * one process per vCPU (so_reuseport) and is planned at 2,500 client connections per vCPU; ProxySQL is multi-threaded
 * but keeps more state per connection and is planned at 2,000. Burstable nodes are capped lower because their CPU
 * baseline (20% of a vCPU for t4g.small, 20% for t4g.medium) is what they sustain.
 */
export const POOLER_HEADROOM = 1.5;
export const POOLER_NODES = 2;

export interface PoolerSpec {
  name: "PgBouncer" | "ProxySQL";
  clientsPerVcpu: number;
  burstableCapacity: Readonly<Record<string, number>>;
}

export const POOLERS: Readonly<Record<Engine, PoolerSpec>> = {
  postgresql: { name: "PgBouncer", clientsPerVcpu: 2500, burstableCapacity: { "t4g.small": 1000, "t4g.medium": 2000 } },
  mysql: { name: "ProxySQL", clientsPerVcpu: 2000, burstableCapacity: { "t4g.small": 500, "t4g.medium": 1000 } },
};

/** The EC2 ladder, smallest first (Graviton: the cheapest per vCPU of the current generations). */
const LADDER: ReadonlyArray<{ instanceType: string; vcpus: number; burstable: boolean }> = [
  { instanceType: "t4g.small", vcpus: 2, burstable: true },
  { instanceType: "t4g.medium", vcpus: 2, burstable: true },
  { instanceType: "c6g.large", vcpus: 2, burstable: false },
  { instanceType: "c6g.xlarge", vcpus: 4, burstable: false },
  { instanceType: "c6g.2xlarge", vcpus: 8, burstable: false },
  { instanceType: "c6g.4xlarge", vcpus: 16, burstable: false },
];

export interface PoolerSizing {
  pooler: PoolerSpec["name"];
  instanceType: string;
  nodes: number;
  /** Client connections one node is planned for. */
  nodeCapacity: number;
  /** ceil(peak client connections x headroom). */
  required: number;
  /** False when even the largest node of the ladder is below `required`: shard the clients over several pairs. */
  fits: boolean;
}

export function sizePooler(engine: Engine, peakClientConnections: number): PoolerSizing {
  const spec = POOLERS[engine];
  const required = Math.ceil(Math.max(peakClientConnections, 1) * POOLER_HEADROOM);
  const withCapacity = LADDER.map((step) => ({
    ...step,
    capacity: step.burstable ? (spec.burstableCapacity[step.instanceType] ?? 0) : step.vcpus * spec.clientsPerVcpu,
  }));
  const chosen = withCapacity.find((step) => step.capacity >= required) ?? withCapacity[withCapacity.length - 1]!;
  return {
    pooler: spec.name,
    instanceType: chosen.instanceType,
    nodes: POOLER_NODES,
    nodeCapacity: chosen.capacity,
    required,
    fits: chosen.capacity >= required,
  };
}
