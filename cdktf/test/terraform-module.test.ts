import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { runTerraform } from "../src/cli/terraform-command.js";
import { loadDeployConfig } from "../src/config/deploy-config.js";
import { terraformModules } from "../src/hcl/terraform-module.js";
import { samplePath } from "./synth-samples.js";

const scratch = mkdtempSync(join(tmpdir(), "proxyfit-hcl-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Every sample's modules go through init, validate and terraform test in deploy-routes.test.ts, beside the CDK routes.
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
