import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { failureOf, type OfflineTerraform } from "./offline-terraform.js";

/**
 * What every route's configuration goes through: `terraform init` offline, `validate`, and `terraform test` running
 * plan and apply of the whole configuration against a mocked AWS provider; the plan comes back for comparison.
 */

/** plan, then apply, of the whole configuration against a mocked provider, with every output known afterwards. */
export const PLAN_AND_APPLY = `# The mock makes up values for computed attributes; those the provider checks for ARN syntax get one, and so do
# those that flow into planned values.
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
  # Data read at plan time flows into planned values (the rds-db:connect ARN): fixed, so that plans compare.
  mock_data "aws_db_instance" {
    defaults = { resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0" }
  }
  mock_data "aws_rds_cluster" {
    defaults = { cluster_resource_id = "cluster-ABCDEFGHIJKLMNOPQRSTUVWXY0" }
  }
}

run "plan" {
  command = plan
}

run "apply" {
  command = apply
}
`;

/** The plan of `terraform test -json -verbose`'s plan run: what would be created, and the outputs. */
export interface TestPlan {
  resource_changes: Array<{ address: string; type: string; name: string; change: { after: Record<string, unknown>; after_unknown: Record<string, unknown> } }>;
  output_changes: Record<string, { after: unknown; after_unknown: unknown }>;
}

/** The SECRETS block that stands in for end-to-end IAM where the mirror's provider predates it (< 6.15.0). */
const SECRETS_AUTH = { auth_scheme: "SECRETS", iam_auth: "REQUIRED", secret_arn: "arn:aws:secretsmanager:us-west-2:111122223333:secret:x" };

/**
 * A configuration that asks for a newer provider than the mirror has must be refused by init; its one argument that
 * needs 6.x (default_auth_scheme) is then swapped for the `auth` block 5.x has, so that the rest is still checked.
 * Applied alike to every route, so their plans stay comparable. Returns false when nothing needed swapping.
 */
export async function fitToMirror(terraform: OfflineTerraform, dir: string, initArgs: string[]): Promise<boolean> {
  const jsonFile = join(dir, "cdk.tf.json");
  const json = existsSync(jsonFile) ? readFileSync(jsonFile, "utf8") : undefined;
  const versionsText = json === undefined ? readFileSync(join(dir, "versions.tf"), "utf8") : undefined;
  const constraint = json !== undefined ? JSON.parse(json).terraform.required_providers.aws.version : /\n\s+version\s+=\s+"([^"]+)"/.exec(versionsText!)![1]!;
  if (!constraint.startsWith(">= 6.") || terraform.providerVersion.startsWith("6.")) return false;

  const refused = await failureOf(terraform.run(["init", ...initArgs], dir));
  expect(refused?.stderr, `${dir}: init must refuse the ${terraform.providerVersion} mirror`).toMatch(/no available releases match the given constraints >= 6\.15\.0,\s+< 7\.0\.0/);
  if (json !== undefined) {
    const document = JSON.parse(json);
    for (const proxy of Object.values(document.resource.aws_db_proxy) as Array<Record<string, unknown>>) {
      expect(proxy.default_auth_scheme).toBe("IAM_AUTH");
      delete proxy.default_auth_scheme;
      proxy.auth = [SECRETS_AUTH];
    }
    document.terraform.required_providers.aws.version = terraform.providerVersion;
    writeFileSync(jsonFile, JSON.stringify(document));
  } else {
    const main = readFileSync(join(dir, "main.tf"), "utf8");
    const defaultAuthScheme = /\n {2}default_auth_scheme += "IAM_AUTH"\n/;
    expect(main).toMatch(defaultAuthScheme);
    const block = Object.entries(SECRETS_AUTH).map(([key, value]) => `    ${key} = "${value}"\n`).join("");
    writeFileSync(join(dir, "main.tf"), main.replace(defaultAuthScheme, `\n  auth {\n${block}  }\n`));
    writeFileSync(join(dir, "versions.tf"), versionsText!.replace(constraint, terraform.providerVersion));
  }
  return true;
}

/**
 * init (offline), validate with no diagnostic, and `terraform test` of plan and apply with PLAN_AND_APPLY; returns the
 * plan run's plan. A configuration with a backend (cdktf's) is initialised without it: the mock needs no state.
 */
export async function checkWithTerraform(terraform: OfflineTerraform, dir: string): Promise<TestPlan> {
  const initArgs = ["-backend=false", "-input=false", "-no-color"];
  await fitToMirror(terraform, dir, initArgs);
  mkdirSync(join(dir, "tests"), { recursive: true });
  writeFileSync(join(dir, "tests", "plan_apply.tftest.hcl"), PLAN_AND_APPLY);
  await terraform.run(["init", ...initArgs], dir);
  const validation = JSON.parse((await terraform.run(["validate", "-json"], dir)).stdout);
  expect(validation.diagnostics, `${dir}: ${JSON.stringify(validation.diagnostics, null, 2)}`).toEqual([]);

  const messages = (await terraform.run(["test", "-json", "-verbose"], dir)).stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string; test_summary?: unknown; test_plan?: TestPlan });
  expect(messages.find((message) => message.type === "test_summary")?.test_summary, dir).toMatchObject({ status: "pass", passed: 2, failed: 0 });
  const plan = messages.find((message) => message.type === "test_plan")?.test_plan;
  expect(plan, `${dir}: terraform test -verbose printed no plan`).toBeDefined();
  return plan!;
}
