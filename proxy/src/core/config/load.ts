/**
 * Settings come from a file, then environment variables (PROXYFIT_<NAME>), then command-line flags; a later source
 * overrides an earlier one. Every problem is collected and reported together, each naming the setting and where its
 * value came from.
 */
import { readFileSync } from "node:fs";
import type { Engine } from "../engine.js";
import {
  type ClientAuthType,
  type HostPort,
  type ProxySettings,
  SETTING_NAMES,
  SETTINGS,
  type SettingDefinition,
  type TargetSettings,
} from "./settings.js";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `invalid settings:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

interface RawValue {
  value: string;
  /** e.g. "proxy.conf:4", "PROXYFIT_TARGET", "--target". */
  origin: string;
}

export interface SettingSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag name (without dashes, _ or -) to value. */
  flags?: Record<string, string>;
}

const ENV_PREFIX = "PROXYFIT_";

/** Reads a settings file: JSON ({"setting": value}) or `setting = value` lines with # or ; comments. */
function readFileValues(file: string, into: Map<string, RawValue>, problems: string[]): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    problems.push(`${file}: cannot read settings file: ${(error as Error).message}`);
    return;
  }
  if (text.trimStart().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      problems.push(`${file}: not valid JSON: ${(error as Error).message}`);
      return;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      problems.push(`${file}: expected a JSON object of settings`);
      return;
    }
    for (const [name, value] of Object.entries(parsed)) {
      const origin = `${file}: "${name}"`;
      if (!SETTING_NAMES.has(name)) problems.push(`${origin}: unknown setting`);
      else if (Array.isArray(value)) into.set(name, { value: value.map(String).join(","), origin });
      else if (value === null || typeof value === "object") problems.push(`${origin}: expected a string, number or boolean`);
      else into.set(name, { value: String(value), origin });
    }
    return;
  }
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";") || /^\[.*\]$/.test(trimmed)) return;
    const origin = `${file}:${index + 1}`;
    const eq = trimmed.indexOf("=");
    if (eq < 0) {
      problems.push(`${origin}: expected "setting = value"`);
      return;
    }
    const name = trimmed.slice(0, eq).trim();
    let value = trimmed.slice(eq + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    if (!SETTING_NAMES.has(name)) problems.push(`${origin}: unknown setting "${name}"`);
    else into.set(name, { value, origin });
  });
}

export function collectRawSettings(sources: SettingSources, problems: string[]): Map<string, RawValue> {
  const raw = new Map<string, RawValue>();
  if (sources.file) readFileValues(sources.file, raw, problems);
  for (const [key, value] of Object.entries(sources.env ?? {})) {
    if (!key.startsWith(ENV_PREFIX) || value === undefined) continue;
    const name = key.slice(ENV_PREFIX.length).toLowerCase();
    if (SETTING_NAMES.has(name)) raw.set(name, { value, origin: key });
  }
  for (const [flag, value] of Object.entries(sources.flags ?? {})) {
    const name = flag.replaceAll("-", "_");
    if (!SETTING_NAMES.has(name)) problems.push(`--${flag}: unknown option`);
    else raw.set(name, { value, origin: `--${flag}` });
  }
  return raw;
}

function parseHostPort(value: string): HostPort | string {
  const match = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(value);
  if (!match) return `expected HOST:PORT, got "${value}"`;
  const port = Number(match[2]);
  if (port > 65535) return `port ${port} is out of range`;
  return { host: match[1]!.replace(/^\[|\]$/g, "") || "0.0.0.0", port };
}

/** The target URL: its scheme chooses the engine, which reads the rest. */
function parseTarget(value: string, engines: readonly Engine[]): TargetSettings | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected postgres://USER@HOST:PORT/DB, got "${value}"`;
  }
  const scheme = url.protocol.slice(0, -1);
  const engine = engines.find((candidate) => candidate.schemes.includes(scheme));
  if (!engine) return `unknown scheme "${scheme}://"; expected ${engines.flatMap((e) => e.schemes.map((s) => `${s}://`)).join(", ")}`;
  if (!url.hostname) return "the URL has no host";
  const target = engine.parseTarget(url);
  return typeof target === "string" ? target : { engine, ...target };
}

type Parsed = string | number | boolean | string[] | HostPort | TargetSettings | undefined;

