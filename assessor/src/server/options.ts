import type { AssessOptions } from "../assess.js";
import { FORMAT_IDS } from "../formats/index.js";
import { PROFILES } from "../rules/rulebook.js";
import { HttpProblem } from "./problem.js";

/**
 * The options an upload may carry, named like the flags of `proxyfit assess` (without the dashes). They come as
 * query parameters with a raw body, or as form fields with multipart/form-data. camelCase spellings are accepted too.
 */
export interface RequestOptions {
  assess: AssessOptions;
  /** Keep raw log line samples (inputs[].problems[].text) in the stored report. Off by default: logs hold customer data. */
  keepSamples: boolean;
  /** The options as asked for, stored with the assessment. */
  asked: Record<string, string>;
}

/** livePricing is a flag here: which endpoint it asks is the server operator's choice, never a client's. */
type OptionKey = Exclude<keyof AssessOptions, "onProgress" | "signal" | "configs"> | "keepSamples";

interface OptionSpec {
  key: OptionKey;
  about: string;
  parse(value: string, field: string): string | number | boolean;
}

const oneOf =
  (allowed: readonly string[]) =>
  (value: string, field: string): string => {
    if (!allowed.includes(value)) {
      throw new HttpProblem("badOption", `${field}: "${value}" is not one of ${allowed.join(", ")}`, { field });
    }
    return value;
  };

const text = (value: string, field: string): string => {
  if (value.trim() === "") throw new HttpProblem("badOption", `${field}: empty value`, { field });
  return value;
};

/** The ranges are those of `proxyfit assess`. */
const wholeNumber =
  (min: number, max: number) =>
  (value: string, field: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new HttpProblem("badOption", `${field}: "${value}" is not a whole number from ${min} to ${max}`, { field });
    }
    return number;
  };

const flag = (value: string, field: string): boolean => {
  if (["true", "1", "yes", ""].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new HttpProblem("badOption", `${field}: "${value}" is not true or false`, { field });
};

/** Field name (the CLI flag without dashes) to option. Documented in docs/api.md and the OpenAPI description. */
export const OPTION_FIELDS: Readonly<Record<string, OptionSpec>> = {
  engine: { key: "engine", about: "postgresql | mysql (default: from the logs)", parse: oneOf(["postgresql", "mysql"]) },
  "log-format": { key: "logFormat", about: `${FORMAT_IDS.join(" | ")} (default: detected)`, parse: oneOf(FORMAT_IDS) },
  prefix: { key: "prefix", about: "PostgreSQL log_line_prefix of stderr logs (default: inferred)", parse: text },
  profile: { key: "profile", about: `${PROFILES.join(" | ")} (default rds-proxy)`, parse: oneOf(PROFILES) },
  "instance-class": { key: "instanceClass", about: "target DB instance class, e.g. db.r6g.large", parse: text },
  "engine-version": { key: "engineVersion", about: "target engine version, e.g. 15.4", parse: text },
  region: { key: "region", about: "AWS region for prices, e.g. us-east-1", parse: text },
  "max-connections": {
    key: "maxConnections",
    about: "the target's max_connections (default: RDS's formula for instance-class)",
    parse: wholeNumber(1, 262_143),
  },
  "max-connections-percent": {
    key: "maxConnectionsPercent",
    about: "RDS Proxy's max_connections_percent for the replay (default 100)",
    parse: wholeNumber(1, 100),
  },
  aurora: { key: "aurora", about: "the target is an Aurora cluster (true | false)", parse: flag },
  "serverless-v2-acu": {
    key: "serverlessV2Acu",
    about: "the target is Aurora Serverless v2 with this maximum ACU",
    parse: wholeNumber(1, 256),
  },
  "live-pricing": {
    key: "livePricing",
    about: "prices from the AWS Price List API the server is configured for (true | false)",
    parse: flag,
  },
  "keep-samples": { key: "keepSamples", about: "keep raw log line samples in the stored report", parse: flag },
};

const CAMEL_CASE = new Map(
  Object.keys(OPTION_FIELDS).map((field) => [field.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()), field]),
);

/** The field's canonical (CLI) name, or undefined when it is not an option. */
export function optionField(name: string): string | undefined {
  if (name in OPTION_FIELDS) return name;
  return CAMEL_CASE.get(name);
}

/** Validates name/value pairs into options. Throws HttpProblem("badOption") naming the field. */
export function parseRequestOptions(pairs: Iterable<[string, string]>): RequestOptions {
  const assess: Record<string, unknown> = {};
  const asked: Record<string, string> = {};
  let keepSamples = false;
  for (const [name, value] of pairs) {
    const field = optionField(name);
    if (field === undefined) {
      throw new HttpProblem(
        "badOption",
        `unknown option "${name}"; expected one of ${Object.keys(OPTION_FIELDS).join(", ")}`,
        { field: name },
      );
    }
    if (field in asked) throw new HttpProblem("badOption", `${field}: given more than once`, { field });
    const spec = OPTION_FIELDS[field]!;
    const parsed = spec.parse(value, field);
    asked[field] = value;
    if (spec.key === "keepSamples") keepSamples = parsed as boolean;
    else assess[spec.key] = parsed;
  }
  return { assess: assess as AssessOptions, keepSamples, asked };
}
