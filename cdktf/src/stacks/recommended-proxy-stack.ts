import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { DeployConfig, RecommendedProxyInputs } from "../config/deploy-config.js";
import { RdsProxy } from "../constructs/rds-proxy.js";
import { constrainAwsProvider, setUpStack } from "./stack-setup.js";

/**
 * The RDS Proxy the assessor recommends, in front of an existing database. Settings come from the recommendation;
 * where it runs and how it logs in come from the deployment inputs (`recommendedProxy`).
 */
export class RecommendedProxyStack extends TerraformStack {
  readonly rdsProxy: RdsProxy;

  constructor(scope: Construct, config: DeployConfig & { recommendedProxy: RecommendedProxyInputs }) {
    const inputs = config.recommendedProxy;
    super(scope, inputs.stackName);
    setUpStack(this, inputs.stackName, config);
    const recommendation = config.recommendation;

    this.rdsProxy = new RdsProxy(this, "rds-proxy", {
      name: inputs.proxyName,
      region: config.region,
      engineFamily: recommendation.engine_family,
      vpcId: inputs.vpcId,
      subnetIds: inputs.subnetIds,
      applicationSecurityGroupIds: inputs.applicationSecurityGroupIds,
      target: inputs.database.target,
      database: { securityGroupId: inputs.database.securityGroupId, port: inputs.database.port },
      auth:
        inputs.auth.scheme === "SECRETS"
          ? { ...inputs.auth, clientPasswordAuthType: recommendation.client_password_auth_type }
          : inputs.auth,
      requireTls: recommendation.require_tls,
      idleClientTimeout: recommendation.idle_client_timeout,
      connectionPoolConfig: recommendation.connection_pool_config,
      readOnlyEndpoint: inputs.readOnlyEndpoint,
      ...(inputs.endpointNetworkType ? { endpointNetworkType: inputs.endpointNetworkType } : {}),
      ...(inputs.targetConnectionNetworkType ? { targetConnectionNetworkType: inputs.targetConnectionNetworkType } : {}),
      ...(inputs.applicationRole ? { applicationRole: inputs.applicationRole } : {}),
      alarms: {
        pinnedConnectionsPercent: recommendation.alarms.pinned_connections_percent,
        borrowLatencyMicroseconds: recommendation.alarms.borrow_latency_us,
        failedAuthThreshold: inputs.alarms.failedAuthThreshold,
        ...(inputs.alarms.snsTopicArn ? { snsTopicArn: inputs.alarms.snsTopicArn } : {}),
      },
      logRetentionDays: inputs.logRetentionDays,
      tags: config.tags,
    });

    const proxy = this.rdsProxy;
    constrainAwsProvider(this, proxy.newerProviderArguments);
    new TerraformOutput(this, "proxy_endpoint", {
      value: proxy.proxy.endpoint,
      description: "Host name clients connect to (read/write), on the engine's default port",
    });
    if (proxy.readOnlyEndpoint) {
      new TerraformOutput(this, "proxy_read_only_endpoint", {
        value: proxy.readOnlyEndpoint.endpoint,
        description: "Host name for read-only connections, served by the Aurora readers",
      });
    }
    new TerraformOutput(this, "proxy_arn", { value: proxy.proxy.arn });
    new TerraformOutput(this, "proxy_role_arn", { value: proxy.role.arn, description: "Role RDS Proxy assumes to log in" });
    new TerraformOutput(this, "proxy_security_group_id", { value: proxy.securityGroup.id });
    new TerraformOutput(this, "log_group_name", { value: proxy.logGroup.name, description: "The proxy's log group" });
    new TerraformOutput(this, "dashboard_name", { value: proxy.dashboard.dashboard.dashboardName });
    new TerraformOutput(this, "alarm_names", {
      value: [proxy.alarms.pinnedShare.alarmName, proxy.alarms.borrowLatency.alarmName, proxy.alarms.failedAuth.alarmName],
    });
  }
}
