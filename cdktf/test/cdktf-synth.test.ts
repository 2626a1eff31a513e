import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { SAMPLES, type SampleName, samplePath } from "./synth-samples.js";

/**
 * What CI runs: `npx cdktf synth` on every sample, offline, through the app in cdktf.json; then, where a Terraform
 * AWS provider is available without network (a filesystem mirror), `terraform validate` of every synthesized stack.
 */
const run = promisify(execFile);
const packageDir = new URL("..", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "proxyfit-synth-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const OFFLINE = { CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
/** The compiled app; the first synth (through cdktf.json's app) compiles it, the others reuse it. */
const COMPILED_APP = "node dist/synth-app/cdktf/src/main.js";

async function cdktfSynth(inputsFile: string, output: string, app?: string) {
  const args = ["cdktf", "synth", "--output", output, ...(app ? ["--app", app] : [])];
  return run("npx", args, {
    cwd: packageDir,
    env: { ...process.env, ...OFFLINE, PROXYFIT_DEPLOY_CONFIG: inputsFile },
    timeout: 120_000,
  });
}

const outputOf = (name: SampleName) => join(scratch, name);
const stacksOf = (name: SampleName) => readdirSync(join(outputOf(name), "stacks")).sort();

describe("npx cdktf synth on the samples, offline", () => {
  test("postgres-instance through cdktf.json's app: both stacks", async () => {
    await cdktfSynth(samplePath("postgres-instance"), outputOf("postgres-instance"));
    expect(stacksOf("postgres-instance")).toEqual(["proxyfit-rds-proxy", "proxyfit-trial-proxy"]);
    const rds = JSON.parse(readFileSync(join(outputOf("postgres-instance"), "stacks/proxyfit-rds-proxy/cdk.tf.json"), "utf8"));
    expect(Object.values(rds.resource.aws_db_proxy)).toMatchObject([{ name: "orders-proxy", engine_family: "POSTGRESQL" }]);
    const trial = JSON.parse(readFileSync(join(outputOf("postgres-instance"), "stacks/proxyfit-trial-proxy/cdk.tf.json"), "utf8"));
    expect(Object.values(trial.resource.aws_ecs_service)).toMatchObject([{ name: "orders-trial", launch_type: "FARGATE" }]);
  });

  test.each([
    ["aurora-mysql-cluster", ["checkout-rds-proxy"]],
    ["iam-end-to-end", ["proxyfit-rds-proxy"]],
  ] as const)("%s", async (name, stacks) => {
    await cdktfSynth(samplePath(name), outputOf(name), COMPILED_APP);
    expect(stacksOf(name)).toEqual(stacks);
  });

  test("invalid inputs: synth fails and prints every problem with its file and field", async () => {
    const inputs = JSON.parse(readFileSync(samplePath("postgres-instance"), "utf8"));
    inputs.recommendation = new URL("../samples/postgres-instance.recommendation.json", import.meta.url).pathname;
    inputs.recommendedProxy.subnetIds = ["subnet-0aa11bb22cc33dd44"];
    inputs.recommendedProxy.auth.secretArns = [];
    const file = join(scratch, "invalid.deploy.json");
    writeFileSync(file, JSON.stringify(inputs));
    const failure = await cdktfSynth(file, join(scratch, "invalid"), COMPILED_APP).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain("proxyfit: invalid deployment inputs (2 problems):");
    expect(failure?.stderr).toContain(`${file}: recommendedProxy.subnetIds: RDS Proxy needs at least two subnets`);
    expect(failure?.stderr).toContain(`${file}: recommendedProxy.auth.secretArns: needs at least 1 secret ARN; got 0`);
  });
});

/** A filesystem mirror holding hashicorp/aws (`terraform init -plugin-dir`), from PROXYFIT_TF_PLUGIN_DIR or /opt/tf-plugins. */
function offlineAwsProvider(): { pluginDir: string; version: string } | undefined {
  const pluginDir = process.env.PROXYFIT_TF_PLUGIN_DIR || "/opt/tf-plugins";
  const versions = join(pluginDir, "registry.terraform.io/hashicorp/aws");
  if (!existsSync(versions)) return undefined;
  const version = readdirSync(versions).sort().at(-1);
  return version ? { pluginDir, version } : undefined;
}

const provider = offlineAwsProvider();

describe.skipIf(!provider)(`terraform validate with the offline AWS provider ${provider?.version ?? ""}`, () => {
  /**
   * The bindings target provider 6.25.0; the mirror may hold another version. Pin the stack to the mirror's version,
   * and where the stack uses an argument that version lacks (default_auth_scheme arrived in 6.x), say so rather than
   * fail: the rest of the stack is still checked against Terraform's own schema.
   */
  function prepare(name: SampleName, stack: string): { dir: string; adapted: string[] } {
    const dir = join(scratch, "validate", name, stack);
    mkdirSync(dir, { recursive: true });
    cpSync(join(outputOf(name), "stacks", stack, "cdk.tf.json"), join(dir, "cdk.tf.json"));
    const document = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
    document.terraform.required_providers.aws.version = provider!.version;
    delete document.terraform.backend;
    const adapted: string[] = [];
    if (!provider!.version.startsWith("6.")) {
      for (const proxy of Object.values(document.resource.aws_db_proxy ?? {}) as Array<Record<string, unknown>>) {
        if (proxy.default_auth_scheme === undefined) continue;
        delete proxy.default_auth_scheme;
        proxy.auth = [{ auth_scheme: "SECRETS", iam_auth: "REQUIRED", secret_arn: "arn:aws:secretsmanager:us-west-2:111122223333:secret:x" }];
        adapted.push("aws_db_proxy.default_auth_scheme");
      }
    }
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(document));
    return { dir, adapted };
  }

  const stacks: Array<[SampleName, string]> = [
    ["postgres-instance", "proxyfit-rds-proxy"],
    ["postgres-instance", "proxyfit-trial-proxy"],
    ["aurora-mysql-cluster", "checkout-rds-proxy"],
    ["iam-end-to-end", "proxyfit-rds-proxy"],
  ];
  test.concurrent.for(stacks)("%s / %s", async ([name, stack], { expect }) => {
    const { dir, adapted } = prepare(name, stack);
    const env = { ...process.env, ...OFFLINE };
    await run("terraform", ["init", "-backend=false", "-input=false", `-plugin-dir=${provider!.pluginDir}`], { cwd: dir, env });
    const { stdout } = await run("terraform", ["validate", "-json"], { cwd: dir, env });
    const result = JSON.parse(stdout);
    expect(result.diagnostics, JSON.stringify(result.diagnostics, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(adapted).toEqual(name === "iam-end-to-end" && !provider!.version.startsWith("6.") ? ["aws_db_proxy.default_auth_scheme"] : []);
  });
});

test("the samples list covers every sample file", () => {
  const files = readdirSync(join(packageDir, "samples")).filter((f) => f.endsWith(".deploy.json"));
  expect(files.map((f) => f.replace(".deploy.json", "")).sort()).toEqual([...SAMPLES].sort());
});
