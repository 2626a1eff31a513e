import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster/index.js";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service/index.js";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener/index.js";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group/index.js";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import type { Recommendation } from "@proxyfit/assessor/recommendation";
import { Aspects } from "cdktf";
import { Construct } from "constructs";
import type { TrialProfile, TrialProxyInputs } from "../config/deploy-config.js";
import { type ClientPasswordAuthType, ENGINE_PORT } from "../engines/engine-family.js";
import { decryptSecretsStatement, policyDocument, readSecretsStatement, trustPolicy } from "./iam-policy.js";
import { allowTcpIn, allowTcpOut } from "./security-group-rules.js";
import { TagResources } from "./tags.js";

export interface TrialProxyProps {
  /** Names the cluster, service, load balancer (with "-nlb"), target group ("-tg") and log group. */
  name: string;
  region: string;
  vpcId: string;
  subnetIds: string[];
  applicationSecurityGroupIds: string[];
  /** The proxyfit image (proxy/Dockerfile), e.g. ACCOUNT.dkr.ecr.REGION.amazonaws.com/proxyfit:0.1.0. */
  image: string;
  cpuArchitecture: "X86_64" | "ARM64";
  cpu: number;
  memory: number;
  database: TrialProxyInputs["database"];
  connectionPoolConfig: Recommendation["connection_pool_config"];
  /** Seconds. */
  idleClientTimeout: number;
  clientPasswordAuthType: ClientPasswordAuthType;
  profile: TrialProfile;
  logRetentionDays: number;
  tags: Record<string, string>;
}

/** Port of the proxy's admin HTTP listener (/metrics, /pools, /clients, /report); the load balancer checks /metrics. */
export const ADMIN_PORT = 9187;
const CONTAINER_NAME = "proxyfit";
/** Enough descriptors for the 10,000 idle clients the proxy is built to hold. */
const OPEN_FILES = 65_536;

/**
 * The proxyfit trial proxy on Fargate behind an internal Network Load Balancer: point a staging application at the
 * load balancer and watch, in CloudWatch, how its real traffic would multiplex through RDS Proxy.
 *
 * One task on purpose: every task pools max_connections_percent of the database on its own, so two tasks would
 * measure a different proxy than the one RDS would run.
 */
export class TrialProxy extends Construct {
  readonly loadBalancer: Lb;
  readonly listener: LbListener;
  readonly service: EcsService;
  readonly cluster: EcsCluster;
  readonly taskDefinition: EcsTaskDefinition;
  readonly logGroup: CloudwatchLogGroup;
  readonly taskRole: IamRole;
  readonly executionRole: IamRole;
  readonly loadBalancerSecurityGroup: SecurityGroup;
  readonly taskSecurityGroup: SecurityGroup;
  /** The port clients connect to, PostgreSQL's. */
  readonly port = ENGINE_PORT.POSTGRESQL;

