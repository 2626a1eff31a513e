import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface Measurement {
  seconds: number;
  peakRssMb: number;
}

/** One section of docs/benchmarks.md, written by one benchmark module. */
export interface BenchSection {
  title: string;
  markdown: string;
}

/** Runs a command under GNU time: wall-clock seconds and peak resident memory of the process tree's largest member. */
export async function measure(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const { stderr } = await execFileAsync("/usr/bin/time", ["-f", "@@time %e %M", command, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = stderr.split("\n").find((l) => l.startsWith("@@time "));
  if (!line) throw new Error(`no timing from /usr/bin/time for ${command}: ${stderr.slice(-500)}`);
  const [, seconds, rssKb] = line.split(" ");
  return { seconds: Number(seconds), peakRssMb: Number(rssKb) / 1024 } satisfies Measurement;
}

/** Installs Debian packages the benchmarks compare against, when missing (the bench runs as root on CI machines). */
export async function ensureDebianPackages(packages: Record<string, string>): Promise<void> {
  const missing: string[] = [];
  for (const [command, pkg] of Object.entries(packages)) {
    try {
      await execFileAsync("sh", ["-c", `command -v ${command}`]);
    } catch {
      missing.push(pkg);
    }
  }
  if (missing.length === 0) return;
  await execFileAsync("sh", ["-c", `apt-get update -qq && apt-get install -y -qq ${missing.join(" ")}`], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function quickMode(): boolean {
  return process.env.PROXYFIT_BENCH_QUICK === "1";
}
