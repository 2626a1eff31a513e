import type { Engine } from "../events/log-event.js";
import { type InstanceClass, INSTANCE_CLASSES, normalizeFamily, requireInstanceClass } from "./instance-classes.js";

/**
 * Default max_connections of RDS and Aurora targets, as the default parameter groups compute it.
 *
 * RDS for PostgreSQL and Aurora PostgreSQL: LEAST({DBInstanceClassMemory/9531392}, 5000).
 * RDS for MySQL and MariaDB:                {DBInstanceClassMemory/12582880}.
 * Aurora MySQL:                             a fixed table per class (AWS page "Managing performance and scaling for
 *                                           Amazon Aurora MySQL", section "Maximum connections to an Aurora MySQL DB
 *                                           instance").
 * Aurora Serverless v2:                     a table by the cluster's maximum ACU (Aurora page "Maximum connections
 *                                           for Aurora Serverless v2").
 *
 * DBInstanceClassMemory is not the nominal memory of the class: RDS subtracts what the operating system and its own
 * management processes reserve, and AWS does not publish that amount. See estimateDbInstanceClassMemory.
 */

const PG_BYTES_PER_CONNECTION = 9_531_392;
const MYSQL_BYTES_PER_CONNECTION = 12_582_880;
const PG_MAX_CONNECTIONS_CAP = 5000;

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * Estimated DBInstanceClassMemory in bytes: nominal memory minus a reservation that grows with the class,
 * max(245 MiB, 150 MiB + 95 MiB * log2(memory in GiB)).
 *
 * Calibrated on max_connections values read with SHOW max_connections on real RDS for PostgreSQL instances with the
 * default parameter group (public measurements: db.t2.small 198, db.t2.medium 413, db.t2.large 856, db.r4.large
 * 1660); the estimate reproduces them within 0.4%. Treat any derived max_connections as an estimate: the exact value
 * is on the instance (`SHOW max_connections`), and --max-connections overrides it.
 */
export function estimateDbInstanceClassMemory(memoryGiB: number): number {
  const reservedMiB = Math.max(245, 150 + 95 * Math.log2(memoryGiB));
  return Math.round(memoryGiB * GIB - reservedMiB * MIB);
}

/** Aurora MySQL's fixed defaults. The R families share one column: the table lists db.r5 and db.r6g with the same
 * values per size, and db.r6i / db.r7g have the same memory per size. */
const AURORA_MYSQL_BY_SIZE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  burstable: { small: 45, medium: 90, large: 135 },
  memoryOptimized: {
    large: 1000,
    xlarge: 2000,
    "2xlarge": 3000,
    "4xlarge": 4000,
    "8xlarge": 5000,
    "12xlarge": 6000,
    "16xlarge": 6000,
  },
};

/** Aurora Serverless v2 defaults by maximum ACU (AWS table "Maximum connections for Aurora Serverless v2"). */
const SERVERLESS_V2_BY_MAX_ACU: ReadonlyArray<{ maxAcu: number; mysql: number; postgresql: number }> = [
  { maxAcu: 1, mysql: 90, postgresql: 189 },
  { maxAcu: 4, mysql: 135, postgresql: 823 },
  { maxAcu: 8, mysql: 1000, postgresql: 1669 },
  { maxAcu: 16, mysql: 2000, postgresql: 3360 },
  { maxAcu: 32, mysql: 3000, postgresql: 5000 },
  { maxAcu: 64, mysql: 4000, postgresql: 5000 },
  { maxAcu: 128, mysql: 5000, postgresql: 5000 },
  { maxAcu: 256, mysql: 6000, postgresql: 5000 },
];

/**
 * Aurora PostgreSQL Serverless v2 with a minimum capacity of 0 or 0.5 ACU caps max_connections at 2,000 once the
 * maximum is 16 ACU or more (AWS re:Post article "Working of max_connections for Amazon Aurora PostgreSQL
 * Serverless").
 */
const SERVERLESS_V2_PG_LOW_MIN_CAP = 2000;

export interface TargetOptions {
  aurora?: boolean;
}

/** How a max_connections figure was arrived at, for the report and docs/costs.md. */
export interface MaxConnectionsEstimate {
  maxConnections: number;
  /** The formula or table used, written out. */
  basis: string;
  /** Estimated DBInstanceClassMemory in bytes, when a memory formula was used. */
  dbInstanceClassMemory?: number;
}

