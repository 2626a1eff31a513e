import { execFile } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * terraform with the AWS provider from a filesystem mirror and nothing from the network: a CLI configuration
 * (TF_CLI_CONFIG_FILE) whose provider_installation holds only that mirror. The mirror is PROXYFIT_TF_PLUGIN_DIR, by
 * default /opt/tf-plugins; terraform is PROXYFIT_TERRAFORM, by default `terraform` on PATH.
 */
export interface OfflineTerraform {
  /** The newest hashicorp/aws version in the mirror. */
  providerVersion: string;
  run(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }>;
}

/** Throws, with what is missing and how to provide it, when terraform or the mirror cannot be found: never a skip. */
export async function offlineTerraform(scratch: string): Promise<OfflineTerraform> {
  const terraform = process.env.PROXYFIT_TERRAFORM || "terraform";
  const mirror = process.env.PROXYFIT_TF_PLUGIN_DIR || "/opt/tf-plugins";
  const versionsDir = join(mirror, "registry.terraform.io/hashicorp/aws");
  const providerVersion = existsSync(versionsDir) ? readdirSync(versionsDir).sort().at(-1) : undefined;
  if (!providerVersion) {
    throw new Error(
      `no hashicorp/aws provider in the filesystem mirror ${versionsDir}: set PROXYFIT_TF_PLUGIN_DIR to a mirror ` +
        "(terraform providers mirror DIR, on a machine with network)",
    );
  }
  const cliConfig = join(scratch, "offline.tfrc");
  writeFileSync(
    cliConfig,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
  );
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  try {
    await run(terraform, ["version"], { env });
  } catch (error) {
    throw new Error(`terraform not found or not runnable (${terraform}): install terraform >= 1.7 or set PROXYFIT_TERRAFORM (${String(error)})`);
  }
  return {
    providerVersion,
    run: (args, cwd) => run(terraform, args, { cwd, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }),
  };
}

/** The failure of a command as { code, stdout, stderr }, or undefined when it succeeded. */
export async function failureOf(command: Promise<unknown>): Promise<{ code: number; stdout: string; stderr: string } | undefined> {
  return command.then(
    () => undefined,
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}
