import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { runTerraform } from "../src/cli/terraform-command.js";
import { loadDeployConfig } from "../src/config/deploy-config.js";
import { terraformModules } from "../src/hcl/terraform-module.js";
import { failureOf, offlineTerraform } from "./offline-terraform.js";
import { SAMPLES, type SampleName, samplePath } from "./synth-samples.js";

/**
 * The plain Terraform modules of every sample, checked by terraform itself, offline: init against the mirror, validate,
 * and `terraform test` with a mocked AWS provider that plans and applies the whole module (references, outputs).
 */
const scratch = mkdtempSync(join(tmpdir(), "proxyfit-hcl-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** plan, then apply, of the whole module against a mocked provider, with every output known afterwards. */
const PLAN_AND_APPLY = `# The mock makes up values for computed attributes; those the provider checks for ARN syntax get one.
mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mock" }
  }
  mock_resource "aws_db_proxy" {
    defaults = { arn = "arn:aws:rds:us-east-1:111122223333:db-proxy:prx-0123456789abcdef0" }
  }
  mock_resource "aws_db_proxy_default_target_group" {
    defaults = { name = "default" }
  }
  mock_resource "aws_lb" {
    defaults = { arn = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/mock/0123456789abcdef" }
  }
  mock_resource "aws_lb_target_group" {
    defaults = { arn = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/mock/0123456789abcdef" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:us-east-1:111122223333:cluster/mock" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:us-east-1:111122223333:task-definition/mock:1" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:111122223333:log-group:mock" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
}

run "plan" {
  command = plan
}

run "apply" {
  command = apply
}
`;

function writeModules(name: SampleName): Array<{ module: string; dir: string; constraint: string }> {
  return terraformModules(loadDeployConfig(samplePath(name), { env: {} })).map((module) => {
    const dir = join(scratch, name, module.name);
    mkdirSync(join(dir, "tests"), { recursive: true });
    for (const [file, text] of Object.entries(module.files)) writeFileSync(join(dir, file), text);
    writeFileSync(join(dir, "tests", "plan_apply.tftest.hcl"), PLAN_AND_APPLY);
    const constraint = /\n\s+version\s+=\s+"([^"]+)"/.exec(module.files["versions.tf"]!)![1]!;
    return { module: module.name, dir, constraint };
  });
}

describe("proxyfit terraform modules of the samples: init, validate, test (plan and apply with mock_provider)", { timeout: 300_000 }, () => {
  test.concurrent.for(SAMPLES)("%s", async (name, { expect }) => {
    const terraform = await offlineTerraform(scratch);
    for (const { module, dir, constraint } of writeModules(name)) {
      if (constraint.startsWith(">= 6.") && !terraform.providerVersion.startsWith("6.")) {
        const refused = await failureOf(terraform.run(["init", "-input=false", "-no-color"], dir));
        expect(refused?.stderr, `${module}: init must refuse the ${terraform.providerVersion} mirror`).toMatch(/no available releases match the given constraints/);
        // The rest of the module is still checked: the one 6.x argument swapped for what 5.x has.
        const main = readFileSync(join(dir, "main.tf"), "utf8");
        expect(main).toMatch(/\n {2}default_auth_scheme += "IAM_AUTH"\n/);
        writeFileSync(
          join(dir, "main.tf"),
          main.replace(/\n {2}default_auth_scheme += "IAM_AUTH"\n/, '\n  auth {\n    auth_scheme = "SECRETS"\n    iam_auth = "REQUIRED"\n    secret_arn = "arn:aws:secretsmanager:us-west-2:111122223333:secret:x"\n  }\n'),
        );
        writeFileSync(join(dir, "versions.tf"), readFileSync(join(dir, "versions.tf"), "utf8").replace(constraint, terraform.providerVersion));
      }
      await terraform.run(["init", "-input=false", "-no-color"], dir);
      const validation = JSON.parse((await terraform.run(["validate", "-json"], dir)).stdout);
      expect(validation.diagnostics, `${dir}: ${JSON.stringify(validation.diagnostics, null, 2)}`).toEqual([]);
      const { stdout } = await terraform.run(["test", "-no-color"], dir);
      expect(stdout).toMatch(/Success! 2 passed, 0 failed\./);
    }
  });
});

test("the module's files", () => {
  const [rds] = terraformModules(loadDeployConfig(samplePath("postgres-instance"), { env: {} }));
  expect(Object.keys(rds!.files).sort()).toEqual(["main.tf", "outputs.tf", "variables.tf", "versions.tf"]);
});

describe("proxyfit terraform (runTerraform)", () => {
  async function runCommand(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const written = { stdout: "", stderr: "" };
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.stdout += String(chunk);
      return true;
    });
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.stderr += String(chunk);
      return true;
    });
    try {
      return { code: await runTerraform(argv), ...written };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }

  test("writes both modules of the inputs, with --recommendation replacing the inputs' own", async () => {
    const output = join(scratch, "command");
    const recommendation = new URL("../samples/postgres-instance.recommendation.json", import.meta.url).pathname;
    const { code, stderr } = await runCommand(["--recommendation", recommendation, "--deploy-config", samplePath("postgres-instance"), "-o", output]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(readdirSync(output).sort()).toEqual(["rds-proxy", "trial-proxy"]);
    expect(readdirSync(join(output, "rds-proxy")).sort()).toEqual(["main.tf", "outputs.tf", "variables.tf", "versions.tf"]);
    const variables = readFileSync(join(output, "rds-proxy", "variables.tf"), "utf8");
    expect(variables).toContain(
      '# From the recommendation (samples/postgres-instance.recommendation.json, connection_pool_config.max_connections_percent).\nvariable "max_connections_percent" {',
    );
    expect(variables).toMatch(/variable "max_connections_percent" \{\n {2}description = "[^"]+"\n {2}type {8}= number\n {2}default {5}= 90\n\}/);
  });

  test("bad inputs: one line per problem, naming file and field, exit 2", async () => {
    const file = join(scratch, "bad.deploy.json");
    const inputs = JSON.parse(readFileSync(samplePath("postgres-instance"), "utf8"));
    inputs.recommendation = new URL("../samples/postgres-instance.recommendation.json", import.meta.url).pathname;
    inputs.recommendedProxy.vpcId = "vpc-1";
    writeFileSync(file, JSON.stringify(inputs));
    const { code, stderr } = await runCommand(["--deploy-config", file, "-o", join(scratch, "bad")]);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(new RegExp(`^proxyfit terraform: ${file}: recommendedProxy\\.vpcId: `))]);
  });

  test("a missing option: usage, exit 2", async () => {
    const { code, stderr } = await runCommand(["--deploy-config", samplePath("postgres-instance")]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^proxyfit terraform: -o DIR is required\nusage: proxyfit terraform/);
  });
});
