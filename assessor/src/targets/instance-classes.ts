/**
 * The RDS / Aurora DB instance classes proxyfit knows: vCPUs and nominal memory, from the AWS pages "Hardware
 * specifications for DB instance classes" (RDS User Guide, Concepts.DBInstanceClass.Summary) and "Supported DB
 * engines for DB instance classes" / Aurora "DB instance classes" for which classes Aurora offers.
 *
 * Within a family every size has the same shape, so the catalogue is built from two small tables (sizes, families)
 * instead of being typed out row by row.
 */

export interface InstanceClass {
  /** e.g. "db.r6g.large" */
  name: string;
  /** e.g. "r6g" */
  family: string;
  /** e.g. "large" */
  size: string;
  vcpus: number;
  /** Nominal memory in GiB, as AWS lists it. */
  memoryGiB: number;
  /** T classes run on CPU credits. */
  burstable: boolean;
  /** Aurora (MySQL and PostgreSQL) offers this class. */
  aurora: boolean;
}

interface FamilySpec {
  family: string;
  /** Memory per vCPU in GiB for the fixed-ratio families; undefined for the burstable ones (see BURSTABLE_SIZES). */
  memoryPerVcpu?: number;
  sizes: readonly string[];
  /** Sizes Aurora offers in this family (none for the M families). */
  auroraSizes: readonly string[];
}

/** vCPUs of each size in the M and R families (2 vCPUs per "large", doubling with each step). */
const FIXED_RATIO_VCPUS: Readonly<Record<string, number>> = {
  large: 2,
  xlarge: 4,
  "2xlarge": 8,
  "4xlarge": 16,
  "8xlarge": 32,
  "12xlarge": 48,
  "16xlarge": 64,
};

/** T3 / T4g sizes: vCPUs and memory do not follow one ratio. */
const BURSTABLE_SIZES: Readonly<Record<string, { vcpus: number; memoryGiB: number }>> = {
  micro: { vcpus: 2, memoryGiB: 1 },
  small: { vcpus: 2, memoryGiB: 2 },
  medium: { vcpus: 2, memoryGiB: 4 },
  large: { vcpus: 2, memoryGiB: 8 },
  xlarge: { vcpus: 4, memoryGiB: 16 },
  "2xlarge": { vcpus: 8, memoryGiB: 32 },
};

const FIXED_SIZES = Object.keys(FIXED_RATIO_VCPUS);
const R_AURORA_SIZES = FIXED_SIZES;

const FAMILIES: readonly FamilySpec[] = [
  { family: "t3", sizes: Object.keys(BURSTABLE_SIZES), auroraSizes: ["medium", "large"] },
  { family: "t4g", sizes: Object.keys(BURSTABLE_SIZES), auroraSizes: ["medium", "large"] },
  { family: "m5", memoryPerVcpu: 4, sizes: FIXED_SIZES, auroraSizes: [] },
  { family: "m6g", memoryPerVcpu: 4, sizes: FIXED_SIZES, auroraSizes: [] },
  { family: "m6i", memoryPerVcpu: 4, sizes: FIXED_SIZES, auroraSizes: [] },
  { family: "m7g", memoryPerVcpu: 4, sizes: FIXED_SIZES, auroraSizes: [] },
  { family: "r5", memoryPerVcpu: 8, sizes: FIXED_SIZES, auroraSizes: R_AURORA_SIZES },
  { family: "r6g", memoryPerVcpu: 8, sizes: FIXED_SIZES, auroraSizes: R_AURORA_SIZES },
  { family: "r6i", memoryPerVcpu: 8, sizes: FIXED_SIZES, auroraSizes: R_AURORA_SIZES },
  { family: "r7g", memoryPerVcpu: 8, sizes: FIXED_SIZES, auroraSizes: R_AURORA_SIZES },
];

function buildCatalogue(): InstanceClass[] {
  const classes: InstanceClass[] = [];
  for (const spec of FAMILIES) {
    for (const size of spec.sizes) {
      const shape =
        spec.memoryPerVcpu === undefined
          ? BURSTABLE_SIZES[size]!
          : { vcpus: FIXED_RATIO_VCPUS[size]!, memoryGiB: FIXED_RATIO_VCPUS[size]! * spec.memoryPerVcpu };
      classes.push({
        name: `db.${spec.family}.${size}`,
        family: spec.family,
        size,
        vcpus: shape.vcpus,
        memoryGiB: shape.memoryGiB,
        burstable: spec.memoryPerVcpu === undefined,
        aurora: spec.auroraSizes.includes(size),
      });
    }
  }
  // Smallest first: smallestClassFor walks this order.
  return classes.sort((a, b) => a.memoryGiB - b.memoryGiB || a.vcpus - b.vcpus);
}

/** Every known class, smallest memory first. */
export const INSTANCE_CLASSES: readonly InstanceClass[] = buildCatalogue();

export const INSTANCE_FAMILIES: readonly string[] = FAMILIES.map((f) => f.family);

export class UnknownInstanceClassError extends Error {
  constructor(readonly instanceClass: string) {
    super(
      `unknown DB instance class "${instanceClass}": proxyfit knows ${INSTANCE_FAMILIES.map((f) => `db.${f}.*`).join(", ")}` +
        ` (for another class give --max-connections instead)`,
    );
    this.name = "UnknownInstanceClassError";
  }
}

/** Accepts "db.r6g.large" and, forgivingly, "r6g.large" or any letter case. */
export function findInstanceClass(name: string): InstanceClass | undefined {
  const normalized = name.trim().toLowerCase();
  const withPrefix = normalized.startsWith("db.") ? normalized : `db.${normalized}`;
  return INSTANCE_CLASSES.find((c) => c.name === withPrefix);
}

export function requireInstanceClass(name: string): InstanceClass {
  const found = findInstanceClass(name);
  if (!found) throw new UnknownInstanceClassError(name);
  return found;
}

/** "db.r6g", "r6g" or "R6G" → "r6g"; undefined when the family is unknown. */
export function normalizeFamily(family: string): string | undefined {
  const normalized = family.trim().toLowerCase().replace(/^db\./, "").replace(/\.$/, "");
  return INSTANCE_FAMILIES.includes(normalized) ? normalized : undefined;
}
