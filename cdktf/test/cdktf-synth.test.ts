import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { offlineTerraform } from "./offline-terraform.js";
import { SAMPLES, type SampleName, samplePath } from "./synth-samples.js";
import { fitToMirror } from "./terraform-checks.js";

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

async function cdktfSynth(inputsFile: string | undefined, output: string, app?: string) {
  const args = ["cdktf", "synth", "--output", output, ...(app ? ["--app", app] : [])];
  const env: NodeJS.ProcessEnv = { ...process.env, ...OFFLINE, CI: "1" };
  if (inputsFile) env.PROXYFIT_DEPLOY_CONFIG = inputsFile;
  else delete env.PROXYFIT_DEPLOY_CONFIG;
  return run("npx", args, { cwd: packageDir, env, timeout: 240_000 });
}

const outputOf = (name: SampleName) => join(scratch, name);
const stacksOf = (name: SampleName) => readdirSync(join(outputOf(name), "stacks")).sort();

// A compile and a synth each, or a terraform init: minutes when the machine is loaded by other test runs.
const SLOW = { timeout: 300_000 };

describe("npx cdktf synth on the samples, offline", SLOW, () => {
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

  test("a first run without inputs synthesizes the bundled sample and says so on one line", async () => {
    expect(existsSync(join(packageDir, "proxyfit.deploy.json")), "this test needs cdktf/ without a proxyfit.deploy.json").toBe(false);
    const { stdout } = await cdktfSynth(undefined, join(scratch, "first-run"), COMPILED_APP);
    const said = stdout.split("\n").filter((line) => line.startsWith("proxyfit:"));
    expect(said).toEqual([
      "proxyfit: no proxyfit.deploy.json here, so this synthesizes the bundled sample samples/postgres-instance.deploy.json; set PROXYFIT_DEPLOY_CONFIG to your own deployment inputs (docs/deploy.md)",
    ]);
    expect(readdirSync(join(scratch, "first-run", "stacks")).sort()).toEqual(["proxyfit-rds-proxy", "proxyfit-trial-proxy"]);
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

/**
 * Every synthesized stack as written, against Terraform's own schema of the AWS provider in the offline mirror (5.100.0
 * on the development machine): `terraform init` must accept the stack's provider constraint, and `validate` the stack.
 * A stack that asks for a newer provider (end-to-end IAM: >= 6.15.0) must be refused by init when the mirror is older;
 * it is then validated with the one argument that needs 6.x swapped for an `auth` block, so the rest is still checked.
 */
describe("terraform init and validate, offline, of every synthesized stack", SLOW, () => {
  const stacks: Array<[SampleName, string]> = [
    ["postgres-instance", "proxyfit-rds-proxy"],
    ["postgres-instance", "proxyfit-trial-proxy"],
    ["aurora-mysql-cluster", "checkout-rds-proxy"],
    ["iam-end-to-end", "proxyfit-rds-proxy"],
  ];
  test.concurrent.for(stacks)("%s / %s", async ([name, stack], { expect }) => {
    const terraform = await offlineTerraform(scratch);
    const dir = join(scratch, "validate", name, stack);
    mkdirSync(dir, { recursive: true });
    const document = JSON.parse(readFileSync(join(outputOf(name), "stacks", stack, "cdk.tf.json"), "utf8"));
    const text = JSON.stringify(document);
    for (const machinePath of [packageDir.replace(/\/$/, ""), scratch]) expect(text).not.toContain(machinePath);
    if (document.terraform.backend.local) expect(document.terraform.backend.local.path).toBe(`../../../terraform.${stack}.tfstate`);
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(document));
    // The S3 backend would need credentials; the local one is checked above for being relative.
    const initArgs = ["-backend=false", "-input=false", "-no-color"];
    await fitToMirror(terraform, dir, initArgs);
    await terraform.run(["init", ...initArgs], dir);
    const { stdout } = await terraform.run(["validate", "-json"], dir);
    const result = JSON.parse(stdout);
    expect(result.diagnostics, JSON.stringify(result.diagnostics, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

test("the samples list covers every sample file", () => {
  const files = readdirSync(join(packageDir, "samples")).filter((f) => f.endsWith(".deploy.json"));
  expect(files.map((f) => f.replace(".deploy.json", "")).sort()).toEqual([...SAMPLES].sort());
});
