import { buildApp } from "./app.js";
import { loadDeployConfig } from "./config/deploy-config.js";
import { DeployConfigError } from "./config/field-reader.js";

/**
 * The cdktf app (cdktf.json "app"). Reads the deployment inputs from PROXYFIT_DEPLOY_CONFIG (default
 * proxyfit.deploy.json in the working directory) and synthesizes the stacks they define.
 */
const inputsFile = process.env.PROXYFIT_DEPLOY_CONFIG || "proxyfit.deploy.json";
try {
  buildApp(loadDeployConfig(inputsFile)).synth();
} catch (error) {
  if (!(error instanceof DeployConfigError)) throw error;
  process.stderr.write(`proxyfit: ${error.message}\n`);
  process.exitCode = 1;
}
