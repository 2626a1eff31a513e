import { access, constants, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { TOOL_VERSION } from "../analysis/analysis.js";
import { assess } from "../assess.js";
import { InputError } from "../input/input-error.js";
import { fileInput } from "../input/log-input.js";
import { systemErrorReason } from "../input/system-error.js";
import { renderHtml } from "../report/html.js";
import { renderMarkdown } from "../report/markdown.js";
import type { Report } from "../report/report.js";
import { renderText } from "../report/text.js";
import { ASSESS_OPTIONS, readAssessOptions } from "../options/assess-options.js";
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

/** The flags only the command line has; the assessment's own options come from ASSESS_OPTIONS. */
const CLI_OPTIONS = {
  format: { type: "string" },
  output: { type: "string", short: "o" },
  config: { type: "string", multiple: true },
  "live-pricing": { type: "boolean" },
  "pricing-endpoint": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

const optionHelp = Object.entries(ASSESS_OPTIONS)
  .map(([name, spec]) => `  ${`--${name}${spec.placeholder ? ` ${spec.placeholder}` : ""}`.padEnd(32)} ${spec.about}`)
  .join("\n");

export const ASSESS_USAGE = `usage: proxyfit assess [options] FILE...

Reads PostgreSQL or MySQL/MariaDB logs (plain or .gz; format detected per file), rebuilds every client session,
reports which sessions RDS Proxy would pin and why, replays the connections a proxy would need, compares costs and
recommends a configuration.

  --format FORMAT                  output: ${OUTPUT_FORMATS.join(" | ")} (default text)
  --output, -o FILE                write the output to FILE instead of stdout
  --config FILE                    a driver / ORM configuration file to check (repeatable)
${optionHelp}
  --live-pricing                   prices from the AWS Price List API (default credential chain), not the built-in table
  --pricing-endpoint URL           the Price List API endpoint to use with --live-pricing
  --help, -h                       this text
  --version                        the proxyfit version

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
    process.stdout.write(`proxyfit ${TOOL_VERSION}\n`);
    return 0;
  }
  const bar = progressBar(process.stderr);
  try {
    const format = values.format ?? "text";
    if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
      throw new InputError(`"${format}" is not one of ${OUTPUT_FORMATS.join(", ")}`, { field: "--format" });
    }
    const options = readAssessOptions(
      Object.entries(values).filter(([name]) => name in ASSESS_OPTIONS) as Array<[string, string | boolean]>,
      (name) => `--${name}`,
    );
    if (positionals.length === 0) throw new InputError("no log file given", { field: "FILE" });
    // Checked before the logs are read: an assessment of an hour's logs must not end in "cannot write".
    if (values.output) await checkWritable(values.output);
    const inputs = await Promise.all(
      positionals.map((path) =>
        fileInput(path).catch((error: unknown) => {
          throw unreadable(error, path);
        }),
      ),
    );
    const configs = await Promise.all(
      (values.config ?? []).map(async (path) => ({
        name: path,
        text: await readFile(path, "utf8").catch((error: unknown) => {
          throw unreadable(error, path, "--config");
        }),
      })),
    );
    const report = await assess(inputs, {
      ...options,
      configs,
      livePricing: values["live-pricing"]
        ? { ...(values["pricing-endpoint"] ? { endpoint: values["pricing-endpoint"] } : {}) }
        : false,
      onProgress: bar.update,
    });
    bar.done();
    const output = RENDERERS[format as OutputFormat](report);
    if (values.output) {
      const path = values.output;
      await writeFile(path, output).catch((error: unknown) => {
        throw unwritable(error, path);
      });
    } else process.stdout.write(output);
    return 0;
  } catch (error) {
    bar.done();
    if (error instanceof InputError) {
      process.stderr.write(`proxyfit assess: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`proxyfit assess: unexpected failure (a bug: please report it): ${(error as Error).stack ?? error}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  const assessFlags = Object.fromEntries(
    Object.entries(ASSESS_OPTIONS).map(([name, spec]) => [name, { type: spec.type }]),
  ) as Record<string, { type: "string" | "boolean" }>;
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...CLI_OPTIONS, ...assessFlags } });
}

/** A file the user named that cannot be read, as the InputError that names it. */
function unreadable(error: unknown, file: string, field?: string): InputError {
  if (error instanceof InputError) return error;
  return new InputError(systemErrorReason(error) ?? (error as Error).message, { file, field });
}

/** The output file cannot be written: one line naming it, exit code 2. */
function unwritable(error: unknown, file: string): InputError {
  return new InputError(`cannot write the output (--output): ${systemErrorReason(error) ?? (error as Error).message}`, { file });
}

async function checkWritable(file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) throw new InputError("cannot write the output (--output): is a directory", { file });
  await access(info ? file : dirname(file), constants.W_OK).catch((error: unknown) => {
    throw unwritable(error, file);
  });
}
