import { dirname, resolve } from "node:path";
import { DATABASE_ENGINES, type DatabaseEngine, ENGINE_PORT } from "../engines/engine-family.js";
import { AWS_NAMES, arnRegion, type NamePattern } from "./aws-names.js";
import { DeployConfigError, type Field, FieldReader } from "./field-reader.js";
import { readJsonFile } from "./json-file.js";
import { type DeployableRecommendation, readRecommendation } from "./recommendation-file.js";

/**
 * Everything the stacks need: the assessor's recommendation plus what no log can know (where the database lives, which
 * secrets hold its credentials, who may connect). Loaded from the deployment inputs file described in docs/deploy.md.
 */
export interface DeployConfig {
  /** The deployment inputs file, absolute. */
  file: string;
  region: string;
  tags: Record<string, string>;
  /** The recommendation file, absolute, or the name that stands for a recommendation given as a document. */
  recommendationFile: string;
  recommendation: DeployableRecommendation;
  stateBackend?: StateBackendInputs;
  recommendedProxy?: RecommendedProxyInputs;
  trialProxy?: TrialProxyInputs;
}

export interface StateBackendInputs {
  bucket: string;
  /** The state of stack S is stored at `${keyPrefix}/S.tfstate`. */
  keyPrefix: string;
  region: string;
  dynamodbTable?: string;
}

export interface NetworkInputs {
  vpcId: string;
  subnetIds: string[];
  /** Security groups of the clients (Lambda functions, tasks, instances) allowed to connect. */
  applicationSecurityGroupIds: string[];
}

export type ProxyTarget = { kind: "instance"; identifier: string } | { kind: "cluster"; identifier: string };

export interface RecommendedProxyInputs extends NetworkInputs {
  stackName: string;
  proxyName: string;
  database: {
    engine: DatabaseEngine;
    target: ProxyTarget;
    /** A security group attached to the database; it gets an ingress rule admitting the proxy. */
    securityGroupId: string;
    port: number;
  };
  auth: SecretsAuthInputs | IamAuthInputs;
  /** IPV4 unless given (aws_db_proxy.endpoint_network_type, AWS provider 6.28.0 and later). */
  endpointNetworkType?: "IPV4" | "IPV6" | "DUAL";
  /** IPV4 unless given (aws_db_proxy.target_connection_network_type, AWS provider 6.28.0 and later). */
  targetConnectionNetworkType?: "IPV4" | "IPV6";
  /** The recommendation's `read_only_endpoint.recommended` unless the inputs say otherwise. */
  readOnlyEndpoint: boolean;
  /** An application role that gets `rds-db:connect` on the proxy (IAM authentication only). */
  applicationRole?: { name: string; databaseUsers: string[] };
  alarms: { snsTopicArn?: string; failedAuthThreshold: number };
  /** Retention of the proxy's log group /aws/rds/proxy/NAME; 14 days unless given. */
  logRetentionDays: number;
}

/** The proxy logs in to the database with credentials from Secrets Manager (`auth_scheme = SECRETS`). */
export interface SecretsAuthInputs {
  scheme: "SECRETS";
  secretArns: string[];
  /** REQUIRED: clients authenticate to the proxy with IAM tokens instead of passwords. */
  iamAuth: "DISABLED" | "REQUIRED";
  /** The customer managed key that encrypts the secrets, if not the AWS managed one. */
  kmsKeyArn?: string;
}

/** End-to-end IAM (`default_auth_scheme = IAM_AUTH`): IAM from client to proxy and from proxy to database; no secrets. */
export interface IamAuthInputs {
  scheme: "IAM_AUTH";
  /** Database users the proxy may log in as; each must be granted rds_iam (PostgreSQL) or use AWSAuthenticationPlugin. */
  databaseUsers: string[];
}

export type TrialProfile = "rds-proxy" | "rds-proxy-pre-2023";

export interface TrialProxyInputs extends NetworkInputs {
  stackName: string;
  name: string;
  image: string;
  cpuArchitecture: "X86_64" | "ARM64";
  /** Fargate task size: CPU units and MiB. */
  cpu: number;
  memory: number;
  profile: TrialProfile;
  database: {
    host: string;
    port: number;
    name: string;
    /** The user the proxy reads max_connections as at start; its password comes from the secret. */
    user: string;
    /** TLS from the trial proxy to the database. */
    sslmode: "disable" | "prefer" | "require";
    securityGroupId: string;
    /** Secret with `username` and `password` keys (the format RDS writes); the proxy logs in with it. */
    credentialsSecretArn: string;
    kmsKeyArn?: string;
  };
  logRetentionDays: number;
}

