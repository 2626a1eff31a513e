import { isAbsolute, relative } from "node:path";
import type { DeployConfig } from "../config/deploy-config.js";

/** A variable of a generated module, with its default and where that default came from. */
export interface ModuleVariable {
  name: string;
  type: string;
  description: string;
  value: unknown;
  /** Comment lines above the variable: the file and field of the default, and the assessment's figures behind it. */
  source: string[];
  /** Attribute paths (`type.name.attribute...`) the variable replaces. */
  paths?: string[];
  /** Replace this value (or each item of a list) wherever it appears: ids, ARNs, names. */
  matchValue?: boolean;
  /** Replace the value of the container environment entry with this name. */
  environmentName?: string;
}

type Inputs = { file: string; field: string };

function fromInputs(config: DeployConfig, field: string, name: string, type: string, description: string, value: unknown): ModuleVariable {
  return { name, type, description, value, matchValue: true, source: [`From the deployment inputs (${fileName(config, { file: config.file, field })}).`] };
}

/** A file as the reader knows it (relative to the working directory), or the name that stands for a document. */
function fileName(config: DeployConfig, inputs: Inputs): string {
  const file = isAbsolute(inputs.file) ? relative(process.cwd(), inputs.file) || config.file : inputs.file;
  return `${file}, ${inputs.field}`;
}

/** The recommendation's value, with the assessor's reasons that mention the field (its figures). */
function fromRecommendation(
  config: DeployConfig,
  field: string,
  name: string,
  type: string,
  description: string,
  value: unknown,
  where: { paths?: string[]; environmentName?: string },
): ModuleVariable {
  const key = field.split(".").at(-1)!;
  const reasons = config.recommendation.reasons.filter((reason) => reason.includes(key));
  return {
    name,
    type,
    description,
    value,
    ...where,
    source: [
      `From the recommendation (${fileName(config, { file: config.recommendationFile, field })}).`,
      ...reasons.map((reason) => `Assessment: ${reason}`),
    ],
  };
}

const list = (type: string) => `list(${type})`;

export function rdsProxyVariables(config: DeployConfig): ModuleVariable[] {
  const inputs = config.recommendedProxy!;
  const recommendation = config.recommendation;
  const pool = recommendation.connection_pool_config;
  const at = (field: string) => `recommendedProxy.${field}`;
  const targetGroup = "aws_db_proxy_default_target_group.this.connection_pool_config";
  const variables: ModuleVariable[] = [
    fromInputs(config, at("proxyName"), "name", "string", "Name of the proxy; prefixes its role, security group, endpoint and alarms", inputs.proxyName),
    fromInputs(config, at("vpcId"), "vpc_id", "string", "VPC of the database", inputs.vpcId),
    fromInputs(config, at("subnetIds"), "subnet_ids", list("string"), "At least two subnets, in different Availability Zones", inputs.subnetIds),
    fromInputs(
      config,
      at("applicationSecurityGroupIds"),
      "application_security_group_ids",
      list("string"),
      "Security groups of the clients, each admitted on the engine port (one rule per group: regenerate to change how many)",
      inputs.applicationSecurityGroupIds,
    ),
    fromInputs(config, at("database.securityGroupId"), "database_security_group_id", "string", "A security group of the database; gets an ingress rule from the proxy", inputs.database.securityGroupId),
    fromInputs(
      config,
      at(inputs.database.target.kind === "instance" ? "database.instanceIdentifier" : "database.clusterIdentifier"),
      inputs.database.target.kind === "instance" ? "db_instance_identifier" : "db_cluster_identifier",
      "string",
      inputs.database.target.kind === "instance" ? "The RDS instance behind the proxy" : "The Aurora cluster behind the proxy",
      inputs.database.target.identifier,
    ),
  ];
  if (inputs.auth.scheme === "SECRETS") {
    variables.push(
      fromInputs(config, at("auth.secretArns"), "secret_arns", list("string"), "Secrets Manager secrets the proxy logs in with, one per database user (one auth block per secret: regenerate to change how many)", inputs.auth.secretArns),
    );
    if (inputs.auth.kmsKeyArn) variables.push(fromInputs(config, at("auth.kmsKeyArn"), "kms_key_arn", "string", "Customer managed key of the secrets", inputs.auth.kmsKeyArn));
  }
  if (inputs.alarms.snsTopicArn) {
    variables.push(fromInputs(config, at("alarms.snsTopicArn"), "sns_topic_arn", "string", "SNS topic for alarm and OK notifications", inputs.alarms.snsTopicArn));
  }
  variables.push({
    ...fromInputs(config, at("logRetentionDays"), "log_retention_days", "number", "Days CloudWatch Logs keeps the proxy's log group", inputs.logRetentionDays),
    matchValue: false,
    paths: ["aws_cloudwatch_log_group.this.retention_in_days"],
  });
  variables.push(
    fromRecommendation(config, "connection_pool_config.max_connections_percent", "max_connections_percent", "number", "Share of the database's max_connections the proxy may open", pool.max_connections_percent, { paths: [`${targetGroup}.max_connections_percent`] }),
    fromRecommendation(config, "connection_pool_config.max_idle_connections_percent", "max_idle_connections_percent", "number", "Share of max_connections the proxy keeps open while idle", pool.max_idle_connections_percent, { paths: [`${targetGroup}.max_idle_connections_percent`] }),
    fromRecommendation(config, "connection_pool_config.connection_borrow_timeout", "connection_borrow_timeout", "number", "Seconds a client waits for a database connection", pool.connection_borrow_timeout, { paths: [`${targetGroup}.connection_borrow_timeout`] }),
    fromRecommendation(config, "idle_client_timeout", "idle_client_timeout", "number", "Seconds before an idle client connection is closed", recommendation.idle_client_timeout, { paths: ["aws_db_proxy.this.idle_client_timeout"] }),
    fromRecommendation(config, "require_tls", "require_tls", "bool", "Clients must connect over TLS", recommendation.require_tls, { paths: ["aws_db_proxy.this.require_tls"] }),
    fromRecommendation(config, "alarms.pinned_connections_percent", "pinned_connections_alarm_percent", "number", "Alarm when more than this percent of database connections are pinned", recommendation.alarms.pinned_connections_percent, { paths: ["aws_cloudwatch_metric_alarm.pinned_share.threshold"] }),
    fromRecommendation(config, "alarms.borrow_latency_us", "borrow_latency_alarm_us", "number", "Alarm when the p99 borrow latency (microseconds) is above this", recommendation.alarms.borrow_latency_us, { paths: ["aws_cloudwatch_metric_alarm.borrow_latency.threshold"] }),
  );
  return variables;
}

