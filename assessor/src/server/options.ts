import type { AssessOptions } from "../assess.js";
import { ASSESS_OPTIONS, parseFlag } from "../options/assess-options.js";
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
  /** Throws an InputError naming the field, which the problem document reports as badOption. */
  parse(value: string, field: string): unknown;
}

/**
 * Field name (the CLI flag without dashes) to option: the assessment's options as the CLI has them, plus what only
 * the API has. Documented in docs/api.md and the OpenAPI description.
 */
export const OPTION_FIELDS: Readonly<Record<string, OptionSpec>> = {
  ...Object.fromEntries(
    Object.entries(ASSESS_OPTIONS).map(([field, spec]) => [field, { key: spec.key as OptionKey, about: spec.about, parse: spec.parse }]),
  ),
  "live-pricing": {
    key: "livePricing",
    about: "prices from the AWS Price List API the server is configured for (true | false)",
    parse: parseFlag,
  },
  "keep-samples": { key: "keepSamples", about: "keep raw log line samples in the stored report", parse: parseFlag },
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
