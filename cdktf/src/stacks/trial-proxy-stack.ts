import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { DeployConfig, TrialProxyInputs } from "../config/deploy-config.js";
import { TrialProxy } from "../constructs/trial-proxy.js";
import { constrainAwsProvider, setUpStack } from "./stack-setup.js";

/**
 * The proxyfit trial proxy in a staging VPC, pooling with the settings the recommendation gives RDS Proxy, so a team
 * sees how its real traffic multiplexes before it pays for RDS Proxy. Inputs: `trialProxy` in the deployment inputs.
 */
export class TrialProxyStack extends TerraformStack {
  readonly trialProxy: TrialProxy;

  constructor(scope: Construct, config: DeployConfig & { trialProxy: TrialProxyInputs }) {
    const inputs = config.trialProxy;
    super(scope, inputs.stackName);
    setUpStack(this, inputs.stackName, config);
    constrainAwsProvider(this, []);
    const recommendation = config.recommendation;

    this.trialProxy = new TrialProxy(this, "trial-proxy", {
      name: inputs.name,
      region: config.region,
      vpcId: inputs.vpcId,
      subnetIds: inputs.subnetIds,
      applicationSecurityGroupIds: inputs.applicationSecurityGroupIds,
      image: inputs.image,
      cpuArchitecture: inputs.cpuArchitecture,
      cpu: inputs.cpu,
      memory: inputs.memory,
      database: inputs.database,
      connectionPoolConfig: recommendation.connection_pool_config,
      idleClientTimeout: recommendation.idle_client_timeout,
      clientPasswordAuthType: recommendation.client_password_auth_type,
      profile: inputs.profile,
      logRetentionDays: inputs.logRetentionDays,
      tags: config.tags,
    });

    const trial = this.trialProxy;
    new TerraformOutput(this, "trial_proxy_endpoint", {
      value: trial.loadBalancer.dnsName,
      description: "Host name the staging application connects to instead of the database",
    });
    new TerraformOutput(this, "trial_proxy_port", { value: trial.port });
    new TerraformOutput(this, "trial_proxy_connection_string", {
      value: `postgres://${inputs.database.user}@${trial.loadBalancer.dnsName}:${trial.port}/${inputs.database.name}`,
      description: "Connection string without the password (the same password as for the database)",
    });
    new TerraformOutput(this, "log_group_name", {
      value: trial.logGroup.name,
      description: "Proxy logs and Embedded Metric Format lines (metrics appear under the ProxyName dimension)",
    });
    new TerraformOutput(this, "ecs_cluster_name", { value: trial.cluster.name });
    new TerraformOutput(this, "ecs_service_name", { value: trial.service.name });
  }
}