export function trialProxyVariables(config: DeployConfig): ModuleVariable[] {
  const inputs = config.trialProxy!;
  const recommendation = config.recommendation;
  const pool = recommendation.connection_pool_config;
  const at = (field: string) => `trialProxy.${field}`;
  return [
    fromInputs(config, at("name"), "name", "string", "Names the cluster, service, load balancer, target group, roles and log group", inputs.name),
    fromInputs(config, at("vpcId"), "vpc_id", "string", "The staging VPC", inputs.vpcId),
    fromInputs(config, at("subnetIds"), "subnet_ids", list("string"), "Private subnets of the tasks and the internal load balancer", inputs.subnetIds),
    fromInputs(
      config,
      at("applicationSecurityGroupIds"),
      "application_security_group_ids",
      list("string"),
      "Security groups of the staging clients (one rule per group: regenerate to change how many)",
      inputs.applicationSecurityGroupIds,
    ),
    fromInputs(config, at("image"), "image", "string", "The proxyfit image built from proxy/Dockerfile", inputs.image),
    fromInputs(config, at("database.host"), "database_host", "string", "Host name of the staging database", inputs.database.host),
    fromInputs(config, at("database.securityGroupId"), "database_security_group_id", "string", "A security group of the database; gets an ingress rule from the tasks", inputs.database.securityGroupId),
    fromInputs(config, at("database.credentialsSecretArn"), "credentials_secret_arn", "string", "Secret with the database username and password", inputs.database.credentialsSecretArn),
    ...(inputs.database.kmsKeyArn ? [fromInputs(config, at("database.kmsKeyArn"), "kms_key_arn", "string", "Customer managed key of the secret", inputs.database.kmsKeyArn)] : []),
    fromRecommendation(config, "connection_pool_config.max_connections_percent", "max_connections_percent", "number", "Share of the database's max_connections the proxy may open", pool.max_connections_percent, { environmentName: "PROXYFIT_MAX_CONNECTIONS_PERCENT" }),
    fromRecommendation(config, "connection_pool_config.max_idle_connections_percent", "max_idle_connections_percent", "number", "Share of max_connections kept open while idle", pool.max_idle_connections_percent, { environmentName: "PROXYFIT_MAX_IDLE_CONNECTIONS_PERCENT" }),
    fromRecommendation(config, "connection_pool_config.connection_borrow_timeout", "connection_borrow_timeout", "number", "Seconds a client waits for a database connection", pool.connection_borrow_timeout, { environmentName: "PROXYFIT_CONNECTION_BORROW_TIMEOUT" }),
    fromRecommendation(config, "idle_client_timeout", "idle_client_timeout", "number", "Seconds before an idle client connection is closed", recommendation.idle_client_timeout, { environmentName: "PROXYFIT_IDLE_CLIENT_TIMEOUT" }),
  ];
}
