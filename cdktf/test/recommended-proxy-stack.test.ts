import { Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { expectResource, policy, resourceCounts, SAMPLES, single, type SynthesizedStack, synthSample } from "./synth-samples.js";

/** Resource types whose Terraform schema has no tags. */
const UNTAGGABLE = new Set(["aws_iam_role_policy", "aws_db_proxy_default_target_group", "aws_db_proxy_target", "aws_cloudwatch_dashboard"]);

function expectTaggedEverywhere(stack: SynthesizedStack, tags: Record<string, string>): void {
  for (const [type, byId] of Object.entries(stack.resources)) {
    if (UNTAGGABLE.has(type)) continue;
    for (const [id, resource] of Object.entries(byId)) {
      expect(resource.tags, `${type}.${id} tags`).toEqual({ "managed-by": "proxyfit", ...tags });
    }
  }
}

/** A Terraform reference to the (only) resource or data source of a type, as it appears in synthesized JSON. */
const ref = (type: string, stack: SynthesizedStack, attribute: string) => `\${${type}.${Object.keys(stack.resources[type] ?? {})[0]}.${attribute}}`;
const dataRef = (type: string, stack: SynthesizedStack, attribute: string) =>
  `\${data.${type}.${Object.keys(stack.data[type] ?? {})[0]}.${attribute}}`;

describe("RecommendedProxyStack: RDS for PostgreSQL instance, secrets auth (samples/postgres-instance)", () => {
  const { rds } = synthSample("postgres-instance");
  const stack = rds!;
  const proxyGroup = ref("aws_security_group", stack, "id");
  const secrets = [
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/app-AbCdEf",
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/reporting-GhIjKl",
  ];

  test("creates exactly the proxy, its pool, target, role, security group and alarms", () => {
    expect(resourceCounts(stack)).toEqual({
      aws_db_proxy: 1,
      aws_db_proxy_default_target_group: 1,
      aws_db_proxy_target: 1,
      aws_iam_role: 1,
      aws_iam_role_policy: 1,
      aws_security_group: 1,
      aws_vpc_security_group_ingress_rule: 2,
      aws_vpc_security_group_egress_rule: 1,
      aws_cloudwatch_metric_alarm: 3,
      aws_cloudwatch_log_group: 1,
      aws_cloudwatch_dashboard: 1,
    });
    expect(stack.data).toEqual({});
  });

  test("the proxy: engine family, one auth block per secret, TLS, idle timeout, no debug logging", () => {
    const proxy = single(stack, "aws_db_proxy");
    expect(proxy).toMatchObject({
      name: "orders-proxy",
      engine_family: "POSTGRESQL",
      require_tls: true,
      idle_client_timeout: 1800,
      debug_logging: false,
      vpc_subnet_ids: ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"],
      vpc_security_group_ids: [proxyGroup],
      role_arn: ref("aws_iam_role", stack, "arn"),
      auth: secrets.map((secret_arn) => ({
        auth_scheme: "SECRETS",
        secret_arn,
        iam_auth: "DISABLED",
        client_password_auth_type: "POSTGRES_SCRAM_SHA_256",
      })),
    });
    expect(proxy.default_auth_scheme).toBeUndefined();
    // The role's policy exists before the proxy first reads the secrets.
    expect(proxy.depends_on).toEqual([
      `aws_iam_role_policy.${Object.keys(stack.resources.aws_iam_role_policy!)[0]}`,
      `aws_cloudwatch_log_group.${Object.keys(stack.resources.aws_cloudwatch_log_group!)[0]}`,
    ]);
  });

  test("the default target group carries the whole connection_pool_config of the recommendation", () => {
    expectResource(stack, "aws_db_proxy_default_target_group", {
      db_proxy_name: ref("aws_db_proxy", stack, "name"),
      connection_pool_config: {
        max_connections_percent: 90,
        max_idle_connections_percent: 45,
        connection_borrow_timeout: 120,
        init_query: "SET statement_timeout = '30s'",
        session_pinning_filters: [],
      },
    });
  });

  test("the target is the instance", () => {
    const target = single(stack, "aws_db_proxy_target");
    expect(target).toEqual({
      db_proxy_name: ref("aws_db_proxy", stack, "name"),
      target_group_name: ref("aws_db_proxy_default_target_group", stack, "name"),
      db_instance_identifier: "orders-db",
    });
  });

  test("the role trusts rds.amazonaws.com and reads exactly the given secrets, decrypting only via Secrets Manager", () => {
    const role = single(stack, "aws_iam_role");
    expect(role.name).toBe("orders-proxy-rds-proxy");
    expect(policy(role, "assume_role_policy").Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const rolePolicy = single(stack, "aws_iam_role_policy");
    expect(rolePolicy.role).toBe(ref("aws_iam_role", stack, "id"));
    expect(policy(rolePolicy).Statement).toEqual([
      {
        Sid: "ReadDatabaseSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: secrets,
      },
      {
        Sid: "DecryptDatabaseSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
      },
    ]);
  });

  test("the security group admits the application on 5432 and reaches the database, which admits the proxy", () => {
    expectResource(stack, "aws_security_group", { name: "orders-proxy-rds-proxy", vpc_id: "vpc-0a1b2c3d4e5f60718" });
    // No inline rules: Terraform removes the default allow-all egress, so the proxy reaches only the database.
    expect(single(stack, "aws_security_group").egress).toBeUndefined();
    expectResource(stack, "aws_vpc_security_group_ingress_rule", {
      security_group_id: proxyGroup,
      referenced_security_group_id: "sg-0123456789abcdef0",
      ip_protocol: "tcp",
      from_port: 5432,
      to_port: 5432,
    });
    expectResource(stack, "aws_vpc_security_group_egress_rule", {
      security_group_id: proxyGroup,
      referenced_security_group_id: "sg-0fedcba9876543210",
      ip_protocol: "tcp",
      from_port: 5432,
      to_port: 5432,
    });
    expectResource(stack, "aws_vpc_security_group_ingress_rule", {
      security_group_id: "sg-0fedcba9876543210",
      referenced_security_group_id: proxyGroup,
      ip_protocol: "tcp",
      from_port: 5432,
      to_port: 5432,
    });
  });

  test("alarms: pinned share of DatabaseConnections, p99 borrow latency, failed logins, all to the SNS topic", () => {
    const topic = ["arn:aws:sns:us-east-1:111122223333:orders-db-alerts"];
    const perMinute = { namespace: "AWS/RDS", period: 60, stat: "Average", dimensions: { ProxyName: "orders-proxy" } };
    expectResource(stack, "aws_cloudwatch_metric_alarm", {
      alarm_name: "orders-proxy-pinned-connections",
      comparison_operator: "GreaterThanThreshold",
      threshold: 20,
      evaluation_periods: 5,
      datapoints_to_alarm: 5,
      treat_missing_data: "notBreaching",
      alarm_actions: topic,
      ok_actions: topic,
      metric_query: [
        { id: "pinned", return_data: false, metric: { ...perMinute, metric_name: "DatabaseConnectionsCurrentlySessionPinned" } },
        { id: "connections", return_data: false, metric: { ...perMinute, metric_name: "DatabaseConnections" } },
        { id: "pinned_percent", return_data: true, expression: "IF(connections > 0, 100 * pinned / connections, 0)" },
      ],
    });
    expectResource(stack, "aws_cloudwatch_metric_alarm", {
      alarm_name: "orders-proxy-borrow-latency",
      namespace: "AWS/RDS",
      metric_name: "DatabaseConnectionsBorrowLatency",
      dimensions: { ProxyName: "orders-proxy" },
      extended_statistic: "p99",
      period: 60,
      threshold: 50000,
      comparison_operator: "GreaterThanThreshold",
      alarm_actions: topic,
      ok_actions: topic,
    });
    expectResource(stack, "aws_cloudwatch_metric_alarm", {
      alarm_name: "orders-proxy-failed-logins",
      namespace: "AWS/RDS",
      metric_name: "ClientConnectionsSetupFailedAuth",
      dimensions: { ProxyName: "orders-proxy" },
      statistic: "Sum",
      period: 300,
      threshold: 5,
      evaluation_periods: 1,
      alarm_actions: topic,
    });
  });

  test("every taggable resource carries the inputs' tags and managed-by", () => {
    expectTaggedEverywhere(stack, { team: "orders", environment: "production" });
  });

  test("outputs the endpoint, ARNs, security group, log group, dashboard and alarm names, and no read-only endpoint", () => {
    expect(Object.keys(stack.outputs).sort()).toEqual([
      "alarm_names",
      "dashboard_name",
      "log_group_name",
      "proxy_arn",
      "proxy_endpoint",
      "proxy_role_arn",
      "proxy_security_group_id",
    ]);
    expect(stack.outputs.proxy_endpoint!.value).toBe(ref("aws_db_proxy", stack, "endpoint"));
  });
});

describe("RecommendedProxyStack: Aurora MySQL cluster with a read-only endpoint (samples/aurora-mysql-cluster)", () => {
  const { rds } = synthSample("aurora-mysql-cluster");
  const stack = rds!;
  const proxyGroup = ref("aws_security_group", stack, "id");

  test("creates the read-only endpoint besides the proxy, two application rules and no KMS statement", () => {
    expect(resourceCounts(stack)).toEqual({
      aws_db_proxy: 1,
      aws_db_proxy_default_target_group: 1,
      aws_db_proxy_target: 1,
      aws_db_proxy_endpoint: 1,
      aws_iam_role: 1,
      aws_iam_role_policy: 1,
      aws_security_group: 1,
      aws_vpc_security_group_ingress_rule: 3,
      aws_vpc_security_group_egress_rule: 1,
      aws_cloudwatch_metric_alarm: 3,
      aws_cloudwatch_log_group: 1,
      aws_cloudwatch_dashboard: 1,
    });
    expect(policy(single(stack, "aws_iam_role_policy")).Statement.map((s) => s.Sid)).toEqual(["ReadDatabaseSecrets"]);
  });

  test("MySQL engine family and auth type, session pinning filters, cluster target", () => {
    expectResource(stack, "aws_db_proxy", {
      name: "checkout-proxy",
      engine_family: "MYSQL",
      idle_client_timeout: 900,
      auth: [
        {
          auth_scheme: "SECRETS",
          iam_auth: "DISABLED",
          client_password_auth_type: "MYSQL_NATIVE_PASSWORD",
          secret_arn: "arn:aws:secretsmanager:eu-west-1:444455556666:secret:checkout/lambda-QrStUv",
        },
      ],
    });
    expect(single(stack, "aws_db_proxy_default_target_group").connection_pool_config).toEqual({
      max_connections_percent: 85,
      max_idle_connections_percent: 40,
      connection_borrow_timeout: 30,
      session_pinning_filters: ["EXCLUDE_VARIABLE_SETS"],
    });
    const target = single(stack, "aws_db_proxy_target");
    expect(target.db_cluster_identifier).toBe("checkout-aurora");
    expect(target.db_instance_identifier).toBeUndefined();
  });

  test("the read-only endpoint uses the proxy's subnets and security group", () => {
    expect(single(stack, "aws_db_proxy_endpoint")).toMatchObject({
      db_proxy_name: ref("aws_db_proxy", stack, "name"),
      db_proxy_endpoint_name: "checkout-proxy-ro",
      target_role: "READ_ONLY",
      vpc_subnet_ids: ["subnet-0a1a2a3a4a5a6a7a8", "subnet-0b1b2b3b4b5b6b7b8", "subnet-0c1c2c3c4c5c6c7c8"],
      vpc_security_group_ids: [proxyGroup],
    });
    expect(stack.outputs.proxy_read_only_endpoint!.value).toBe(ref("aws_db_proxy_endpoint", stack, "endpoint"));
  });

  test("each application security group is admitted on 3306", () => {
    for (const group of ["sg-0c0c0c0c0c0c0c0c0", "sg-0d0d0d0d0d0d0d0d0"]) {
      expectResource(stack, "aws_vpc_security_group_ingress_rule", {
        security_group_id: proxyGroup,
        referenced_security_group_id: group,
        from_port: 3306,
        to_port: 3306,
      });
    }
    expectResource(stack, "aws_vpc_security_group_ingress_rule", {
      security_group_id: "sg-0e0e0e0e0e0e0e0e0",
      referenced_security_group_id: proxyGroup,
      from_port: 3306,
    });
  });

  test("alarms use the recommendation's thresholds and have no actions without a topic", () => {
    const alarms = Object.values(stack.resources.aws_cloudwatch_metric_alarm!);
    expect(alarms.map((a) => [a.alarm_name, a.threshold])).toEqual([
      ["checkout-proxy-borrow-latency", 20000],
      ["checkout-proxy-failed-logins", 20],
      ["checkout-proxy-pinned-connections", 10],
    ]);
    for (const alarm of alarms) expect(alarm.alarm_actions).toBeUndefined();
  });

  test("state goes to the S3 backend named in the inputs", () => {
    expect(JSON.parse(stack.json).terraform.backend).toEqual({
      s3: {
        bucket: "checkout-terraform-state",
        key: "proxyfit/checkout-rds-proxy.tfstate",
        region: "eu-west-1",
        encrypt: true,
        dynamodb_table: "terraform-locks",
      },
    });
  });

  test("every taggable resource is tagged", () => {
    expectTaggedEverywhere(stack, { team: "checkout" });
  });
});

describe("RecommendedProxyStack: end-to-end IAM to an Aurora PostgreSQL cluster (samples/iam-end-to-end)", () => {
  const { rds } = synthSample("iam-end-to-end");
  const stack = rds!;
  const partition = dataRef("aws_partition", stack, "partition");
  const account = dataRef("aws_caller_identity", stack, "account_id");

  test("the proxy uses default_auth_scheme IAM_AUTH and no secrets", () => {
    const proxy = single(stack, "aws_db_proxy");
    expect(proxy.default_auth_scheme).toBe("IAM_AUTH");
    expect(proxy.auth).toBeUndefined();
    expect(proxy.require_tls).toBe(true);
  });

  test("the proxy's role may connect to the cluster as the listed users, found by cluster resource id", () => {
    expect(Testing.toHaveDataSourceWithProperties(stack.json, "aws_rds_cluster", { cluster_identifier: "api-aurora" })).toBe(true);
    expect(Object.keys(stack.data).sort()).toEqual(["aws_caller_identity", "aws_partition", "aws_rds_cluster"]);
    const rolePolicy = Object.values(stack.resources.aws_iam_role_policy!).find((p) => p.name === "database-credentials")!;
    expect(policy(rolePolicy).Statement).toEqual([
      {
        Sid: "ConnectToDatabaseWithIam",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: [
          `arn:${partition}:rds-db:us-west-2:${account}:dbuser:${dataRef("aws_rds_cluster", stack, "cluster_resource_id")}/api_app`,
        ],
      },
    ]);
  });

  test("the application role gets rds-db:connect on the proxy's resource id, as the same users", () => {
    const appPolicy = Object.values(stack.resources.aws_iam_role_policy!).find((p) => p.role === "api-service-task")!;
    expect(appPolicy.name).toBe("connect-through-api-proxy");
    const local = JSON.parse(stack.json).locals as Record<string, string>;
    const [name, expression] = Object.entries(local)[0]!;
    expect(expression).toBe(`\${element(split(":", ${ref("aws_db_proxy", stack, "arn").slice(2, -1)}), 6)}`);
    const proxyResourceId = `\${local.${name}}`;
    expect(policy(appPolicy).Statement).toEqual([
      {
        Sid: "ConnectThroughRdsProxy",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: [`arn:${partition}:rds-db:us-west-2:${account}:dbuser:${proxyResourceId}/api_app`],
      },
    ]);
  });

  test("data sources are not tagged (tags would filter the lookup); resources are", () => {
    for (const byId of Object.values(stack.data)) for (const source of Object.values(byId)) expect(source.tags).toBeUndefined();
    expectTaggedEverywhere(stack, { team: "platform", "cost-center": "cc-1207" });
  });
});

describe("beside the proxy: its log group with a retention, and a dashboard of its metrics", () => {
  const { rds } = synthSample("postgres-instance");
  const stack = rds!;

  test("the log group RDS Proxy writes to, created before the proxy, 14 days unless the inputs say otherwise", () => {
    expect(single(stack, "aws_cloudwatch_log_group")).toMatchObject({ name: "/aws/rds/proxy/orders-proxy", retention_in_days: 14 });
    expect(single(stack, "aws_db_proxy").depends_on).toContain(`aws_cloudwatch_log_group.${Object.keys(stack.resources.aws_cloudwatch_log_group!)[0]}`);
    const kept = synthSample("postgres-instance", (inputs) => (inputs.recommendedProxy.logRetentionDays = 90)).rds!;
    expect(single(kept, "aws_cloudwatch_log_group").retention_in_days).toBe(90);
  });

  test("the dashboard graphs connections, the pinned share, borrow and query latency, with the alarm thresholds", () => {
    const dashboard = single(stack, "aws_cloudwatch_dashboard");
    expect(dashboard.dashboard_name).toBe("orders-proxy-rds-proxy");
    const body = JSON.parse(dashboard.dashboard_body as string) as { widgets: Array<{ properties: Record<string, unknown> }> };
    expect(body.widgets.map((widget) => widget.properties.title)).toEqual([
      "Client and database connections",
      "Pinned database connections (%)",
      "Borrow latency p99 (µs)",
      "Query latency p99 (µs)",
    ]);
    const metricNames = body.widgets.flatMap((widget) => (widget.properties.metrics as unknown[][]).map((metric) => metric[1]));
    expect(metricNames).toEqual(expect.arrayContaining(["ClientConnections", "DatabaseConnections", "DatabaseConnectionsCurrentlySessionPinned", "DatabaseConnectionsBorrowLatency", "QueryResponseLatency"]));
    for (const widget of body.widgets) expect(widget.properties).toMatchObject({ region: "us-east-1" });
    expect(body.widgets[1]!.properties.annotations).toEqual({ horizontal: [{ label: "alarm", value: 20 }] });
    expect(body.widgets[2]!.properties.annotations).toEqual({ horizontal: [{ label: "alarm", value: 50000 }] });
    expect(Object.keys(stack.outputs)).toEqual(expect.arrayContaining(["log_group_name", "dashboard_name"]));
  });
});

describe("the AWS provider constraint: 5.x and 6.x, raised only by the arguments the inputs ask for", () => {
  const constraintOf = (stack: SynthesizedStack) => JSON.parse(stack.json).terraform.required_providers.aws.version;

  test("secrets auth over IPv4 takes any 5.x or 6.x provider; the trial proxy too", () => {
    const { rds, trial } = synthSample("postgres-instance");
    expect(constraintOf(rds!)).toBe(">= 5.0.0, < 7.0.0");
    expect(constraintOf(trial!)).toBe(">= 5.0.0, < 7.0.0");
    expect(Object.keys(single(rds!, "aws_db_proxy"))).not.toContain("endpoint_network_type");
  });

  test("end-to-end IAM (default_auth_scheme) needs 6.15.0", () => {
    expect(constraintOf(synthSample("iam-end-to-end").rds!)).toBe(">= 6.15.0, < 7.0.0");
  });

  test("IPv6 network types are set only when asked for, and then need 6.28.0", () => {
    const dual = synthSample("iam-end-to-end", (inputs) => {
      inputs.recommendedProxy.endpointNetworkType = "DUAL";
      inputs.recommendedProxy.targetConnectionNetworkType = "IPV6";
    }).rds!;
    expect(single(dual, "aws_db_proxy")).toMatchObject({ endpoint_network_type: "DUAL", target_connection_network_type: "IPV6" });
    expect(constraintOf(dual)).toBe(">= 6.28.0, < 7.0.0");

    const ipv4 = synthSample("postgres-instance", (inputs) => {
      inputs.recommendedProxy.endpointNetworkType = "IPV4";
      inputs.recommendedProxy.targetConnectionNetworkType = "IPV4";
    }).rds!;
    expect(Object.keys(single(ipv4, "aws_db_proxy"))).not.toContain("endpoint_network_type");
    expect(Object.keys(single(ipv4, "aws_db_proxy"))).not.toContain("target_connection_network_type");
    expect(constraintOf(ipv4)).toBe(">= 5.0.0, < 7.0.0");
  });
});

describe("snapshots of the synthesized JSON", () => {
  for (const sample of SAMPLES) {
    test(sample, () => {
      const { rds, trial } = synthSample(sample);
      expect(JSON.parse(rds!.json)).toMatchSnapshot("recommended proxy stack");
      if (trial) expect(JSON.parse(trial.json)).toMatchSnapshot("trial proxy stack");
    });
  }
});
