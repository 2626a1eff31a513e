import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildApp } from "./app.js";
import { loadDeployConfig } from "./config/deploy-config.js";
import { DeployConfigError } from "./config/field-reader.js";

/**
 * The cdktf app (cdktf.json "app"). Reads the deployment inputs from PROXYFIT_DEPLOY_CONFIG, else proxyfit.deploy.json
 * in the working directory, else the bundled sample (a first run on a fresh clone works, and says what it used).
 */
const DEFAULT_INPUTS = "proxyfit.deploy.json";
const SAMPLE_INPUTS = join("samples", "postgres-instance.deploy.json");

try {
  buildApp(loadDeployConfig(inputsFile())).synth();
} catch (error) {
  if (!(error instanceof DeployConfigError)) throw error;
  process.stderr.write(`proxyfit: ${error.message}\n`);
  process.exitCode = 1;
}

function inputsFile(): string {
  const chosen = process.env.PROXYFIT_DEPLOY_CONFIG;
  if (chosen || existsSync(DEFAULT_INPUTS)) return chosen || DEFAULT_INPUTS;
  const sample = join(packageDir(), SAMPLE_INPUTS);
  process.stdout.write(
    `proxyfit: no ${DEFAULT_INPUTS} here, so this synthesizes the bundled sample ${relative(process.cwd(), sample)}; ` +
      "set PROXYFIT_DEPLOY_CONFIG to your own deployment inputs (docs/deploy.md)\n",
  );
  return sample;
}

/** The package's folder, from this module's place under src/ or under the compiled app in dist/synth-app/. */
function packageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, SAMPLE_INPUTS)) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
