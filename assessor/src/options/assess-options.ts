import type { AssessOptions } from "../assess.js";
import { FORMAT_IDS } from "../formats/index.js";
import { InputError } from "../input/input-error.js";
import { PROFILES } from "../rules/rulebook.js";

/**
 * The options of an assessment as text (command-line flags, HTTP query parameters and form fields), one table for
 * the CLI and the API so both accept the same names, values and ranges. Each parser throws an InputError naming the
 * field as the caller spells it ("--max-connections" on the command line, "max-connections" over HTTP).
 */
export interface AssessOptionSpec {
  key: keyof AssessOptions;
  /** A flag takes no value on the command line. */
  type: "string" | "boolean";
  /** The value's shape, for help texts ("N", "CLASS", ...). */
  placeholder?: string;
  about: string;
  parse(value: string, field: string): AssessOptions[keyof AssessOptions];
}

function oneOf(allowed: readonly string[]) {
  return (value: string, field: string): string => {
    if (!allowed.includes(value)) throw new InputError(`"${value}" is not one of ${allowed.join(", ")}`, { field });
    return value;
  };
}

function text(value: string, field: string): string {
  if (value.trim() === "") throw new InputError("empty value", { field });
  return value;
}

function wholeNumber(min: number, max: number) {
  return (value: string, field: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InputError(`"${value}" is not a whole number from ${min} to ${max}`, { field });
    }
    return number;
  };
}

/** true/1/yes (or no value) and false/0/no. */
export function parseFlag(value: string, field: string): boolean {
  if (["true", "1", "yes", ""].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new InputError(`"${value}" is not true or false`, { field });
}

/** "+02:00", "-0530", "+2" or "0" → minutes east of UTC. */
function utcOffset(value: string, field: string): number {
  const match = /^([+-]?)(\d{1,2})(?::?(\d{2}))?$/.exec(value.trim());
  const hours = match ? Number(match[2]) : Number.NaN;
  const minutes = match?.[3] === undefined ? 0 : Number(match[3]);
  if (!match || hours > 14 || minutes > 59) {
    throw new InputError(`"${value}" is not a UTC offset such as +02:00 or -05:30`, { field });
  }
  return (match[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
}

/** Option name (the CLI flag without dashes) → how to read it. Documented in docs/cli.md and docs/api.md. */
export const ASSESS_OPTIONS: Readonly<Record<string, AssessOptionSpec>> = {
  engine: {
    key: "engine",
    type: "string",
    placeholder: "ENGINE",
    about: "postgresql | mysql (default: from the logs)",
    parse: oneOf(["postgresql", "mysql"]),
  },
  "log-format": {
    key: "logFormat",
    type: "string",
    placeholder: "FORMAT",
    about: `${FORMAT_IDS.join(" | ")} (default: detected per file)`,
    parse: oneOf(FORMAT_IDS),
  },
  prefix: {
    key: "prefix",
    type: "string",
    placeholder: "PREFIX",
    about: "PostgreSQL log_line_prefix of stderr logs (default: inferred from the lines)",
    parse: text,
  },
  "utc-offset": {
    key: "utcOffsetMinutes",
    type: "string",
    placeholder: "OFFSET",
    about: "zone of log times that carry none (MariaDB logs), e.g. +02:00 (default +00:00)",
    parse: utcOffset,
  },
  profile: {
    key: "profile",
    type: "string",
    placeholder: "PROFILE",
    about: `${PROFILES.join(" | ")} (default rds-proxy)`,
    parse: oneOf(PROFILES),
  },
  "instance-class": {
    key: "instanceClass",
    type: "string",
    placeholder: "CLASS",
    about: "today's instance class, e.g. db.r6g.large (vCPUs for cost, default max_connections)",
    parse: text,
  },
  "engine-version": {
    key: "engineVersion",
    type: "string",
    placeholder: "VERSION",
    about: "e.g. 16.4 or 8.0.39 (MySQL 8 gets caching_sha2 auth)",
    parse: text,
  },
  "max-connections": {
    key: "maxConnections",
    type: "string",
    placeholder: "N",
    about: "the target's max_connections (default: RDS's formula for the instance class)",
    parse: wholeNumber(1, 262_143),
  },
  "max-connections-percent": {
    key: "maxConnectionsPercent",
    type: "string",
    placeholder: "N",
    about: "RDS Proxy's max_connections_percent for the replay (default 100)",
    parse: wholeNumber(1, 100),
  },
  aurora: { key: "aurora", type: "boolean", about: "the target is an Aurora cluster", parse: parseFlag },
  "serverless-v2-acu": {
    key: "serverlessV2Acu",
    type: "string",
    placeholder: "N",
    about: "the target is Aurora Serverless v2 with this maximum ACU",
    parse: wholeNumber(1, 256),
  },
  region: {
    key: "region",
    type: "string",
    placeholder: "REGION",
    about: "AWS region for prices (default us-east-1)",
    parse: text,
  },
};

/** Reads named text values into AssessOptions; `spell` gives the field's name as the caller's users write it. */
export function readAssessOptions(
  values: Iterable<[string, string | boolean]>,
  spell: (name: string) => string = (name) => name,
): Partial<AssessOptions> {
  const options: Record<string, unknown> = {};
  for (const [name, value] of values) {
    const spec = ASSESS_OPTIONS[name];
    if (!spec) throw new InputError(`unknown option`, { field: spell(name) });
    options[spec.key] = spec.parse(value === true ? "" : String(value), spell(name));
  }
  return options as Partial<AssessOptions>;
}
