import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { TOOL_VERSION } from "../analysis/analysis.js";
import { assess } from "../assess.js";
import type { Engine } from "../events/log-event.js";
import { FORMAT_IDS } from "../formats/index.js";
import type { FormatId } from "../formats/log-format.js";
import { InputError } from "../input/input-error.js";
import { fileInput } from "../input/log-input.js";
import { renderHtml } from "../report/html.js";
import { renderMarkdown } from "../report/markdown.js";
import type { Report } from "../report/report.js";
import { renderText } from "../report/text.js";
import { PROFILES, type ProfileId } from "../rules/rulebook.js";
import { progressBar } from "./progress-bar.js";

const OUTPUT_FORMATS = ["text", "json", "md", "html", "recommendation"] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const RENDERERS: Record<OutputFormat, (report: Report) => string> = {
  text: renderText,
  json: (report) => `${JSON.stringify(report, null, 2)}\n`,
  md: renderMarkdown,
  html: renderHtml,
  recommendation: (report) => `${JSON.stringify(report.recommendation, null, 2)}\n`,
};

export const ASSESS_USAGE = `usage: proxyfit assess [options] FILE...

Reads PostgreSQL or MySQL/MariaDB logs (plain or .gz; format detected per file), rebuilds every client session,
reports which sessions RDS Proxy would pin and why, replays the connections a proxy would need, compares costs and
recommends a configuration.

output
  --format FORMAT            ${OUTPUT_FORMATS.join(" | ")} (default text)
  --output, -o FILE          write the output to FILE instead of stdout
logs
  --engine ENGINE            postgresql | mysql (default: from the logs)
  --log-format FORMAT        ${FORMAT_IDS.join(" | ")} (default: detected per file)
  --prefix PREFIX            PostgreSQL log_line_prefix of stderr logs (default: inferred from the lines)
  --profile PROFILE          ${PROFILES.join(" | ")} (default rds-proxy)
  --utc-offset OFFSET        zone of log times that carry none (MariaDB logs), e.g. +02:00 (default +00:00)
  --config FILE              a driver / ORM configuration file to check (repeatable)
target
  --instance-class CLASS     today's instance class, e.g. db.r6g.large (vCPUs for cost, default max_connections)
  --engine-version VERSION   e.g. 16.4 or 8.0.39 (MySQL 8 gets caching_sha2 auth)
  --max-connections N        the target's max_connections (default: RDS's formula for --instance-class)
  --max-connections-percent N  RDS Proxy's max_connections_percent for the replay (default 100)
  --aurora                   the target is an Aurora cluster
  --serverless-v2-acu N      the target is Aurora Serverless v2 with this maximum ACU
pricing
  --region REGION            AWS region for prices (default us-east-1)
  --live-pricing             prices from the AWS Price List API (default credential chain) instead of the built-in table
  --pricing-endpoint URL     the Price List API endpoint to use with --live-pricing
other
  --help, -h                 this text
  --version                  the proxyfit version

docs: docs/cli.md (options), docs/report.md (fields), docs/rules.md (rule ids), docs/recommendation.md
`;

/** `proxyfit assess`: returns the exit code (0 done, 2 bad input or usage, 1 unexpected failure). */
export async function runAssess(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    process.stderr.write(`proxyfit assess: ${(error as Error).message}\n\n${ASSESS_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    process.stdout.write(ASSESS_USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${TOOL_VERSION}\n`);
    return 0;
  }
  const bar = progressBar(process.stderr);
  try {
    const format = oneOf(values.format ?? "text", OUTPUT_FORMATS, "--format");
    const engine = values.engine === undefined ? undefined : oneOf(values.engine, ["postgresql", "mysql"], "--engine");
    const logFormat =
      values["log-format"] === undefined ? undefined : oneOf(values["log-format"], FORMAT_IDS, "--log-format");
    const profile = values.profile === undefined ? undefined : oneOf(values.profile, PROFILES, "--profile");
    if (positionals.length === 0) throw new InputError("no log file given", { field: "FILE" });
    const inputs = await Promise.all(
      positionals.map((path) =>
        fileInput(path).catch((error: NodeJS.ErrnoException) => {
          throw new InputError(error.code === "ENOENT" ? "no such file" : error.message, { file: path });
        }),
      ),
    );
    const configs = await Promise.all(
      (values.config ?? []).map(async (path) => ({
        name: path,
        text: await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
          throw new InputError(error.code === "ENOENT" ? "no such file" : error.message, { file: path, field: "--config" });
        }),
      })),
    );
    const report = await assess(inputs, {
      engine: engine as Engine | undefined,
      logFormat: logFormat as FormatId | undefined,
      prefix: values.prefix,
      utcOffsetMinutes: utcOffset(values["utc-offset"]),
      profile: profile as ProfileId | undefined,
      configs,
      instanceClass: values["instance-class"],
      engineVersion: values["engine-version"],
      region: values.region,
      maxConnections: wholeNumber(values["max-connections"], "--max-connections", 1, 262_143),
      maxConnectionsPercent: wholeNumber(values["max-connections-percent"], "--max-connections-percent", 1, 100),
      aurora: values.aurora,
      serverlessV2Acu: wholeNumber(values["serverless-v2-acu"], "--serverless-v2-acu", 1, 256),
      livePricing: values["live-pricing"]
        ? { ...(values["pricing-endpoint"] ? { endpoint: values["pricing-endpoint"] } : {}) }
        : false,
      onProgress: bar.update,
    });
    bar.done();
    const output = RENDERERS[format](report);
    if (values.output) await writeFile(values.output, output);
    else process.stdout.write(output);
    return 0;
  } catch (error) {
    bar.done();
    if (error instanceof InputError) {
      process.stderr.write(`proxyfit assess: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`proxyfit assess: unexpected failure: ${(error as Error).stack ?? error}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string" },
      output: { type: "string", short: "o" },
      engine: { type: "string" },
      "log-format": { type: "string" },
      prefix: { type: "string" },
      profile: { type: "string" },
      "utc-offset": { type: "string" },
      config: { type: "string", multiple: true },
      "instance-class": { type: "string" },
      "engine-version": { type: "string" },
      region: { type: "string" },
      "max-connections": { type: "string" },
      "max-connections-percent": { type: "string" },
      aurora: { type: "boolean" },
      "serverless-v2-acu": { type: "string" },
      "live-pricing": { type: "boolean" },
      "pricing-endpoint": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
}

function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError(`"${value}" is not one of ${allowed.join(", ")}`, { field });
  }
  return value as T;
}

function wholeNumber(value: string | undefined, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`"${value}" is not a whole number from ${min} to ${max}`, { field });
  }
  return n;
}

/** "+02:00", "-0530", "+2" or "0" → minutes east of UTC. */
function utcOffset(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^([+-]?)(\d{1,2})(?::?(\d{2}))?$/.exec(value.trim());
  const hours = match ? Number(match[2]) : Number.NaN;
  const minutes = match?.[3] === undefined ? 0 : Number(match[3]);
  if (!match || hours > 14 || minutes > 59) {
    throw new InputError(`"${value}" is not a UTC offset such as +02:00 or -05:30`, { field: "--utc-offset" });
  }
  return (match[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
}