export const DEFAULT_STACK_NAMES = { recommendedProxy: "proxyfit-rds-proxy", trialProxy: "proxyfit-trial-proxy" } as const;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Fargate's CPU / memory combinations: memory from min to max MiB in steps, per CPU size. */
const FARGATE_SIZES: Record<number, { min: number; max: number; step: number; list?: number[] }> = {
  256: { min: 512, max: 2048, step: 512, list: [512, 1024, 2048] },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
};

export interface LoadOptions {
  /** Environment to read PROXYFIT_RECOMMENDATION from. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads and validates the deployment inputs file and the recommendation it points to (PROXYFIT_RECOMMENDATION
 * overrides the path). Throws DeployConfigError listing every problem in both files.
 */
export function loadDeployConfig(inputsFile: string, options: LoadOptions = {}): DeployConfig {
  const file = resolve(inputsFile);
  const inputs = readJsonFile(file);
  if (!inputs.ok) throw new DeployConfigError([inputs.problem]);
  return parseDeployConfig(inputs.value, { file, env: options.env ?? process.env });
}

/**
 * Validates an already parsed inputs document; the recommendation file is read relative to `file`, unless the
 * recommendation is given as a document (the assessor API's, for a stored assessment): then the inputs' own
 * `recommendation` field and PROXYFIT_RECOMMENDATION are not read, and `name` stands for the file in messages.
 */
export function parseDeployConfig(
  document: unknown,
  context: { file: string; env?: NodeJS.ProcessEnv; recommendation?: { document: unknown; name: string } },
): DeployConfig {
  const reader = new FieldReader(context.file);
  const root = reader.object(reader.root(document), {
    keys: ["region", "tags", "recommendation", "stateBackend", "recommendedProxy", "trialProxy"],
  });
  if (!root) throw new DeployConfigError(reader.problems);
  const at = (key: string) => reader.child(root, key);

  const region = reader.string(at("region"), AWS_NAMES.region);
  const tags = reader.stringMap(at("tags"), { optional: true }) ?? {};
  const given = context.recommendation;
  const overridden = context.env?.PROXYFIT_RECOMMENDATION;
  const recommendationPath = given ? undefined : overridden || reader.string(at("recommendation"));
  const stateBackend = readStateBackend(reader, at("stateBackend"), region);

  let recommendationFile = given?.name ?? "";
  let recommendation: DeployableRecommendation | undefined;
  const recommendationReaderProblems: FieldReader["problems"] = [];
  const readDocument = (file: string, value: unknown) => {
    const recommendationReader = new FieldReader(file);
    const read = readRecommendation(recommendationReader, value);
    recommendationReaderProblems.push(...recommendationReader.problems);
    return read;
  };
  if (given) recommendation = readDocument(given.name, given.document);
  if (recommendationPath !== undefined) {
    recommendationFile = resolve(dirname(context.file), recommendationPath);
    const parsed = readJsonFile(recommendationFile);
    if (parsed.ok) recommendation = readDocument(recommendationFile, parsed.value);
    else recommendationReaderProblems.push(parsed.problem);
  }

  const recommendedProxy =
    at("recommendedProxy").value === undefined ? undefined : readRecommendedProxy(reader, at("recommendedProxy"), region, recommendation);
  const trialProxy = at("trialProxy").value === undefined ? undefined : readTrialProxy(reader, at("trialProxy"), region, recommendation);
  if (at("recommendedProxy").value === undefined && at("trialProxy").value === undefined) {
    reader.report("", "defines no stack: add recommendedProxy, trialProxy or both");
  }
  if (recommendedProxy && trialProxy && recommendedProxy.stackName === trialProxy.stackName) {
    reader.report("trialProxy.stackName", `is the same as recommendedProxy.stackName (${JSON.stringify(trialProxy.stackName)})`);
  }

  // Section readers fill in defaults where a value was rejected; any problem at all stops here.
  const problems = [...recommendationReaderProblems, ...reader.problems];
  if (problems.length > 0 || region === undefined || recommendation === undefined) throw new DeployConfigError(problems);
  return {
    file: context.file,
    region,
    tags,
    recommendationFile,
    recommendation,
    ...(stateBackend ? { stateBackend } : {}),
    ...(recommendedProxy ? { recommendedProxy } : {}),
    ...(trialProxy ? { trialProxy } : {}),
  };
}

function readStateBackend(reader: FieldReader, field: Field, region: string | undefined): StateBackendInputs | undefined {
  if (!reader.object(field, { optional: true, keys: ["bucket", "keyPrefix", "region", "dynamodbTable"] })) return undefined;
  const at = (key: string) => reader.child(field, key);
  const bucket = reader.string(at("bucket"), AWS_NAMES.s3Bucket);
  const keyPrefix = reader.string(at("keyPrefix"), { optional: true, pattern: /^[^\s]+[^/]$/, hint: "a key prefix without a trailing /" }) ?? "proxyfit";
  const backendRegion = reader.string(at("region"), { optional: true, ...AWS_NAMES.region }) ?? region;
  const dynamodbTable = reader.string(at("dynamodbTable"), { optional: true, ...AWS_NAMES.dynamodbTable });
  if (bucket === undefined || backendRegion === undefined) return undefined;
  return { bucket, keyPrefix, region: backendRegion, ...(dynamodbTable ? { dynamodbTable } : {}) };
}

function readNetwork(reader: FieldReader, field: Field, minSubnets: number, why: string): NetworkInputs | undefined {
  const at = (key: string) => reader.child(field, key);
  const vpcId = reader.string(at("vpcId"), AWS_NAMES.vpcId);
  const subnets = at("subnetIds");
  const subnetIds = reader.stringList(subnets, { ...AWS_NAMES.subnetId, minItems: 1, what: "subnet" });
  if (subnetIds && subnetIds.length < minSubnets) reader.report(subnets, `${why}; got ${subnetIds.length} (${subnetIds.join(", ")})`);
  const applicationSecurityGroupIds = reader.stringList(at("applicationSecurityGroupIds"), {
    ...AWS_NAMES.securityGroupId,
    minItems: 1,
    what: "security group",
  });
  if (vpcId === undefined || subnetIds === undefined || subnetIds.length < minSubnets || applicationSecurityGroupIds === undefined) {
    return undefined;
  }
  return { vpcId, subnetIds, applicationSecurityGroupIds };
}

function readRecommendedProxy(
  reader: FieldReader,
  field: Field,
  region: string | undefined,
  recommendation: DeployableRecommendation | undefined,
): RecommendedProxyInputs | undefined {
  const keys = [
    "stackName",
    "proxyName",
    "ignoreVerdict",
    "vpcId",
    "subnetIds",
    "applicationSecurityGroupIds",
    "database",
    "auth",
    "readOnlyEndpoint",
    "endpointNetworkType",
    "targetConnectionNetworkType",
    "applicationRole",
    "alarms",
    "logRetentionDays",
  ];
  if (!reader.object(field, { keys })) return undefined;
  const at = (key: string) => reader.child(field, key);
  const stackName = reader.string(at("stackName"), { optional: true, ...AWS_NAMES.stackName }) ?? DEFAULT_STACK_NAMES.recommendedProxy;
  const proxyName = reader.string(at("proxyName"), AWS_NAMES.proxyName);
  const ignoreVerdict = reader.boolean(at("ignoreVerdict"), { optional: true }) ?? false;
  const network = readNetwork(reader, field, 2, "RDS Proxy needs at least two subnets, in different Availability Zones");
  const database = readProxyDatabase(reader, at("database"), recommendation);
  const auth = readAuth(reader, at("auth"), region);
  const readOnlyOverride = reader.boolean(at("readOnlyEndpoint"), { optional: true });
  const endpointNetworkType = reader.oneOf(at("endpointNetworkType"), ["IPV4", "IPV6", "DUAL"] as const, { optional: true });
  const targetConnectionNetworkType = reader.oneOf(at("targetConnectionNetworkType"), ["IPV4", "IPV6"] as const, { optional: true });
  if (endpointNetworkType === "IPV6" && targetConnectionNetworkType !== "IPV6") {
    reader.report(at("targetConnectionNetworkType"), 'must be "IPV6" when endpointNetworkType is "IPV6" (RDS Proxy in IPv6-only subnets reaches its database over IPv6)');
  }
  const applicationRole = readApplicationRole(reader, at("applicationRole"), auth);
  const alarms = readAlarmInputs(reader, at("alarms"), region);
  const logRetentionDays = reader.oneOf(at("logRetentionDays"), LOG_RETENTION_DAYS, { optional: true }) ?? 14;

  if (recommendation && recommendation.verdict !== "rds-proxy" && !ignoreVerdict) {
    const reasons = recommendation.reasons.map((reason) => `\n      - ${reason}`).join("");
    reader.report(
      at("ignoreVerdict"),
      `the recommendation's verdict is "${recommendation.verdict}", not "rds-proxy"; set ignoreVerdict to true to deploy RDS Proxy anyway${reasons ? `. The assessor's reasons:${reasons}` : ""}`,
    );
  }
  const readOnlyEndpoint = readOnlyOverride ?? recommendation?.read_only_endpoint.recommended ?? false;
  if (readOnlyEndpoint && database && database.target.kind !== "cluster") {
    const source = readOnlyOverride === undefined ? "the recommendation's read_only_endpoint.recommended" : "readOnlyEndpoint";
    reader.report(
      readOnlyOverride === undefined ? at("database") : at("readOnlyEndpoint"),
      `${source} is true, but read-only proxy endpoints need an Aurora cluster target and database.instanceIdentifier names an instance`,
    );
  }
  const iam = auth?.scheme === "IAM_AUTH" || (auth?.scheme === "SECRETS" && auth.iamAuth === "REQUIRED");
  if (iam && recommendation && !recommendation.require_tls) {
    reader.report(at("auth"), "IAM authentication sends tokens that must travel over TLS, but the recommendation's require_tls is false");
  }

  if (!proxyName || !network || !database || !auth) return undefined;
  return {
    stackName,
    proxyName,
    ...network,
    database,
    auth,
    readOnlyEndpoint,
    ...(endpointNetworkType ? { endpointNetworkType } : {}),
    ...(targetConnectionNetworkType ? { targetConnectionNetworkType } : {}),
    ...(applicationRole ? { applicationRole } : {}),
    alarms,
    logRetentionDays,
  };
}

function readProxyDatabase(
  reader: FieldReader,
  field: Field,
  recommendation: DeployableRecommendation | undefined,
): RecommendedProxyInputs["database"] | undefined {
  if (!reader.object(field, { keys: ["engine", "instanceIdentifier", "clusterIdentifier", "securityGroupId", "port"] })) return undefined;
  const at = (key: string) => reader.child(field, key);
  const engine = reader.oneOf(at("engine"), Object.keys(DATABASE_ENGINES) as DatabaseEngine[]);
  const instance = reader.string(at("instanceIdentifier"), { optional: true, ...AWS_NAMES.rdsIdentifier });
  const cluster = reader.string(at("clusterIdentifier"), { optional: true, ...AWS_NAMES.rdsIdentifier });
  const securityGroupId = reader.string(at("securityGroupId"), AWS_NAMES.securityGroupId);
  const port = reader.integer(at("port"), { optional: true, min: 1150, max: 65535 });
  if (engine === undefined) return undefined;

  const { family, aurora } = DATABASE_ENGINES[engine];
  let ok = true;
  if (recommendation && recommendation.engine_family !== family) {
    reader.report(at("engine"), `"${engine}" belongs to the ${family} engine family, but the recommendation's engine_family is ${recommendation.engine_family}`);
    ok = false;
  }
  if (recommendation && recommendation.target.aurora !== aurora) {
    reader.report(
      at("engine"),
      `"${engine}" is ${aurora ? "" : "not "}Aurora, but the recommendation was computed for ${recommendation.target.aurora ? "an Aurora" : "a non-Aurora"} target (target.aurora)`,
    );
    ok = false;
  }
  if ((instance === undefined) === (cluster === undefined)) {
    reader.report(field, "give exactly one of instanceIdentifier (an RDS instance) and clusterIdentifier (an Aurora cluster)");
    return undefined;
  }
  if (aurora && instance !== undefined) {
    reader.report(at("instanceIdentifier"), `RDS Proxy targets an Aurora database by its cluster: use clusterIdentifier for "${engine}"`);
    return undefined;
  }
  if (!aurora && cluster !== undefined) {
    reader.report(at("clusterIdentifier"), `"${engine}" is not Aurora: use instanceIdentifier`);
    return undefined;
  }
  if (!ok || securityGroupId === undefined) return undefined;
  const target: ProxyTarget = instance !== undefined ? { kind: "instance", identifier: instance } : { kind: "cluster", identifier: cluster! };
  return { engine, target, securityGroupId, port: port ?? ENGINE_PORT[family] };
}

function readAuth(reader: FieldReader, field: Field, region: string | undefined): SecretsAuthInputs | IamAuthInputs | undefined {
  if (!reader.object(field)) return undefined;
  const at = (key: string) => reader.child(field, key);
  const scheme = reader.oneOf(at("scheme"), ["SECRETS", "IAM_AUTH"] as const);
  if (scheme === "IAM_AUTH") {
    if (!reader.object(field, { keys: ["scheme", "databaseUsers"] })) return undefined;
    const databaseUsers = reader.stringList(at("databaseUsers"), { ...AWS_NAMES.databaseUser, minItems: 1, what: "database user" });
    return databaseUsers ? { scheme, databaseUsers } : undefined;
  }
  if (scheme !== "SECRETS" || !reader.object(field, { keys: ["scheme", "secretArns", "iamAuth", "kmsKeyArn"] })) return undefined;
  const secretArns = reader.stringList(at("secretArns"), {
    ...AWS_NAMES.secretArn,
    minItems: 1,
    what: "secret ARN",
    check: (arn, item) => checkSameRegion(reader, item, arn, region, "secret"),
  });
  const iamAuth = reader.oneOf(at("iamAuth"), ["DISABLED", "REQUIRED"] as const, { optional: true }) ?? "DISABLED";
  const kmsKeyArn = readArn(reader, at("kmsKeyArn"), AWS_NAMES.kmsKeyArn, region, "key");
  if (!secretArns) return undefined;
  return { scheme, secretArns, iamAuth, ...(kmsKeyArn ? { kmsKeyArn } : {}) };
}

function readArn(
  reader: FieldReader,
  field: Field,
  name: NamePattern,
  region: string | undefined,
  what: string,
  options: { optional: boolean } = { optional: true },
): string | undefined {
  const arn = reader.string(field, { ...options, ...name });
  if (arn !== undefined) checkSameRegion(reader, field, arn, region, what);
  return arn;
}

function checkSameRegion(reader: FieldReader, field: Field, arn: string, region: string | undefined, what: string): void {
  const arnRegionName = arnRegion(arn);
  if (region === undefined || arnRegionName === region) return;
  reader.report(field, `the ${what} is in ${arnRegionName}, but the stack deploys to ${region}; RDS Proxy and ECS read only same-region ${what}s`);
}

function readApplicationRole(
  reader: FieldReader,
  field: Field,
  auth: SecretsAuthInputs | IamAuthInputs | undefined,
): RecommendedProxyInputs["applicationRole"] | undefined {
  if (!reader.object(field, { optional: true, keys: ["name", "databaseUsers"] })) return undefined;
  const name = reader.string(reader.child(field, "name"), AWS_NAMES.iamRoleName);
  const usersField = reader.child(field, "databaseUsers");
  const defaultUsers = auth?.scheme === "IAM_AUTH" ? auth.databaseUsers : undefined;
  const databaseUsers =
    reader.stringList(usersField, { ...AWS_NAMES.databaseUser, minItems: 1, what: "database user", optional: defaultUsers !== undefined }) ??
    defaultUsers;
  if (auth?.scheme === "SECRETS" && auth.iamAuth === "DISABLED") {
    reader.report(field, 'grants rds-db:connect, which only matters with IAM authentication: set auth.iamAuth to "REQUIRED" or use auth.scheme "IAM_AUTH"');
  }
  if (name === undefined || databaseUsers === undefined) return undefined;
  return { name, databaseUsers };
}

function readAlarmInputs(reader: FieldReader, field: Field, region: string | undefined): RecommendedProxyInputs["alarms"] {
  reader.object(field, { optional: true, keys: ["snsTopicArn", "failedAuthThreshold"] });
  const snsTopicArn = readArn(reader, reader.child(field, "snsTopicArn"), AWS_NAMES.snsTopicArn, region, "topic");
  const failedAuthThreshold = reader.integer(reader.child(field, "failedAuthThreshold"), { optional: true, min: 0, max: 1_000_000 });
  return { ...(snsTopicArn ? { snsTopicArn } : {}), failedAuthThreshold: failedAuthThreshold ?? 5 };
}

function readTrialProxy(
  reader: FieldReader,
  field: Field,
  region: string | undefined,
  recommendation: DeployableRecommendation | undefined,
): TrialProxyInputs | undefined {
  const keys = [
    "stackName",
    "name",
    "vpcId",
    "subnetIds",
    "applicationSecurityGroupIds",
    "image",
    "cpuArchitecture",
    "cpu",
    "memory",
    "profile",
    "database",
    "logRetentionDays",
  ];
  if (!reader.object(field, { keys })) return undefined;
  const at = (key: string) => reader.child(field, key);
  const stackName = reader.string(at("stackName"), { optional: true, ...AWS_NAMES.stackName }) ?? DEFAULT_STACK_NAMES.trialProxy;
  const name = reader.string(at("name"), AWS_NAMES.trialName);
  const network = readNetwork(reader, field, 1, "the load balancer needs a subnet");
  const image = reader.string(at("image"), AWS_NAMES.image);
  const cpuArchitecture = reader.oneOf(at("cpuArchitecture"), ["X86_64", "ARM64"] as const, { optional: true }) ?? "X86_64";
  const cpu = reader.oneOf(at("cpu"), Object.keys(FARGATE_SIZES).map(Number), { optional: true }) ?? 512;
  const memory = reader.integer(at("memory"), { optional: true, min: 512, max: 30720, unit: "MiB" }) ?? FARGATE_SIZES[cpu]?.min ?? 1024;
  const size = FARGATE_SIZES[cpu];
  if (size && !(size.list ? size.list.includes(memory) : memory >= size.min && memory <= size.max && (memory - size.min) % size.step === 0)) {
    const allowed = size.list ? size.list.join(", ") : `${size.min} to ${size.max} in steps of ${size.step}`;
    reader.report(at("memory"), `Fargate with cpu ${cpu} takes memory ${allowed} MiB; got ${memory}`);
  }
  const profile = reader.oneOf(at("profile"), ["rds-proxy", "rds-proxy-pre-2023"] as const, { optional: true }) ?? "rds-proxy";
  const database = readTrialDatabase(reader, at("database"), region);
  const logRetentionDays = reader.oneOf(at("logRetentionDays"), LOG_RETENTION_DAYS, { optional: true }) ?? 14;
  if (recommendation && recommendation.engine_family !== "POSTGRESQL") {
    reader.report(field, `the trial proxy speaks PostgreSQL only, but the recommendation's engine_family is ${recommendation.engine_family}`);
    return undefined;
  }
  if (!name || !network || !image || !database) return undefined;
  return { stackName, name, ...network, image, cpuArchitecture, cpu, memory, profile, database, logRetentionDays };
}

function readTrialDatabase(reader: FieldReader, field: Field, region: string | undefined): TrialProxyInputs["database"] | undefined {
  const keys = ["host", "port", "name", "user", "sslmode", "securityGroupId", "credentialsSecretArn", "kmsKeyArn"];
  if (!reader.object(field, { keys })) return undefined;
  const at = (key: string) => reader.child(field, key);
  const host = reader.string(at("host"), AWS_NAMES.hostname);
  const port = reader.integer(at("port"), { optional: true, min: 1, max: 65535 });
  const name = reader.string(at("name"), { optional: true }) ?? "postgres";
  const user = reader.string(at("user"), AWS_NAMES.databaseUser);
  const sslmode = reader.oneOf(at("sslmode"), ["disable", "prefer", "require"] as const, { optional: true }) ?? "require";
  const securityGroupId = reader.string(at("securityGroupId"), AWS_NAMES.securityGroupId);
  const credentialsSecretArn = readArn(reader, at("credentialsSecretArn"), AWS_NAMES.secretArn, region, "secret", { optional: false });
  const kmsKeyArn = readArn(reader, at("kmsKeyArn"), AWS_NAMES.kmsKeyArn, region, "key");
  if (!host || !user || !securityGroupId || !credentialsSecretArn) return undefined;
  return {
    host,
    port: port ?? ENGINE_PORT.POSTGRESQL,
    name,
    user,
    sslmode,
    securityGroupId,
    credentialsSecretArn,
    ...(kmsKeyArn ? { kmsKeyArn } : {}),
  };
}
