import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { systemErrorReason } from "@proxyfit/assessor";
import { loadDeployConfig } from "../config/deploy-config.js";
import { DeployConfigError, formatProblem } from "../config/field-reader.js";
import { terraformModules } from "../hcl/terraform-module.js";

const USAGE = `usage: proxyfit terraform --recommendation FILE --deploy-config FILE -o DIR

Writes the stacks of the deployment inputs as plain Terraform modules (HCL): DIR/rds-proxy and DIR/trial-proxy, each
with main.tf, variables.tf (the inputs and the recommendation's values as defaults, each saying where it came from),
outputs.tf and versions.tf.

options:
  --recommendation FILE   the recommendation (proxyfit assess --format recommendation); default: the inputs' own
  --deploy-config FILE    the deployment inputs (docs/deploy.md)
  -o, --output DIR        where the modules go
`;

/** `proxyfit terraform`: exit 0 when written, 2 on bad arguments or inputs (one line per problem, naming file and field). */
export async function runTerraform(argv: string[]): Promise<number> {
  let options: { recommendation?: string; "deploy-config"?: string; output?: string; help?: boolean };
  try {
    options = parseArgs({
      args: argv,
      strict: true,
      options: {
        recommendation: { type: "string" },
        "deploy-config": { type: "string" },
        output: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`proxyfit terraform: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!options["deploy-config"] || !options.output) {
    process.stderr.write(`proxyfit terraform: ${options["deploy-config"] ? "-o DIR" : "--deploy-config FILE"} is required\n${USAGE}`);
    return 2;
  }

  let modules: ReturnType<typeof terraformModules>;
  try {
    const env = options.recommendation ? { PROXYFIT_RECOMMENDATION: resolve(options.recommendation) } : {};
    modules = terraformModules(loadDeployConfig(options["deploy-config"], { env }));
  } catch (error) {
    if (!(error instanceof DeployConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`proxyfit terraform: ${formatProblem(problem).trim()}\n`);
    return 2;
  }
  for (const module of modules) {
    const dir = join(options.output, module.name);
    try {
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(module.files)) writeFileSync(join(dir, file), text);
    } catch (error) {
      process.stderr.write(`proxyfit terraform: ${dir}: cannot write the module (-o): ${systemErrorReason(error) ?? (error as Error).message}\n`);
      return 2;
    }
    process.stdout.write(`${relative(process.cwd(), dir) || "."}: ${Object.keys(module.files).join(", ")}\n`);
  }
  return 0;
}
