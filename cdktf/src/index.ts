export { buildApp } from "./app.js";
export {
  type DeployConfig,
  DEFAULT_STACK_NAMES,
  type IamAuthInputs,
  loadDeployConfig,
  type NetworkInputs,
  type ProxyTarget,
  parseDeployConfig,
  type RecommendedProxyInputs,
  type SecretsAuthInputs,
  type StateBackendInputs,
  type TrialProxyInputs,
} from "./config/deploy-config.js";
export { type ConfigProblem, DeployConfigError } from "./config/field-reader.js";
export type { DeployableRecommendation } from "./config/recommendation-file.js";
export { RdsProxy, type RdsProxyAuth, type RdsProxyProps } from "./constructs/rds-proxy.js";
export { RdsProxyAlarms, type RdsProxyAlarmsProps } from "./constructs/rds-proxy-alarms.js";
export { RdsProxyDashboard, type RdsProxyDashboardProps } from "./constructs/rds-proxy-dashboard.js";
export { MANAGED_BY_TAG, TagResources } from "./constructs/tags.js";
export { TrialProxy, type TrialProxyProps } from "./constructs/trial-proxy.js";
export { RecommendedProxyStack } from "./stacks/recommended-proxy-stack.js";
export { TrialProxyStack } from "./stacks/trial-proxy-stack.js";
