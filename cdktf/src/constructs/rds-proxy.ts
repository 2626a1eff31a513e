import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { DataAwsDbInstance } from "@cdktf/provider-aws/lib/data-aws-db-instance/index.js";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition/index.js";
import { DataAwsRdsCluster } from "@cdktf/provider-aws/lib/data-aws-rds-cluster/index.js";
import { DbProxy, type DbProxyConfig } from "@cdktf/provider-aws/lib/db-proxy/index.js";
import { DbProxyDefaultTargetGroup } from "@cdktf/provider-aws/lib/db-proxy-default-target-group/index.js";
import { DbProxyEndpoint } from "@cdktf/provider-aws/lib/db-proxy-endpoint/index.js";
import { DbProxyTarget } from "@cdktf/provider-aws/lib/db-proxy-target/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import type { Recommendation } from "@proxyfit/assessor/recommendation";
import { Aspects, Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import type { IamAuthInputs, ProxyTarget, SecretsAuthInputs } from "../config/deploy-config.js";
import { type ClientPasswordAuthType, ENGINE_PORT, type EngineFamily } from "../engines/engine-family.js";
import type { AwsProviderArgument } from "../stacks/aws-provider.js";
import { decryptSecretsStatement, type PolicyStatement, policyDocument, readSecretsStatement, trustPolicy } from "./iam-policy.js";
import { RdsProxyAlarms, type RdsProxyAlarmsProps } from "./rds-proxy-alarms.js";
import { RdsProxyDashboard } from "./rds-proxy-dashboard.js";
import { allowTcpIn, allowTcpOut } from "./security-group-rules.js";
import { TagResources } from "./tags.js";

export type RdsProxyAuth = (SecretsAuthInputs & { clientPasswordAuthType: ClientPasswordAuthType }) | IamAuthInputs;

export interface RdsProxyProps {
  /** The proxy's name; also prefixes its role, security group, endpoint and alarms. */
  name: string;
  region: string;
  engineFamily: EngineFamily;
  vpcId: string;
  /** At least two, in different Availability Zones. */
  subnetIds: string[];
  /** Security groups of the clients allowed to connect to the proxy. */
  applicationSecurityGroupIds: string[];
  target: ProxyTarget;
  /** A security group of the database (gets an ingress rule from the proxy) and the port the database listens on. */
  database: { securityGroupId: string; port: number };
  auth: RdsProxyAuth;
  requireTls: boolean;
  /** Seconds. */
  idleClientTimeout: number;
  connectionPoolConfig: Recommendation["connection_pool_config"];
  /** IPV4 unless given: IPV6 or DUAL (IPv4 and IPv6) for clients; IPV6 needs IPv6-only subnets and an IPV6 target connection. */
  endpointNetworkType?: "IPV4" | "IPV6" | "DUAL";
  /** How the proxy reaches the database: IPV4 unless given. */
  targetConnectionNetworkType?: "IPV4" | "IPV6";
  /** Adds a READ_ONLY endpoint (Aurora cluster targets only). */
  readOnlyEndpoint: boolean;
  /** Grants this existing role `rds-db:connect` through the proxy as the given users (IAM authentication only). */
  applicationRole?: { name: string; databaseUsers: string[] };
  alarms: Omit<RdsProxyAlarmsProps, "proxyName">;
  /** Retention of the proxy's log group, /aws/rds/proxy/NAME (one of CloudWatch Logs' values). */
  logRetentionDays: number;
  tags: Record<string, string>;
}

/**
 * Amazon RDS Proxy in front of one RDS instance or Aurora cluster, with everything it needs to work and be watched:
 * its IAM role, its security group and the database rule admitting it, the default target group's pool settings,
 * the target, an optional read-only endpoint, an optional client `rds-db:connect` policy, and CloudWatch alarms.
 */
export class RdsProxy extends Construct {
  readonly proxy: DbProxy;
  readonly role: IamRole;
  readonly securityGroup: SecurityGroup;
  readonly targetGroup: DbProxyDefaultTargetGroup;
  readonly target: DbProxyTarget;
  readonly readOnlyEndpoint?: DbProxyEndpoint;
  readonly alarms: RdsProxyAlarms;
  readonly logGroup: CloudwatchLogGroup;
  readonly dashboard: RdsProxyDashboard;
  /** Arguments set that not every 5.x and 6.x provider release has: the stack's provider constraint follows them. */
  readonly newerProviderArguments: AwsProviderArgument[] = [];

  constructor(scope: Construct, id: string, props: RdsProxyProps) {
    super(scope, id);
    Aspects.of(this).add(new TagResources(props.tags));
    const aws = new AwsContext(this, props.region);
    const port = ENGINE_PORT[props.engineFamily];

    this.role = new IamRole(this, "role", {
      name: `${props.name}-rds-proxy`,
      description: `Assumed by RDS Proxy ${props.name} to log in to its database`,
      assumeRolePolicy: trustPolicy("rds.amazonaws.com"),
    });
    const loginPolicy = new IamRolePolicy(this, "role-policy", {
      name: "database-credentials",
      role: this.role.id,
      policy: policyDocument(this.databaseLoginStatements(props, aws)),
    });

    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: `${props.name}-rds-proxy`,
      description: `RDS Proxy ${props.name}: clients in, database out`,
      vpcId: props.vpcId,
    });
    props.applicationSecurityGroupIds.forEach((applicationGroup, index) => {
      allowTcpIn(this, `from-application-${index}`, {
        securityGroupId: this.securityGroup.id,
        peerSecurityGroupId: applicationGroup,
        port,
        description: `Clients of ${props.name} (${applicationGroup})`,
      });
    });
    allowTcpOut(this, "to-database", {
      securityGroupId: this.securityGroup.id,
      peerSecurityGroupId: props.database.securityGroupId,
      port: props.database.port,
      description: `RDS Proxy ${props.name} to its database`,
    });
    allowTcpIn(this, "database-from-proxy", {
      securityGroupId: props.database.securityGroupId,
      peerSecurityGroupId: this.securityGroup.id,
      port: props.database.port,
      description: `RDS Proxy ${props.name}`,
    });

    // The log group RDS Proxy writes to, made first with a retention: left to the proxy, it would keep logs forever.
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/rds/proxy/${props.name}`,
      retentionInDays: props.logRetentionDays,
    });

    this.proxy = new DbProxy(this, "proxy", {
      name: props.name,
      engineFamily: props.engineFamily,
      roleArn: this.role.arn,
      vpcSubnetIds: props.subnetIds,
      vpcSecurityGroupIds: [this.securityGroup.id],
      requireTls: props.requireTls,
      idleClientTimeout: props.idleClientTimeout,
      // Logs every statement's text; for short troubleshooting sessions only.
      debugLogging: false,
      ...proxyAuthConfig(props.auth),
      // The proxy logs in as soon as it exists: its role must already carry the policy.
      dependsOn: [loginPolicy, this.logGroup],
    });
    if (props.auth.scheme === "IAM_AUTH") this.newerProviderArguments.push("aws_db_proxy.default_auth_scheme");
    // Newer than the bindings, and set only when not the default: IPv4 deployments keep working with any 5.x provider.
    if (props.endpointNetworkType && props.endpointNetworkType !== "IPV4") {
      this.proxy.addOverride("endpoint_network_type", props.endpointNetworkType);
      this.newerProviderArguments.push("aws_db_proxy.endpoint_network_type");
    }
    if (props.targetConnectionNetworkType && props.targetConnectionNetworkType !== "IPV4") {
      this.proxy.addOverride("target_connection_network_type", props.targetConnectionNetworkType);
      this.newerProviderArguments.push("aws_db_proxy.target_connection_network_type");
    }

    const pool = props.connectionPoolConfig;
    this.targetGroup = new DbProxyDefaultTargetGroup(this, "target-group", {
      dbProxyName: this.proxy.name,
      connectionPoolConfig: {
        maxConnectionsPercent: pool.max_connections_percent,
        maxIdleConnectionsPercent: pool.max_idle_connections_percent,
        connectionBorrowTimeout: pool.connection_borrow_timeout,
        ...(pool.init_query === undefined ? {} : { initQuery: pool.init_query }),
        sessionPinningFilters: pool.session_pinning_filters,
      },
    });
    this.target = new DbProxyTarget(this, "target", {
      dbProxyName: this.proxy.name,
      targetGroupName: this.targetGroup.name,
      ...(props.target.kind === "instance"
        ? { dbInstanceIdentifier: props.target.identifier }
        : { dbClusterIdentifier: props.target.identifier }),
    });

    if (props.readOnlyEndpoint) {
      this.readOnlyEndpoint = new DbProxyEndpoint(this, "read-only-endpoint", {
        dbProxyName: this.proxy.name,
        dbProxyEndpointName: `${props.name}-ro`,
        targetRole: "READ_ONLY",
        vpcSubnetIds: props.subnetIds,
        vpcSecurityGroupIds: [this.securityGroup.id],
      });
    }

    if (props.applicationRole) {
      // arn:aws:rds:REGION:ACCOUNT:db-proxy:prx-0123abcd -> prx-0123abcd, the resource id rds-db:connect names. A local,
      // so the policy's JSON holds a plain reference rather than an expression with quotes of its own.
      const proxyResourceId = new TerraformLocal(this, "proxy-resource-id", Fn.element(Fn.split(":", this.proxy.arn), 6)).asString;
      new IamRolePolicy(this, "application-connect", {
        name: `connect-through-${props.name}`,
        role: props.applicationRole.name,
        policy: policyDocument([
          {
            Sid: "ConnectThroughRdsProxy",
            Effect: "Allow",
            Action: "rds-db:connect",
            Resource: props.applicationRole.databaseUsers.map((user) => aws.databaseUserArn(proxyResourceId, user)),
          },
        ]),
      });
    }

    this.alarms = new RdsProxyAlarms(this, "alarms", { ...props.alarms, proxyName: props.name });
    this.dashboard = new RdsProxyDashboard(this, "dashboard", {
      proxyName: props.name,
      region: props.region,
      pinnedConnectionsPercent: props.alarms.pinnedConnectionsPercent,
      borrowLatencyMicroseconds: props.alarms.borrowLatencyMicroseconds,
    });
  }

  /** What the proxy's role may do to log in: read the secrets, or (end-to-end IAM) connect to the database as IAM users. */
  private databaseLoginStatements(props: RdsProxyProps, aws: AwsContext): PolicyStatement[] {
    if (props.auth.scheme === "SECRETS") {
      const statements = [readSecretsStatement(props.auth.secretArns)];
      if (props.auth.kmsKeyArn) statements.push(decryptSecretsStatement(props.auth.kmsKeyArn, aws.region));
      return statements;
    }
    const resourceId =
      props.target.kind === "instance"
        ? new DataAwsDbInstance(this, "database", { dbInstanceIdentifier: props.target.identifier }).resourceId
        : new DataAwsRdsCluster(this, "database", { clusterIdentifier: props.target.identifier }).clusterResourceId;
    return [
      {
        Sid: "ConnectToDatabaseWithIam",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: props.auth.databaseUsers.map((user) => aws.databaseUserArn(resourceId, user)),
      },
    ];
  }
}

function proxyAuthConfig(auth: RdsProxyAuth): Pick<DbProxyConfig, "auth" | "defaultAuthScheme"> {
  if (auth.scheme === "IAM_AUTH") return { defaultAuthScheme: "IAM_AUTH" };
  return {
    auth: auth.secretArns.map((secretArn) => ({
      authScheme: "SECRETS",
      secretArn,
      iamAuth: auth.iamAuth,
      clientPasswordAuthType: auth.clientPasswordAuthType,
    })),
  };
}

/** The region, and partition and account as data sources created only when an rds-db ARN needs them. */
class AwsContext {
  private partition?: string;
  private account?: string;

  constructor(
    private readonly scope: Construct,
    readonly region: string,
  ) {}

  /** arn:PARTITION:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/USER */
  databaseUserArn(resourceId: string, user: string): string {
    this.partition ??= new DataAwsPartition(this.scope, "partition").partition;
    this.account ??= new DataAwsCallerIdentity(this.scope, "account").accountId;
    return `arn:${this.partition}:rds-db:${this.region}:${this.account}:dbuser:${resourceId}/${user}`;
  }
}
