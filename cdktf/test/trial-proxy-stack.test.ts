import { describe, expect, test } from "vitest";
import { expectResource, policy, resourceCounts, single, synthSample } from "./synth-samples.js";

describe("TrialProxyStack: the trial proxy on Fargate behind an internal NLB (samples/postgres-instance)", () => {
  const { trial } = synthSample("postgres-instance");
  const stack = trial!;
  const idOf = (type: string, match: (r: Record<string, unknown>) => boolean) =>
    Object.entries(stack.resources[type] ?? {}).find(([, r]) => match(r))![0];
  const groupRef = (name: string) => `\${aws_security_group.${idOf("aws_security_group", (g) => g.name === name)}.id}`;
  const lbGroup = groupRef("orders-trial-trial-nlb");
  const taskGroup = groupRef("orders-trial-trial-task");
  const secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:orders-staging/app-MnOpQr";
  const container = () => JSON.parse(single(stack, "aws_ecs_task_definition").container_definitions as string)[0];

  test("creates the cluster, task definition, service, NLB, listener, target group, roles, groups and log group", () => {
    expect(resourceCounts(stack)).toEqual({
      aws_cloudwatch_log_group: 1,
      aws_ecs_cluster: 1,
      aws_ecs_service: 1,
      aws_ecs_task_definition: 1,
      aws_iam_role: 2,
      aws_iam_role_policy: 2,
      aws_lb: 1,
      aws_lb_listener: 1,
      aws_lb_target_group: 1,
      aws_security_group: 2,
      aws_vpc_security_group_ingress_rule: 4,
      aws_vpc_security_group_egress_rule: 4,
    });
  });

  test("the load balancer is internal, network type, in the staging subnets, and listens on 5432 over TCP", () => {
    expect(single(stack, "aws_lb")).toMatchObject({
      name: "orders-trial-nlb",
      load_balancer_type: "network",
      internal: true,
      subnets: ["subnet-0bb22cc33dd44ee55", "subnet-0ff66aa77bb88cc99"],
      security_groups: [lbGroup],
    });
    expect(single(stack, "aws_lb_listener")).toMatchObject({ port: 5432, protocol: "TCP", default_action: [{ type: "forward" }] });
    expect(single(stack, "aws_lb_target_group")).toMatchObject({
      name: "orders-trial-tg",
      port: 5432,
      protocol: "TCP",
      target_type: "ip",
      vpc_id: "vpc-0b2c3d4e5f6071829",
      health_check: { protocol: "HTTP", port: "9187", path: "/metrics", matcher: "200" },
    });
  });

  test("the task definition: Fargate, awsvpc, size, image, both roles", () => {
    const task = single(stack, "aws_ecs_task_definition");
    expect(task).toMatchObject({
      family: "orders-trial-trial-proxy",
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: "512",
      memory: "1024",
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "X86_64" },
    });
    expect(task.execution_role_arn).toMatch(/^\$\{aws_iam_role\..*execution-role.*\.arn\}$/);
    expect(task.task_role_arn).toMatch(/^\$\{aws_iam_role\..*task-role.*\.arn\}$/);
    expect(container()).toMatchObject({
      name: "proxyfit",
      image: "111122223333.dkr.ecr.us-east-1.amazonaws.com/proxyfit:0.1.0",
      essential: true,
      portMappings: [
        { containerPort: 5432, protocol: "tcp" },
        { containerPort: 9187, protocol: "tcp" },
      ],
      ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
      linuxParameters: { initProcessEnabled: true },
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-region": "us-east-1", "awslogs-stream-prefix": "proxy" },
      },
    });
  });

  test("the proxy's settings are the recommendation's pool settings, named as RDS Proxy names them", () => {
    const environment = Object.fromEntries(container().environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(environment).toEqual({
      PROXYFIT_LISTEN: "0.0.0.0:5432",
      PROXYFIT_ADMIN: "0.0.0.0:9187",
      PROXYFIT_TARGET: "postgres://orders_app@orders-staging.c9akciq32.us-east-1.rds.amazonaws.com:5432/orders?sslmode=require",
      PROXYFIT_MAX_CONNECTIONS_PERCENT: "90",
      PROXYFIT_MAX_IDLE_CONNECTIONS_PERCENT: "45",
      PROXYFIT_CONNECTION_BORROW_TIMEOUT: "120",
      PROXYFIT_IDLE_CLIENT_TIMEOUT: "1800",
      PROXYFIT_INIT_QUERY: "SET statement_timeout = '30s'",
      PROXYFIT_CLIENT_PASSWORD_AUTH_TYPE: "POSTGRES_SCRAM_SHA_256",
      PROXYFIT_PROFILE: "rds-proxy",
      PROXYFIT_SECRET_ARNS: secret,
      PROXYFIT_AWS_REGION: "us-east-1",
      PROXYFIT_EMF: "true",
      PROXYFIT_PROXY_NAME: "orders-trial",
    });
    // No password lands in the task definition: the proxy reads the secret itself, with the task role.
    expect(new URL(environment.PROXYFIT_TARGET).password).toBe("");
    expect(container().secrets).toBeUndefined();
  });

  test("the service runs one Fargate task in private subnets behind the target group, after the listener exists", () => {
    const service = single(stack, "aws_ecs_service");
    expect(service).toMatchObject({
      name: "orders-trial",
      launch_type: "FARGATE",
      desired_count: 1,
      deployment_circuit_breaker: { enable: true, rollback: true },
      network_configuration: {
        subnets: ["subnet-0bb22cc33dd44ee55", "subnet-0ff66aa77bb88cc99"],
        security_groups: [taskGroup],
        assign_public_ip: false,
      },
      load_balancer: [{ container_name: "proxyfit", container_port: 5432 }],
      propagate_tags: "SERVICE",
    });
    expect(service.depends_on).toEqual([`aws_lb_listener.${Object.keys(stack.resources.aws_lb_listener!)[0]}`]);
  });

  test("roles: ECS assumes both; the execution role pulls and logs, the task role reads exactly the database secret", () => {
    const roles = Object.values(stack.resources.aws_iam_role!);
    expect(roles.map((r) => r.name).sort()).toEqual(["orders-trial-trial-execution", "orders-trial-trial-task"]);
    for (const role of roles) {
      expect(policy(role, "assume_role_policy").Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
    }
    const policies: Record<string, Array<Record<string, unknown>>> = Object.fromEntries(
      Object.values(stack.resources.aws_iam_role_policy!).map((p) => [p.name, policy(p).Statement]),
    );
    expect(policies["pull-image-and-write-logs"]!.map((s) => s.Sid)).toEqual(["PullImage", "WriteLogs"]);
    expect(policies["pull-image-and-write-logs"]![1]!.Resource).toMatch(/^\$\{aws_cloudwatch_log_group\..*\.arn\}:\*$/);
    expect(policies["database-credentials"]).toEqual([
      {
        Sid: "ReadDatabaseSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: [secret],
      },
    ]);
  });

  test("network paths: application -> NLB:5432 -> task:5432 and :9187 -> database:5432, and HTTPS out for AWS APIs", () => {
    expectResource(stack, "aws_vpc_security_group_ingress_rule", {
      security_group_id: lbGroup,
      referenced_security_group_id: "sg-0aaaabbbbccccdddd",
      from_port: 5432,
    });
    for (const port of [5432, 9187]) {
      expectResource(stack, "aws_vpc_security_group_egress_rule", { security_group_id: lbGroup, referenced_security_group_id: taskGroup, from_port: port });
      expectResource(stack, "aws_vpc_security_group_ingress_rule", { security_group_id: taskGroup, referenced_security_group_id: lbGroup, from_port: port });
    }
    expectResource(stack, "aws_vpc_security_group_egress_rule", {
      security_group_id: taskGroup,
      referenced_security_group_id: "sg-0eeeeffff00001111",
      from_port: 5432,
    });
    expectResource(stack, "aws_vpc_security_group_ingress_rule", {
      security_group_id: "sg-0eeeeffff00001111",
      referenced_security_group_id: taskGroup,
      from_port: 5432,
    });
    expectResource(stack, "aws_vpc_security_group_egress_rule", { security_group_id: taskGroup, cidr_ipv4: "0.0.0.0/0", from_port: 443, to_port: 443 });
  });

  test("the log group keeps 14 days by default and every taggable resource is tagged", () => {
    expect(single(stack, "aws_cloudwatch_log_group")).toMatchObject({ name: "/proxyfit/trial-proxy/orders-trial", retention_in_days: 14 });
    for (const [type, byId] of Object.entries(stack.resources)) {
      if (type === "aws_iam_role_policy") continue;
      for (const resource of Object.values(byId)) {
        expect(resource.tags, type).toEqual({ "managed-by": "proxyfit", team: "orders", environment: "production" });
      }
    }
  });

  test("outputs the endpoint, port, connection string and where to look", () => {
    const lb = `aws_lb.${Object.keys(stack.resources.aws_lb!)[0]}`;
    expect(stack.outputs.trial_proxy_endpoint!.value).toBe(`\${${lb}.dns_name}`);
    expect(stack.outputs.trial_proxy_port!.value).toBe(5432);
    expect(stack.outputs.trial_proxy_connection_string!.value).toBe(`postgres://orders_app@\${${lb}.dns_name}:5432/orders`);
    expect(Object.keys(stack.outputs).sort()).toEqual([
      "ecs_cluster_name",
      "ecs_service_name",
      "log_group_name",
      "trial_proxy_connection_string",
      "trial_proxy_endpoint",
      "trial_proxy_port",
    ]);
  });
});