  constructor(scope: Construct, id: string, props: TrialProxyProps) {
    super(scope, id);
    Aspects.of(this).add(new TagResources(props.tags));
    const port = this.port;

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/proxyfit/trial-proxy/${props.name}`,
      retentionInDays: props.logRetentionDays,
    });

    this.executionRole = new IamRole(this, "execution-role", {
      name: `${props.name}-trial-execution`,
      description: `ECS pulls the image and ships the logs of trial proxy ${props.name}`,
      assumeRolePolicy: trustPolicy("ecs-tasks.amazonaws.com"),
    });
    new IamRolePolicy(this, "execution-policy", {
      name: "pull-image-and-write-logs",
      role: this.executionRole.id,
      policy: policyDocument([
        // GetAuthorizationToken has no resource-level permissions; the repository is unknown when the image is not in ECR.
        {
          Sid: "PullImage",
          Effect: "Allow",
          Action: ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
          Resource: "*",
        },
        { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${this.logGroup.arn}:*` },
      ]),
    });

    // The proxy reads its users from Secrets Manager itself, as RDS Proxy does with its role.
    this.taskRole = new IamRole(this, "task-role", {
      name: `${props.name}-trial-task`,
      description: `Trial proxy ${props.name} reads the database credentials`,
      assumeRolePolicy: trustPolicy("ecs-tasks.amazonaws.com"),
    });
    const secretStatements = [readSecretsStatement([props.database.credentialsSecretArn])];
    if (props.database.kmsKeyArn) secretStatements.push(decryptSecretsStatement(props.database.kmsKeyArn, props.region));
    new IamRolePolicy(this, "task-policy", {
      name: "database-credentials",
      role: this.taskRole.id,
      policy: policyDocument(secretStatements),
    });

    this.loadBalancerSecurityGroup = new SecurityGroup(this, "load-balancer-security-group", {
      name: `${props.name}-trial-nlb`,
      description: `Trial proxy ${props.name} load balancer: clients in, proxy tasks out`,
      vpcId: props.vpcId,
    });
    this.taskSecurityGroup = new SecurityGroup(this, "task-security-group", {
      name: `${props.name}-trial-task`,
      description: `Trial proxy ${props.name} tasks: load balancer in, database and AWS APIs out`,
      vpcId: props.vpcId,
    });
    const lbGroup = this.loadBalancerSecurityGroup.id;
    const taskGroup = this.taskSecurityGroup.id;
    props.applicationSecurityGroupIds.forEach((applicationGroup, index) => {
      allowTcpIn(this, `from-application-${index}`, {
        securityGroupId: lbGroup,
        peerSecurityGroupId: applicationGroup,
        port,
        description: `Clients of trial proxy ${props.name} (${applicationGroup})`,
      });
    });
    for (const [name, taskPort] of [
      ["proxy", port],
      ["admin", ADMIN_PORT],
    ] as const) {
      const description = `Trial proxy ${props.name} ${name === "proxy" ? "client traffic" : "health checks on /metrics"}`;
      allowTcpOut(this, `load-balancer-to-${name}`, { securityGroupId: lbGroup, peerSecurityGroupId: taskGroup, port: taskPort, description });
      allowTcpIn(this, `${name}-from-load-balancer`, { securityGroupId: taskGroup, peerSecurityGroupId: lbGroup, port: taskPort, description });
    }
    allowTcpOut(this, "to-database", {
      securityGroupId: taskGroup,
      peerSecurityGroupId: props.database.securityGroupId,
      port: props.database.port,
      description: `Trial proxy ${props.name} to its database`,
    });
    allowTcpIn(this, "database-from-proxy", {
      securityGroupId: props.database.securityGroupId,
      peerSecurityGroupId: taskGroup,
      port: props.database.port,
      description: `Trial proxy ${props.name}`,
    });
    new VpcSecurityGroupEgressRule(this, "to-aws-apis", {
      securityGroupId: taskGroup,
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      description: "ECR, Secrets Manager and CloudWatch Logs, through a NAT gateway or VPC endpoints",
    });

    this.loadBalancer = new Lb(this, "load-balancer", {
      name: `${props.name}-nlb`,
      loadBalancerType: "network",
      internal: true,
      subnets: props.subnetIds,
      securityGroups: [lbGroup],
      enableCrossZoneLoadBalancing: true,
    });
    const targetGroup = new LbTargetGroup(this, "target-group", {
      name: `${props.name}-tg`,
      port,
      protocol: "TCP",
      targetType: "ip",
      vpcId: props.vpcId,
      // Pooler clients hold connections for long; give them time to finish when a task is replaced.
      deregistrationDelay: "60",
      healthCheck: {
        protocol: "HTTP",
        port: String(ADMIN_PORT),
        path: "/metrics",
        matcher: "200",
        interval: 10,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
    });
    this.listener = new LbListener(this, "listener", {
      loadBalancerArn: this.loadBalancer.arn,
      port,
      protocol: "TCP",
      defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
    });

    this.cluster = new EcsCluster(this, "cluster", { name: props.name });
    this.taskDefinition = new EcsTaskDefinition(this, "task-definition", {
      family: `${props.name}-trial-proxy`,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(props.cpu),
      memory: String(props.memory),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture },
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      containerDefinitions: JSON.stringify([
        {
          name: CONTAINER_NAME,
          image: props.image,
          essential: true,
          portMappings: [
            { containerPort: port, protocol: "tcp" },
            { containerPort: ADMIN_PORT, protocol: "tcp" },
          ],
          environment: trialProxyEnvironment(props, port),
          ulimits: [{ name: "nofile", softLimit: OPEN_FILES, hardLimit: OPEN_FILES }],
          // An init process as PID 1 forwards SIGTERM to node and reaps children (docker run --init).
          linuxParameters: { initProcessEnabled: true },
          stopTimeout: 30,
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": this.logGroup.name, "awslogs-region": props.region, "awslogs-stream-prefix": "proxy" },
          },
        },
      ]),
    });
    this.service = new EcsService(this, "service", {
      name: props.name,
      cluster: this.cluster.id,
      taskDefinition: this.taskDefinition.arn,
      launchType: "FARGATE",
      desiredCount: 1,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriodSeconds: 30,
      networkConfiguration: { subnets: props.subnetIds, securityGroups: [taskGroup], assignPublicIp: false },
      loadBalancer: [{ targetGroupArn: targetGroup.arn, containerName: CONTAINER_NAME, containerPort: port }],
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      // ECS refuses a target group that no listener uses yet.
      dependsOn: [this.listener],
    });
  }
}

/**
 * The proxy's settings as PROXYFIT_<SETTING> variables (see docs/proxy.md), named as RDS Proxy names them, with the
 * values the recommendation gives RDS Proxy. Metrics go out as Embedded Metric Format lines on stdout, which the
 * awslogs driver ships to the log group, where CloudWatch turns them into metrics under the proxy's name.
 */
function trialProxyEnvironment(props: TrialProxyProps, port: number): Array<{ name: string; value: string }> {
  const pool = props.connectionPoolConfig;
  const db = props.database;
  const target = `postgres://${encodeURIComponent(db.user)}@${db.host}:${db.port}/${encodeURIComponent(db.name)}?sslmode=${db.sslmode}`;
  const settings: Record<string, string | number | boolean | undefined> = {
    listen: `0.0.0.0:${port}`,
    admin: `0.0.0.0:${ADMIN_PORT}`,
    target,
    max_connections_percent: pool.max_connections_percent,
    max_idle_connections_percent: pool.max_idle_connections_percent,
    connection_borrow_timeout: pool.connection_borrow_timeout,
    idle_client_timeout: props.idleClientTimeout,
    init_query: pool.init_query,
    client_password_auth_type: props.clientPasswordAuthType,
    profile: props.profile,
    secret_arns: db.credentialsSecretArn,
    aws_region: props.region,
    emf: true,
    proxy_name: props.name,
  };
  return Object.entries(settings)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([name, value]) => ({ name: `PROXYFIT_${name.toUpperCase()}`, value: String(value) }));
}
