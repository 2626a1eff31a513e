import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, and the built `proxyfit` command as a user runs it. */
export const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
export const PROXYFIT_BIN = join(ROOT, "cli/bin/proxyfit.js");

export interface CommandResult {
  /** The exit status; null when the command was killed (see signal). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Throws unless every package is built: the command runs the packages' dist, not their sources. */
export function requireBuild(): void {
  for (const entry of ["assessor/dist/cli/index.js", "proxy/dist/cli/index.js", "cdktf/dist/cli/terraform-command.js"]) {
    if (!existsSync(join(ROOT, entry))) throw new Error(`build first: npm run build (${entry} is missing)`);
  }
}

/**
 * Runs `proxyfit ARGS...` to its end. A command still running at the timeout (a server that should have refused to
 * start) is killed, which the result shows as a signal.
 */
export function proxyfit(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [PROXYFIT_BIN, ...args],
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20, env: options.env ?? process.env, cwd: options.cwd ?? ROOT },
      (error, stdout, stderr) => {
        const failed = error as (Error & { code?: number | string; signal?: string }) | null;
        const code = failed ? (typeof failed.code === "number" ? failed.code : null) : 0;
        done({ code, signal: failed?.signal ?? null, stdout, stderr });
      },
    );
  });
}