function parseValue(def: SettingDefinition, value: string, engines: readonly Engine[]): { ok: Parsed } | { error: string } {
  switch (def.kind) {
    case "string":
      return { ok: value === "" ? undefined : value };
    case "enum":
      return def.values?.includes(value) ? { ok: value } : { error: `must be one of ${def.values?.join(", ")}, got "${value}"` };
    case "boolean": {
      const lower = value.toLowerCase();
      if (["true", "1", "yes", "on"].includes(lower)) return { ok: true };
      if (["false", "0", "no", "off"].includes(lower)) return { ok: false };
      return { error: `must be true or false, got "${value}"` };
    }
    case "integer":
    case "seconds": {
      const n = Number(value);
      const wholeOnly = def.kind === "integer";
      if (value.trim() === "" || !Number.isFinite(n) || (wholeOnly && !Number.isInteger(n))) {
        return { error: `must be ${wholeOnly ? "a whole number" : "a number of seconds"}, got "${value}"` };
      }
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        return { error: `must be between ${def.min} and ${def.max}, got ${n}` };
      }
      return { ok: n };
    }
    case "list":
      return {
        ok: value
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      };
    case "host-port": {
      if (def.name === "admin" && value === "off") return { ok: undefined };
      const parsed = parseHostPort(value);
      return typeof parsed === "string" ? { error: parsed } : { ok: parsed };
    }
    case "url": {
      const parsed = parseTarget(value, engines);
      return typeof parsed === "string" ? { error: parsed } : { ok: parsed };
    }
  }
}

const AUTH_TYPES: Record<string, ClientAuthType> = {
  POSTGRES_SCRAM_SHA_256: "scram-sha-256",
  POSTGRES_MD5: "md5",
  "scram-sha-256": "scram-sha-256",
  md5: "md5",
  trust: "trust",
};

/** Reads and validates settings, the target's engine among `engines`; throws ConfigError listing every problem. */
export function loadSettings(sources: SettingSources, engines: readonly Engine[]): ProxySettings {
  const problems: string[] = [];
  const raw = collectRawSettings(sources, problems);
  const values = new Map<string, Parsed>();
  for (const def of SETTINGS) {
    const given = raw.get(def.name);
    const text = given?.value ?? def.default;
    if (text === undefined) continue;
    const parsed = parseValue(def, text, engines);
    if ("error" in parsed) problems.push(`${def.name} (${given?.origin ?? "default"}): ${parsed.error}`);
    else values.set(def.name, parsed.ok);
  }
  const get = <T extends Parsed>(name: string) => values.get(name) as T;
  const origin = (name: string) => raw.get(name)?.origin ?? "default";

  if (!values.has("target") && !problems.some((p) => p.startsWith("target"))) {
    problems.push("target: required, e.g. --target postgres://postgres@127.0.0.1:5432/postgres");
  }
  const maxPercent = get<number>("max_connections_percent");
  const idlePercent = raw.has("max_idle_connections_percent") ? get<number>("max_idle_connections_percent") : Math.floor(maxPercent / 2);
  if (idlePercent > maxPercent) {
    problems.push(
      `max_idle_connections_percent (${origin("max_idle_connections_percent")}): ${idlePercent} is above max_connections_percent ${maxPercent}`,
    );
  }
  const cert = get<string | undefined>("tls_cert");
  const key = get<string | undefined>("tls_key");
  if ((cert === undefined) !== (key === undefined)) {
    problems.push(`tls_cert and tls_key: give both or neither (${cert ? "tls_key" : "tls_cert"} is missing)`);
  }
  if (get<boolean>("require_tls") && cert === undefined) {
    problems.push(`require_tls (${origin("require_tls")}): needs tls_cert and tls_key`);
  }
  const hasUsers = values.get("users_file") !== undefined || (get<string[] | undefined>("secret_arns")?.length ?? 0) > 0;
  const authText = get<string | undefined>("client_password_auth_type");
  const authType: ClientAuthType = authText ? AUTH_TYPES[authText]! : hasUsers ? "scram-sha-256" : "trust";
  if (authType !== "trust" && !hasUsers) {
    problems.push(
      `client_password_auth_type (${origin("client_password_auth_type")}): ${authText} needs users: set users_file or secret_arns`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    listen: get<HostPort>("listen"),
    admin: get<HostPort | undefined>("admin"),
    target: get<TargetSettings>("target"),
    maxConnectionsPercent: maxPercent,
    maxIdleConnectionsPercent: idlePercent,
    connectionBorrowTimeoutMs: get<number>("connection_borrow_timeout") * 1000,
    idleClientTimeoutMs: get<number>("idle_client_timeout") * 1000,
    clientMessageTimeoutMs: get<number>("client_message_timeout") * 1000,
    initQuery: get<string | undefined>("init_query"),
    requireTls: get<boolean>("require_tls"),
    tlsCertFile: cert,
    tlsKeyFile: key,
    profile: get<ProxySettings["profile"]>("profile"),
    clientPasswordAuthType: authType,
    usersFile: get<string | undefined>("users_file"),
    secretArns: get<string[] | undefined>("secret_arns") ?? [],
    secretsManagerEndpoint: get<string | undefined>("secrets_manager_endpoint"),
    awsRegion: get<string>("aws_region"),
    emf: get<boolean>("emf"),
    emfIntervalMs: get<number>("emf_interval") * 1000,
    proxyName: get<string>("proxy_name"),
    reportFile: get<string | undefined>("report_file"),
    debugLogging: get<boolean>("debug_logging"),
    maxPreparedStatements: get<number>("max_prepared_statements"),
  };
}
