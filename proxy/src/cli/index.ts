/**
 * `proxyfit proxy`: runs the trial proxy until SIGINT or SIGTERM, then writes the trial report (report_file).
 */
import { plural, type TrialObservations } from "@proxyfit/assessor";
import { ConfigError, type SettingKind } from "../core/config/index.js";
import { loadSettings, SETTINGS } from "../index.js";
import { startProxy } from "../core/proxy.js";

const BOOLEAN_SETTINGS = new Set(SETTINGS.filter((s) => s.kind === "boolean").map((s) => s.name));

const PLACEHOLDERS: Record<SettingKind, string> = {
  string: "VALUE",
  integer: "N",
  seconds: "SECONDS",
  boolean: "",
  list: "A,B,...",
  "host-port": "HOST:PORT",
  url: "URL",
  enum: "",
};

function usage(): string {
  const lines = SETTINGS.map((s) => {
    const flag = `--${s.name.replaceAll("_", "-")}`;
    const value = s.kind === "boolean" ? "" : s.values ? ` ${s.values[0]}|...` : ` ${PLACEHOLDERS[s.kind]}`;
    const fallback = (s.default ?? s.derivedDefault) !== undefined ? ` (default ${s.default ?? s.derivedDefault})` : "";
    return `  ${`${flag}${value}`.padEnd(44)} ${s.description}${fallback}`;
  });
  return [
    "usage: proxyfit proxy --target postgres://USER@HOST:PORT/DB [--listen HOST:PORT] [--admin HOST:PORT] [--config FILE] [options]",
    "",
    "Settings come from --config FILE (JSON, or setting = value lines), then PROXYFIT_<SETTING> environment variables,",
    "then flags. Every flag is also a setting name (--max-connections-percent = max_connections_percent).",
    "",
    "  --config FILE".padEnd(46) + " settings file",
    ...lines,
    "",
  ].join("\n");
}

export interface ParsedArguments {
  file?: string;
  flags: Record<string, string>;
  help: boolean;
}

export function parseArguments(argv: readonly string[]): ParsedArguments {
  const flags: Record<string, string> = {};
  let file: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) throw new ConfigError([`unexpected argument "${arg}"`]);
    const eq = arg.indexOf("=");
    const name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)).replaceAll("-", "_");
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      const next = argv[i + 1];
      if (BOOLEAN_SETTINGS.has(name) && (next === undefined || next.startsWith("--"))) value = "true";
      else if (next === undefined) throw new ConfigError([`--${name.replaceAll("_", "-")}: needs a value`]);
      else {
        value = next;
        i++;
      }
    }
    if (name === "config") file = value;
    else flags[name] = value;
  }
  return { ...(file !== undefined ? { file } : {}), flags, help };
}

export async function runProxy(argv: string[]): Promise<number> {
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  try {
    const args = parseArguments(argv);
    if (args.help) {
      process.stdout.write(usage());
      return 0;
    }
    const settings = loadSettings({ ...(args.file !== undefined ? { file: args.file } : {}), env: process.env, flags: args.flags });
    proxy = await startProxy(settings);
  } catch (error) {
    process.stderr.write(`proxyfit proxy: ${(error as Error).message}\n`);
    if (error instanceof ConfigError) process.stderr.write('Run "proxyfit proxy --help" for the settings.\n');
    return 2;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stderr.write(`proxyfit proxy: ${signal}, shutting down\n`);
  const report = await proxy.close();
  if (!report) return 0;
  const { summary } = report;
  process.stderr.write(
    `proxyfit proxy: ${plural(summary.sessions, "session")}, ${summary.pinnedSessions.toLocaleString("en-US")} pinned (pin ratio ${(summary.pinRatio * 100).toFixed(1)}%), peak database connections ${report.replay?.peaks.databaseConnections ?? 0}\n`,
  );
  const trialLine = trialSummary(report.trial);
  if (trialLine) process.stderr.write(`proxyfit proxy: ${trialLine}\n`);
  return 0;
}

/** What only the trial saw and RDS Proxy would do differently: refused connections, statements not inspected. */
function trialSummary(trial: TrialObservations | undefined): string | undefined {
  if (!trial) return undefined;
  const parts: string[] = [];
  for (const refused of trial.refusedConnections) parts.push(`${plural(refused.count, "connection")} refused (${refused.reason.replace("_", " ")})`);
  const { notInspected } = trial;
  if (notInspected.statements > 0) {
    const kinds = notInspected.kinds.map((kind) => `${kind.kind.replace("_", " ")} ${kind.statements}`).join(", ");
    parts.push(`${plural(notInspected.statements, "statement")} not inspected (${kinds})`);
  }
  return parts.length > 0 ? `${parts.join("; ")}: see the trial report` : undefined;
}
