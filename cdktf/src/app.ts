import { App } from "cdktf";
import type { DeployConfig } from "./config/deploy-config.js";
import { RecommendedProxyStack } from "./stacks/recommended-proxy-stack.js";
import { TrialProxyStack } from "./stacks/trial-proxy-stack.js";

/** The cdktf app for validated deployment inputs: one stack per section the inputs define. */
export function buildApp(config: DeployConfig, options: { outdir?: string } = {}): App {
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  if (config.recommendedProxy) new RecommendedProxyStack(app, { ...config, recommendedProxy: config.recommendedProxy });
  if (config.trialProxy) new TrialProxyStack(app, { ...config, trialProxy: config.trialProxy });
  return app;
}
