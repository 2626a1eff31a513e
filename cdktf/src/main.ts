import { App } from "cdktf";
import { loadDeployConfig } from "./config/deploy-config.js";
import { DeployConfigError } from "./config/field-reader.js";
import { RecommendedProxyStack } from "./stacks/recommended-proxy-stack.js";
import { TrialProxyStack } from "./stacks/trial-proxy-stack.js";

/**
 * The cdktf app (cdktf.json "app"). Reads the deployment inputs from PROXYFIT_DEPLOY_CONFIG (default
 * proxyfit.deploy.json in the working directory) and synthesizes the stacks they define.
 */
const inputsFile = process.env.PROXYFIT_DEPLOY_CONFIG || "proxyfit.deploy.json";
try {
  const config = loadDeployConfig(inputsFile);
  const app = new App();
  if (config.recommendedProxy) new RecommendedProxyStack(app, { ...config, recommendedProxy: config.recommendedProxy });
  if (config.trialProxy) new TrialProxyStack(app, { ...config, trialProxy: config.trialProxy });
  app.synth();
} catch (error) {
  if (!(error instanceof DeployConfigError)) throw error;
  process.stderr.write(`proxyfit: ${error.message}\n`);
  process.exitCode = 1;
}
