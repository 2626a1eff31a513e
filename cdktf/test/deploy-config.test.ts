import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadDeployConfig, parseDeployConfig } from "../src/config/deploy-config.js";
import { type ConfigProblem, DeployConfigError } from "../src/config/field-reader.js";
import { SAMPLES, type SampleName, samplePath } from "./synth-samples.js";

const scratch = mkdtempSync(join(tmpdir(), "proxyfit-cdktf-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: the tests edit sample documents freely, as a user would.
type Json = Record<string, any>;
const readSample = (name: SampleName): Json => JSON.parse(readFileSync(samplePath(name), "utf8"));
const readRecommendationSample = (name: SampleName): Json =>
  JSON.parse(readFileSync(new URL(`../samples/${name}.recommendation.json`, import.meta.url), "utf8"));

let written = 0;
/** Writes a recommendation to a scratch file and returns its path. */
function writeRecommendation(recommendation: unknown): string {
  const file = join(scratch, `recommendation-${++written}.json`);
  writeFileSync(file, JSON.stringify(recommendation));
  return file;
}

/** Parses a (changed) sample; the recommendation path resolves against the samples folder. */
function parse(name: SampleName, change: (inputs: Json) => void = () => {}, env: NodeJS.ProcessEnv = {}) {
  const inputs = readSample(name);
  change(inputs);
  return parseDeployConfig(inputs, { file: samplePath(name), env });
}

function problemsOf(run: () => unknown): ConfigProblem[] {
  try {
    run();
  } catch (error) {
    if (error instanceof DeployConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a DeployConfigError");
}

/** The problems as "field: message", with the file name only (paths differ per machine). */
function describeProblems(run: () => unknown): string[] {
  return problemsOf(run).map((p) => `${p.file.split("/").at(-1)}: ${p.field}: ${p.message}`);
}

describe("the samples", () => {
  test.each(SAMPLES)("%s loads without a problem", (name) => {
    const config = loadDeployConfig(samplePath(name), { env: {} });
    expect(config.recommendation.verdict).toBe("rds-proxy");
    expect(config.recommendedProxy?.proxyName).toMatch(/-proxy$/);
  });

  test("defaults are filled in: stack names, database port, auth, alarms, trial sizing", () => {
    const config = parse("postgres-instance");
    expect(config.recommendedProxy).toMatchObject({
      stackName: "proxyfit-rds-proxy",
      database: { engine: "postgres", target: { kind: "instance", identifier: "orders-db" }, port: 5432 },
      auth: { scheme: "SECRETS", iamAuth: "DISABLED" },
      readOnlyEndpoint: false,
      alarms: { failedAuthThreshold: 5 },
    });
    expect(config.trialProxy).toMatchObject({
      stackName: "proxyfit-trial-proxy",
      cpu: 512,
      memory: 1024,
      cpuArchitecture: "X86_64",
      profile: "rds-proxy",
      logRetentionDays: 14,
      database: { port: 5432, sslmode: "require" },
    });
  });
});

describe("validation names the file, the field and what is wrong", () => {
  test("fewer than two subnets", () => {
    expect(describeProblems(() => parse("postgres-instance", (i) => (i.recommendedProxy.subnetIds = ["subnet-0aa11bb22cc33dd44"])))).toEqual([
      "postgres-instance.deploy.json: recommendedProxy.subnetIds: RDS Proxy needs at least two subnets, in different Availability Zones; got 1 (subnet-0aa11bb22cc33dd44)",
    ]);
  });

  test("an engine that does not match the recommendation's engine family", () => {
    expect(describeProblems(() => parse("postgres-instance", (i) => (i.recommendedProxy.database.engine = "mysql")))).toEqual([
      'postgres-instance.deploy.json: recommendedProxy.database.engine: "mysql" belongs to the MYSQL engine family, but the recommendation\'s engine_family is POSTGRESQL',
    ]);
  });

  test("an Aurora engine for a recommendation computed for an instance, and an Aurora target named as an instance", () => {
    expect(describeProblems(() => parse("postgres-instance", (i) => (i.recommendedProxy.database.engine = "aurora-postgresql")))).toEqual([
      'postgres-instance.deploy.json: recommendedProxy.database.engine: "aurora-postgresql" is Aurora, but the recommendation was computed for a non-Aurora target (target.aurora)',
      'postgres-instance.deploy.json: recommendedProxy.database.instanceIdentifier: RDS Proxy targets an Aurora database by its cluster: use clusterIdentifier for "aurora-postgresql"',
    ]);
  });

  test("both or neither of instanceIdentifier and clusterIdentifier", () => {
    const both = describeProblems(() => parse("postgres-instance", (i) => (i.recommendedProxy.database.clusterIdentifier = "orders")));
    expect(both).toEqual([
      "postgres-instance.deploy.json: recommendedProxy.database: give exactly one of instanceIdentifier (an RDS instance) and clusterIdentifier (an Aurora cluster)",
    ]);
  });

  test("a percent out of range in the recommendation", () => {
    const recommendation = readRecommendationSample("postgres-instance");
    recommendation.connection_pool_config.max_connections_percent = 120;
    const file = writeRecommendation(recommendation);
    const problems = problemsOf(() => parse("postgres-instance", (i) => (i.recommendation = file)));
    expect(problems).toEqual([
      { file, field: "connection_pool_config.max_connections_percent", message: "must be from 1 to 100 percent; got 120" },
    ]);
  });

  test("max_idle_connections_percent above max_connections_percent, a borrow timeout past 300 s, a negative alarm threshold", () => {
    const recommendation = readRecommendationSample("postgres-instance");
    recommendation.connection_pool_config.max_idle_connections_percent = 95;
    recommendation.connection_pool_config.connection_borrow_timeout = 301;
    recommendation.alarms.pinned_connections_percent = -1;
    const file = writeRecommendation(recommendation);
    expect(problemsOf(() => parse("postgres-instance", (i) => (i.recommendation = file))).map((p) => `${p.field}: ${p.message}`)).toEqual([
      "connection_pool_config.max_idle_connections_percent: must be from 0 to 90 percent (max_connections_percent); got 95",
      "connection_pool_config.connection_borrow_timeout: must be from 0 to 300 seconds; got 301",
      "alarms.pinned_connections_percent: must be from 0 to 100 percent; got -1",
    ]);
  });

  test("a missing secret ARN, an empty list, an ARN that is not one, a secret in another region", () => {
    expect(describeProblems(() => parse("postgres-instance", (i) => delete i.recommendedProxy.auth.secretArns))).toEqual([
      "postgres-instance.deploy.json: recommendedProxy.auth.secretArns: is required",
    ]);
    expect(describeProblems(() => parse("postgres-instance", (i) => (i.recommendedProxy.auth.secretArns = [])))).toEqual([
      "postgres-instance.deploy.json: recommendedProxy.auth.secretArns: needs at least 1 secret ARN; got 0",
    ]);
    const wrong = describeProblems(() =>
      parse("postgres-instance", (i) => {
        i.recommendedProxy.auth.secretArns = ["orders/app", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:orders/app-AbCdEf"];
      }),
    );
    expect(wrong).toEqual([
      'postgres-instance.deploy.json: recommendedProxy.auth.secretArns[0]: "orders/app" is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)',
      "postgres-instance.deploy.json: recommendedProxy.auth.secretArns[1]: the secret is in eu-west-1, but the stack deploys to us-east-1; RDS Proxy and ECS read only same-region secrets",
    ]);
  });

  test("the trial proxy's credentials secret is required", () => {
    expect(describeProblems(() => parse("postgres-instance", (i) => delete i.trialProxy.database.credentialsSecretArn))).toEqual([
      "postgres-instance.deploy.json: trialProxy.database.credentialsSecretArn: is required",
    ]);
  });

  test("session pinning filters on PostgreSQL", () => {
    const recommendation = readRecommendationSample("postgres-instance");
    recommendation.connection_pool_config.session_pinning_filters = ["EXCLUDE_VARIABLE_SETS"];
    const file = writeRecommendation(recommendation);
    expect(problemsOf(() => parse("postgres-instance", (i) => (i.recommendation = file))).map((p) => `${p.field}: ${p.message}`)).toEqual([
      "connection_pool_config.session_pinning_filters: RDS Proxy supports session pinning filters for the MYSQL engine family only",
    ]);
  });

  test("a verdict other than rds-proxy stops the stack unless ignoreVerdict is set", () => {
    const recommendation = readRecommendationSample("postgres-instance");
    recommendation.verdict = "self-hosted-pooler";
    recommendation.reasons = ["58% of sessions pin; PgBouncer in transaction mode is cheaper here"];
    const file = writeRecommendation(recommendation);
    expect(describeProblems(() => parse("postgres-instance", (i) => (i.recommendation = file)))).toEqual([
      'postgres-instance.deploy.json: recommendedProxy.ignoreVerdict: the recommendation\'s verdict is "self-hosted-pooler", not "rds-proxy"; set ignoreVerdict to true to deploy RDS Proxy anyway. The assessor\'s reasons:\n      - 58% of sessions pin; PgBouncer in transaction mode is cheaper here',
    ]);
    const config = parse("postgres-instance", (i) => {
      i.recommendation = file;
      i.recommendedProxy.ignoreVerdict = true;
    });
    expect(config.recommendation.verdict).toBe("self-hosted-pooler");
  });

  test("a read-only endpoint for an instance target, from the recommendation or from the inputs", () => {
    const recommendation = readRecommendationSample("postgres-instance");
    recommendation.read_only_endpoint.recommended = true;
    const file = writeRecommendation(recommendation);
    expect(describeProblems(() => parse("postgres-instance", (i) => (i.recommendation = file)))).toEqual([
      "postgres-instance.deploy.json: recommendedProxy.database: the recommendation's read_only_endpoint.recommended is true, but read-only proxy endpoints need an Aurora cluster target and database.instanceIdentifier names an instance",
    ]);
    expect(parse("postgres-instance", (i) => {
      i.recommendation = file;
      i.recommendedProxy.readOnlyEndpoint = false;
    }).recommendedProxy?.readOnlyEndpoint).toBe(false);
    // And the other way round: the inputs can turn off an endpoint the recommendation wants.
    expect(parse("aurora-mysql-cluster", (i) => (i.recommendedProxy.readOnlyEndpoint = false)).recommendedProxy?.readOnlyEndpoint).toBe(false);
  });

  test("IAM authentication needs TLS; an application role needs IAM authentication", () => {
    const recommendation = readRecommendationSample("iam-end-to-end");
    recommendation.require_tls = false;
    const file = writeRecommendation(recommendation);
    expect(describeProblems(() => parse("iam-end-to-end", (i) => (i.recommendation = file)))).toEqual([
      "iam-end-to-end.deploy.json: recommendedProxy.auth: IAM authentication sends tokens that must travel over TLS, but the recommendation's require_tls is false",
    ]);
    expect(
      describeProblems(() => parse("postgres-instance", (i) => (i.recommendedProxy.applicationRole = { name: "orders-api", databaseUsers: ["app"] }))),
    ).toEqual([
      'postgres-instance.deploy.json: recommendedProxy.applicationRole: grants rds-db:connect, which only matters with IAM authentication: set auth.iamAuth to "REQUIRED" or use auth.scheme "IAM_AUTH"',
    ]);
    const withSecretsAndIam = parse("postgres-instance", (i) => {
      i.recommendedProxy.auth.iamAuth = "REQUIRED";
      i.recommendedProxy.applicationRole = { name: "orders-api", databaseUsers: ["orders_app"] };
    });
    expect(withSecretsAndIam.recommendedProxy?.applicationRole).toEqual({ name: "orders-api", databaseUsers: ["orders_app"] });
  });

  test("with end-to-end IAM, the application role's users default to auth.databaseUsers", () => {
    expect(parse("iam-end-to-end").recommendedProxy?.applicationRole).toEqual({ name: "api-service-task", databaseUsers: ["api_app"] });
  });

  test("a misspelt setting is reported, not ignored", () => {
    expect(
      describeProblems(() =>
        parse("postgres-instance", (i) => {
          i.recommendedProxy.subnetIDs = i.recommendedProxy.subnetIds;
          delete i.recommendedProxy.subnetIds;
        }),
      ),
    ).toEqual([
      "postgres-instance.deploy.json: recommendedProxy.subnetIDs: is not a known setting (known: stackName, proxyName, ignoreVerdict, vpcId, subnetIds, applicationSecurityGroupIds, database, auth, readOnlyEndpoint, endpointNetworkType, targetConnectionNetworkType, applicationRole, alarms, logRetentionDays)",
      "postgres-instance.deploy.json: recommendedProxy.subnetIds: is required",
    ]);
  });

  test("an IPv6-only proxy endpoint needs an IPv6 target connection", () => {
    expect(describeProblems(() => parse("postgres-instance", (i) => (i.recommendedProxy.endpointNetworkType = "IPV6")))).toEqual([
      'postgres-instance.deploy.json: recommendedProxy.targetConnectionNetworkType: must be "IPV6" when endpointNetworkType is "IPV6" (RDS Proxy in IPv6-only subnets reaches its database over IPv6)',
    ]);
  });

  test("every problem of both files is reported in one error", () => {
    const recommendation = readRecommendationSample("postgres-instance");
    recommendation.require_tls = "yes";
    recommendation.client_password_auth_type = "MYSQL_NATIVE_PASSWORD";
    const file = writeRecommendation(recommendation);
    const error = (() => {
      try {
        parse("postgres-instance", (i) => {
          i.recommendation = file;
          i.region = "us-east";
          i.recommendedProxy.vpcId = "vpc-1";
          i.trialProxy.memory = 3000;
        });
      } catch (caught) {
        return caught as DeployConfigError;
      }
      throw new Error("expected a DeployConfigError");
    })();
    expect(error.problems.map((p) => p.field)).toEqual([
      "require_tls",
      "client_password_auth_type",
      "region",
      "recommendedProxy.vpcId",
      "trialProxy.memory",
    ]);
    expect(error.message.split("\n")[0]).toBe("invalid deployment inputs (5 problems):");
    expect(error.message).toContain(`${file}: client_password_auth_type: must be one of "POSTGRES_SCRAM_SHA_256", "POSTGRES_MD5"; got "MYSQL_NATIVE_PASSWORD"`);
    expect(error.message).toContain("trialProxy.memory: Fargate with cpu 512 takes memory 1024 to 4096 in steps of 1024 MiB; got 3000");
  });

  test("the trial proxy speaks PostgreSQL only", () => {
    expect(
      describeProblems(() =>
        parse("aurora-mysql-cluster", (i) => {
          i.trialProxy = readSample("postgres-instance").trialProxy;
        }),
      ),
    ).toEqual([
      // The sample's trial secret is in us-east-1; this stack deploys to eu-west-1.
      "aurora-mysql-cluster.deploy.json: trialProxy.database.credentialsSecretArn: the secret is in us-east-1, but the stack deploys to eu-west-1; RDS Proxy and ECS read only same-region secrets",
      "aurora-mysql-cluster.deploy.json: trialProxy: the trial proxy speaks PostgreSQL only, but the recommendation's engine_family is MYSQL",
    ]);
  });

  test("an unsupported recommendation schema_version", () => {
    const recommendation = readRecommendationSample("postgres-instance");
    recommendation.schema_version = "2.0";
    const file = writeRecommendation(recommendation);
    expect(problemsOf(() => parse("postgres-instance", (i) => (i.recommendation = file)))).toEqual([
      { file, field: "schema_version", message: 'this version of @proxyfit/cdktf reads schema_version "1.0"; got "2.0"' },
    ]);
  });

  test("a file that defines no stack", () => {
    expect(
      describeProblems(() =>
        parse("postgres-instance", (i) => {
          delete i.recommendedProxy;
          delete i.trialProxy;
        }),
      ),
    ).toEqual(["postgres-instance.deploy.json: : defines no stack: add recommendedProxy, trialProxy or both"]);
  });
});

describe("files and the environment", () => {
  test("a missing inputs file, a missing recommendation file", () => {
    const missing = join(scratch, "nope.json");
    expect(problemsOf(() => loadDeployConfig(missing))).toEqual([{ file: missing, field: "", message: "file not found" }]);
    expect(problemsOf(() => parse("postgres-instance", (i) => (i.recommendation = missing)))).toEqual([
      { file: missing, field: "", message: "file not found" },
    ]);
  });

  test("invalid JSON is reported with its line and column", () => {
    const file = join(scratch, "broken.deploy.json");
    writeFileSync(file, '{\n  "region": "us-east-1",\n  "recommendation": "x.json",\n}\n');
    const [problem] = problemsOf(() => loadDeployConfig(file));
    expect(problem!.message).toMatch(/^not valid JSON: .* at line 4, column 1$/);
  });

  test("PROXYFIT_RECOMMENDATION replaces the inputs' recommendation path", () => {
    const recommendation = readRecommendationSample("postgres-instance");
    recommendation.alarms.pinned_connections_percent = 33;
    const file = writeRecommendation(recommendation);
    const config = loadDeployConfig(samplePath("postgres-instance"), { env: { PROXYFIT_RECOMMENDATION: file } });
    expect(config.recommendationFile).toBe(file);
    expect(config.recommendation.alarms.pinned_connections_percent).toBe(33);
  });

  test("a whole assessor JSON report is accepted: its recommendation member is used", () => {
    const report = { schemaVersion: "1.0", tool: { name: "proxyfit" }, recommendation: readRecommendationSample("postgres-instance") };
    report.recommendation.connection_pool_config.max_connections_percent = 0;
    const file = writeRecommendation(report);
    expect(problemsOf(() => parse("postgres-instance", (i) => (i.recommendation = file))).map((p) => p.field)).toEqual([
      "recommendation.connection_pool_config.max_connections_percent",
    ]);
    report.recommendation.connection_pool_config.max_connections_percent = 50;
    const fixed = writeRecommendation(report);
    expect(parse("postgres-instance", (i) => (i.recommendation = fixed)).recommendation.connection_pool_config.max_connections_percent).toBe(50);
  });
});