export class TargetNotSupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TargetNotSupportedError";
  }
}

export function maxConnectionsEstimate(
  engine: Engine,
  instanceClass: string | InstanceClass,
  options: TargetOptions = {},
): MaxConnectionsEstimate {
  const cls = typeof instanceClass === "string" ? requireInstanceClass(instanceClass) : instanceClass;
  if (options.aurora && !cls.aurora) {
    throw new TargetNotSupportedError(`${cls.name} is not offered for Aurora; Aurora runs db.r* and db.t*.medium/large classes`);
  }
  if (engine === "mysql" && options.aurora) {
    const column = cls.burstable ? AURORA_MYSQL_BY_SIZE.burstable! : AURORA_MYSQL_BY_SIZE.memoryOptimized!;
    const value = column[cls.size];
    if (value === undefined) throw new TargetNotSupportedError(`no Aurora MySQL max_connections default for ${cls.name}`);
    return { maxConnections: value, basis: `Aurora MySQL default table: ${cls.name} → ${value}` };
  }
  const memory = estimateDbInstanceClassMemory(cls.memoryGiB);
  if (engine === "postgresql") {
    const value = Math.min(Math.floor(memory / PG_BYTES_PER_CONNECTION), PG_MAX_CONNECTIONS_CAP);
    return {
      maxConnections: value,
      basis: `LEAST({DBInstanceClassMemory/${PG_BYTES_PER_CONNECTION}}, ${PG_MAX_CONNECTIONS_CAP}) with DBInstanceClassMemory ≈ ${memory} bytes`,
      dbInstanceClassMemory: memory,
    };
  }
  return {
    maxConnections: Math.floor(memory / MYSQL_BYTES_PER_CONNECTION),
    basis: `{DBInstanceClassMemory/${MYSQL_BYTES_PER_CONNECTION}} with DBInstanceClassMemory ≈ ${memory} bytes`,
    dbInstanceClassMemory: memory,
  };
}

/** The default max_connections of an RDS (or, with aurora, Aurora provisioned) instance of this class. */
export function defaultMaxConnections(engine: Engine, instanceClass: string, options: TargetOptions = {}): number {
  return maxConnectionsEstimate(engine, instanceClass, options).maxConnections;
}

/**
 * Aurora Serverless v2 default max_connections for a capacity range. Between table rows the lower row applies (AWS
 * derives the value from the memory of the maximum ACU; the lower row never overstates it).
 */
export function serverlessV2MaxConnections(engine: Engine, maxAcu: number, minAcu?: number): MaxConnectionsEstimate {
  if (!(maxAcu >= 1 && maxAcu <= 256)) {
    throw new TargetNotSupportedError(`Aurora Serverless v2 maximum capacity must be 1..256 ACU, got ${maxAcu}`);
  }
  const row = [...SERVERLESS_V2_BY_MAX_ACU].reverse().find((r) => r.maxAcu <= maxAcu)!;
  let value = row[engine];
  let basis = `Aurora Serverless v2 default for maximum ${row.maxAcu} ACU: ${value}`;
  if (engine === "postgresql" && minAcu !== undefined && minAcu <= 0.5 && maxAcu >= 16 && value > SERVERLESS_V2_PG_LOW_MIN_CAP) {
    value = SERVERLESS_V2_PG_LOW_MIN_CAP;
    basis += `, capped at ${SERVERLESS_V2_PG_LOW_MIN_CAP} because the minimum capacity is ${minAcu} ACU`;
  }
  return { maxConnections: value, basis };
}

/**
 * The smallest class of a family whose default max_connections covers `maxConnectionsNeeded`: the "no proxy"
 * option. Undefined when even the largest class of the family is too small.
 */
export function smallestClassFor(
  engine: Engine,
  maxConnectionsNeeded: number,
  family: string,
  options: TargetOptions = {},
): InstanceClass | undefined {
  const normalized = normalizeFamily(family);
  if (!normalized) throw new TargetNotSupportedError(`unknown instance family "${family}"`);
  return INSTANCE_CLASSES.filter((c) => c.family === normalized && (!options.aurora || c.aurora)).find(
    (c) => defaultMaxConnections(engine, c.name, options) >= maxConnectionsNeeded,
  );
}
