import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assess, fileInput } from "@proxyfit/assessor";
import type { Recommendation } from "@proxyfit/assessor/recommendation";
import { buildApp, parseDeployConfig } from "@proxyfit/cdktf";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresInstance, STATEMENT_LOGGING, startPostgres } from "../../src/servers/postgres.js";

/**
 * From a real log to infrastructure: a throwaway PostgreSQL logs a small workload, the assessor turns the log into a
 * recommendation, and the cdktf app turns that recommendation (plus the sample deployment inputs) into both stacks.
 * Also holds the cdktf samples to the recommendation's JSON Schema, so samples and schema cannot drift apart.
 */
const repository = new URL("../../../", import.meta.url).pathname;
const cdktfSamples = join(repository, "cdktf/samples");
const scratch = mkdtempSync(join(tmpdir(), "proxyfit-recommendation-"));

function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(repository, "docs/schemas/recommendation.schema.json"), "utf8")));
}

async function runWorkload(server: PostgresInstance): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const client = new pg.Client({ connectionString: server.connectionString(), application_name: `orders-${i}` });
      await client.connect();
      return client;
    }),
  );
  // Every session repeats the same SET (init_query material); two also take a session advisory lock (pins).
  await Promise.all(clients.map((c) => c.query("SET statement_timeout = '30s'")));
  for (const client of clients.slice(0, 2)) await client.query("SELECT pg_advisory_lock(42)").then(() => client.query("SELECT pg_advisory_unlock(42)"));
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      clients.map(async (c) => {
        await c.query("BEGIN");
        await c.query("SELECT now()");
        await c.query("COMMIT");
      }),
    );
  }
  await Promise.all(clients.map((c) => c.end()));
}

describe("recommendation from a real PostgreSQL log -> RecommendedProxyStack and TrialProxyStack", () => {
  let server: PostgresInstance;
  let recommendation: Recommendation;
  const outdir = join(scratch, "cdktf.out");

  beforeAll(async () => {
    server = await startPostgres({
      settings: STATEMENT_LOGGING,
    });
    await runWorkload(server);
    await server.shutdown();
    const inputs = await Promise.all((await server.logFiles("stderr")).map((f) => fileInput(f)));
    const report = await assess(inputs, { instanceClass: "db.r6g.large", region: "us-east-1" });
    recommendation = report.recommendation!;
    // What `proxyfit assess --format recommendation` writes.
    const recommendationFile = join(scratch, "recommendation.json");
    writeFileSync(recommendationFile, `${JSON.stringify(recommendation, null, 2)}\n`);

    const inputsFile = join(scratch, "proxyfit.deploy.json");
    const deployInputs = JSON.parse(readFileSync(join(cdktfSamples, "postgres-instance.deploy.json"), "utf8"));
    deployInputs.recommendation = recommendationFile;
    // The stacks' mapping is under test here, not the assessor's verdict on an eight-client workload.
    deployInputs.recommendedProxy.ignoreVerdict = true;
    writeFileSync(inputsFile, JSON.stringify(deployInputs));
    buildApp(parseDeployConfig(deployInputs, { file: inputsFile, env: {} }), { outdir }).synth();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const stack = (name: string) => JSON.parse(readFileSync(join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
  const only = (resources: Record<string, Record<string, unknown>>) => Object.values(resources)[0]!;

  it("the assessor's recommendation is valid against docs/schemas/recommendation.schema.json", () => {
    const validate = schemaValidator();
    expect(validate(recommendation), JSON.stringify(validate.errors)).toBe(true);
    expect(recommendation.engine_family).toBe("POSTGRESQL");
  });

  it("synthesizes both stacks", () => {
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(["proxyfit-rds-proxy", "proxyfit-trial-proxy"]);
  });

  it("RDS Proxy gets the recommendation's pool, timeouts, TLS, auth type and alarm thresholds", () => {
    const rds = stack("proxyfit-rds-proxy");
    const pool = recommendation.connection_pool_config;
    expect(only(rds.resource.aws_db_proxy_default_target_group).connection_pool_config).toEqual({
      max_connections_percent: pool.max_connections_percent,
      max_idle_connections_percent: pool.max_idle_connections_percent,
      connection_borrow_timeout: pool.connection_borrow_timeout,
      ...(pool.init_query === undefined ? {} : { init_query: pool.init_query }),
      session_pinning_filters: pool.session_pinning_filters,
    });
    const proxy = only(rds.resource.aws_db_proxy) as Record<string, unknown> & { auth: Array<Record<string, unknown>> };
    expect(proxy.idle_client_timeout).toBe(recommendation.idle_client_timeout);
    expect(proxy.require_tls).toBe(recommendation.require_tls);
    for (const auth of proxy.auth) expect(auth.client_password_auth_type).toBe(recommendation.client_password_auth_type);
    const thresholds = Object.fromEntries(
      Object.values(rds.resource.aws_cloudwatch_metric_alarm as Record<string, { alarm_name: string; threshold: number }>).map((a) => [
        a.alarm_name,
        a.threshold,
      ]),
    );
    expect(thresholds["orders-proxy-pinned-connections"]).toBe(recommendation.alarms.pinned_connections_percent);
    expect(thresholds["orders-proxy-borrow-latency"]).toBe(recommendation.alarms.borrow_latency_us);
  });

  it("the trial proxy runs with the same pool settings", () => {
    const trial = stack("proxyfit-trial-proxy");
    const [container] = JSON.parse(only(trial.resource.aws_ecs_task_definition).container_definitions as string);
    const environment = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    const pool = recommendation.connection_pool_config;
    expect(environment).toMatchObject({
      PROXYFIT_MAX_CONNECTIONS_PERCENT: String(pool.max_connections_percent),
      PROXYFIT_MAX_IDLE_CONNECTIONS_PERCENT: String(pool.max_idle_connections_percent),
      PROXYFIT_CONNECTION_BORROW_TIMEOUT: String(pool.connection_borrow_timeout),
      PROXYFIT_IDLE_CLIENT_TIMEOUT: String(recommendation.idle_client_timeout),
      PROXYFIT_CLIENT_PASSWORD_AUTH_TYPE: recommendation.client_password_auth_type,
    });
    expect(environment.PROXYFIT_INIT_QUERY).toBe(pool.init_query);
  });
});

describe("the cdktf samples match the recommendation schema", () => {
  const validate = schemaValidator();
  const samples = readdirSync(cdktfSamples).filter((f) => f.endsWith(".recommendation.json"));
  it.each(samples)("%s", (file) => {
    const sample = JSON.parse(readFileSync(join(cdktfSamples, file), "utf8"));
    expect(validate(sample), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });
  it("there are three", () => expect(samples).toHaveLength(3));
});
