import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildApp } from "../src/app.js";
import { type DeployConfig, loadDeployConfig } from "../src/config/deploy-config.js";
import { readableNames, type TerraformJson, terraformModules } from "../src/hcl/terraform-module.js";
import { offlineTerraform } from "./offline-terraform.js";
import { SAMPLES, samplePath } from "./synth-samples.js";
import { checkWithTerraform, type TestPlan } from "./terraform-checks.js";

/**
 * The three routes to the same infrastructure, for every sample: the stacks synthesized by cdktf, the same stacks
 * synthesized by CDK Terrain (@proxyfit/cdktn, derived from this package's sources), and the plain Terraform modules
 * of `proxyfit terraform`. The two CDK flavours write the same Terraform JSON; all three pass init, validate and
 * `terraform test` offline and plan the same resources with the same values and the same outputs.
 */
const cdktnPackage = new URL("../../cdktn/", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "proxyfit-routes-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let terrain: typeof import("@proxyfit/cdktn");
beforeAll(async () => {
  // The Terrain flavour's sources are derived from ../src at its build; derived again here so they are never stale.
  await promisify(execFile)(process.execPath, [join(cdktnPackage, "derive-from-cdktf.mjs")]);
  terrain = await import("@proxyfit/cdktn");
});

type Document = TerraformJson & { "//": { metadata: { version: string } } };

/** Every stack of the inputs as synthesized by one flavour's buildApp, by stack name. */
function synthesize(build: (config: DeployConfig, options: { outdir: string }) => { synth(): void }, config: DeployConfig, flavour: string): Record<string, Document> {
  const outdir = mkdtempSync(join(scratch, `${flavour}-`));
  build(config, { outdir }).synth();
  const stacks = readdirSync(join(outdir, "stacks")).sort();
  return Object.fromEntries(stacks.map((stack) => [stack, JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"))]));
}

function bothFlavours(name: (typeof SAMPLES)[number]) {
  const config = loadDeployConfig(samplePath(name), { env: {} });
  return { config, cdktf: synthesize(buildApp, config, "cdktf"), cdktn: synthesize(terrain.buildApp, config, "cdktn") };
}

describe("cdktf and CDK Terrain synthesize the same Terraform JSON", () => {
  test.for(SAMPLES)("%s", (name) => {
    const { cdktf, cdktn } = bothFlavours(name);
    expect(Object.keys(cdktn)).toEqual(Object.keys(cdktf));
    for (const [stack, document] of Object.entries(cdktf)) {
      const terrainDocument = cdktn[stack]!;
      // What differs, and only that: the version of the CDK library in the metadata comment ("//").
      expect(document["//"].metadata.version).toMatch(/^0\.21\./);
      expect(terrainDocument["//"].metadata.version).toMatch(/^0\.24\./);
      terrainDocument["//"].metadata.version = document["//"].metadata.version;
      expect(terrainDocument, stack).toEqual(document);
    }
  });
});

/** A plan's resources and outputs, addressed by the module's names, JSON strings (policies, container definitions) parsed. */
function planned(plan: TestPlan, rename: (text: string) => string = (text) => text) {
  const resources = plan.resource_changes
    .map((change) => ({ address: rename(change.address), after: parsedJson(change.change.after), unknown: change.change.after_unknown }))
    .sort((a, b) => a.address.localeCompare(b.address));
  const outputs = Object.fromEntries(Object.entries(plan.output_changes).map(([key, output]) => [key, { after: parsedJson(output.after), unknown: output.after_unknown }]));
  return { resources, outputs };
}

function parsedJson(value: unknown): unknown {
  if (typeof value === "string" && /^\s*[[{]/.test(value)) {
    try {
      return parsedJson(JSON.parse(value));
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) return value.map(parsedJson);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, parsedJson(item)]));
  return value;
}

/** Every stack of every sample (the samples list is checked against the files in cdktf-synth.test.ts). */
const STACKS: Array<[(typeof SAMPLES)[number], string, "rds-proxy" | "trial-proxy"]> = [
  ["postgres-instance", "proxyfit-rds-proxy", "rds-proxy"],
  ["postgres-instance", "proxyfit-trial-proxy", "trial-proxy"],
  ["aurora-mysql-cluster", "checkout-rds-proxy", "rds-proxy"],
  ["iam-end-to-end", "proxyfit-rds-proxy", "rds-proxy"],
];

// Per route: an init, a validate and a terraform test of two runs, each loading the AWS provider's schema (seconds
// of CPU): minutes for a stack on a machine loaded by other test runs.
describe("cdktf, CDK Terrain and the HCL module: init, validate, terraform test, and the same plan", { timeout: 1_200_000 }, () => {
  test("every sample's stacks are listed", () => {
    for (const name of SAMPLES) {
      const { cdktf } = bothFlavours(name);
      expect(STACKS.filter(([sample]) => sample === name).map(([, stack]) => stack)).toEqual(Object.keys(cdktf));
    }
  });

  test.concurrent.for(STACKS)("%s / %s", async ([name, stack, moduleName], { expect }) => {
    const terraform = await offlineTerraform(scratch);
    const { config, cdktf, cdktn } = bothFlavours(name);
    const module = terraformModules(config).find((candidate) => candidate.name === moduleName)!;
    const write = (route: string, files: Record<string, string>) => {
      const dir = join(scratch, name, stack, route);
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
      return dir;
    };
    const document = cdktf[stack]!;
    const cdktfPlan = await checkWithTerraform(terraform, write("cdktf", { "cdk.tf.json": JSON.stringify(document) }));
    const cdktnPlan = await checkWithTerraform(terraform, write("cdktn", { "cdk.tf.json": JSON.stringify(cdktn[stack]) }));
    const hclPlan = await checkWithTerraform(terraform, write("hcl", module.files));

    const rename = readableNames(document);
    const fromHcl = planned(hclPlan);
    expect(fromHcl.resources.length, "resources planned").toBeGreaterThan(5);
    expect(planned(cdktfPlan, rename), "cdktf against the HCL module").toEqual(fromHcl);
    expect(planned(cdktnPlan, rename), "CDK Terrain against the HCL module").toEqual(fromHcl);
  });
});
