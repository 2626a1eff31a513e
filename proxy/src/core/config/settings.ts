/**
 * Every setting of the trial proxy, named as RDS Proxy names it where RDS Proxy has it. One table drives parsing,
 * validation, `--help` and docs/proxy.md.
 */
import type { ProfileId } from "@proxyfit/assessor/rules";
import type { Engine } from "../engine.js";

export interface HostPort {
  host: string;
  port: number;
}

/** How clients authenticate to the proxy (client_password_auth_type); each engine serves the ones of its protocol. */
export type ClientAuthType = "scram-sha-256" | "md5" | "trust";

export interface TargetSettings extends HostPort {
  /** Chosen by the target URL's scheme. */
  engine: Engine;
  user: string;
  password?: string;
  database: string;
  /** TLS toward the database: disable, prefer (try, fall back to plain) or require. */
  sslmode: "disable" | "prefer" | "require";
}

export interface ProxySettings {
  listen: HostPort;
  /** Undefined when the admin listener is turned off ("off"). */
  admin: HostPort | undefined;
  target: TargetSettings;
  maxConnectionsPercent: number;
  maxIdleConnectionsPercent: number;
  connectionBorrowTimeoutMs: number;
  idleClientTimeoutMs: number;
  clientMessageTimeoutMs: number;
  initQuery: string | undefined;
  requireTls: boolean;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  profile: ProfileId;
  clientPasswordAuthType: ClientAuthType;
  usersFile: string | undefined;
  secretArns: string[];
  secretsManagerEndpoint: string | undefined;
  awsRegion: string;
  emf: boolean;
  emfIntervalMs: number;
  proxyName: string;
  reportFile: string | undefined;
  debugLogging: boolean;
  maxPreparedStatements: number;
}

export type SettingKind = "string" | "integer" | "seconds" | "boolean" | "list" | "host-port" | "url" | "enum";

export interface SettingDefinition {
  name: string;
  kind: SettingKind;
  /** Shown by --help and in docs; the default as the user would write it. */
  default?: string;
  /** A default that depends on other settings, in words for --help (the code computes it; `default` is then unset). */
  derivedDefault?: string;
  values?: readonly string[];
  min?: number;
  max?: number;
  description: string;
}

export const SETTINGS: readonly SettingDefinition[] = [
  { name: "listen", kind: "host-port", default: "127.0.0.1:6432", description: "Address clients connect to." },
  {
    name: "admin",
    kind: "host-port",
    default: "127.0.0.1:9187",
    description: "Address of the admin HTTP listener (/, /metrics, /pools, /clients); \"off\" turns it off.",
  },
  {
    name: "target",
    kind: "url",
    description:
      "The database: postgres://USER[:PASSWORD]@HOST:PORT/DB[?sslmode=disable|prefer|require], or mysql:// / mariadb://USER[:PASSWORD]@HOST:PORT/DB. USER reads max_connections at start; DB is the default database.",
  },
  {
    name: "max_connections_percent",
    kind: "integer",
    default: "100",
    min: 1,
    max: 100,
    description: "Share of the target's max_connections (read at start) the proxy may open.",
  },
  {
    name: "max_idle_connections_percent",
    kind: "integer",
    derivedDefault: "half of max_connections_percent, as RDS Proxy",
    min: 0,
    max: 100,
    description: "Share of the target's max_connections the proxy keeps open while idle; at most max_connections_percent.",
  },
  {
    name: "connection_borrow_timeout",
    kind: "seconds",
    default: "120",
    min: 0,
    max: 3600,
    description: "How long a transaction waits for a database connection before it gets an error.",
  },
  {
    name: "idle_client_timeout",
    kind: "seconds",
    default: "1800",
    min: 1,
    max: 28800,
    description: "A client connection that sends nothing for this long is closed.",
  },
  {
    name: "client_message_timeout",
    kind: "seconds",
    default: "30",
    min: 1,
    max: 3600,
    description:
      "A client that holds a database connection (in a transaction, or pinned) and has begun a message must finish it within this time, or it is closed and its connection cleaned up.",
  },
  { name: "init_query", kind: "string", description: "SQL run on every new database connection, e.g. SET statements." },
  { name: "require_tls", kind: "boolean", default: "false", description: "Refuse clients that do not use TLS." },
  { name: "tls_cert", kind: "string", description: "PEM certificate file for client TLS (with tls_key)." },
  { name: "tls_key", kind: "string", description: "PEM private key file for client TLS (with tls_cert)." },
  {
    name: "profile",
    kind: "enum",
    values: ["rds-proxy", "rds-proxy-pre-2023"],
    default: "rds-proxy",
    description: "Pinning behaviour to imitate: today's RDS Proxy, or the one before the 10 Nov 2023 extended-protocol launch.",
  },
  {
    name: "client_password_auth_type",
    kind: "enum",
    values: ["POSTGRES_SCRAM_SHA_256", "POSTGRES_MD5", "scram-sha-256", "md5", "trust"],
    description: "How clients authenticate. Default POSTGRES_SCRAM_SHA_256 when users are configured, trust when none are.",
  },
  {
    name: "users_file",
    kind: "string",
    description:
      "Users and their secrets: PgBouncer userlist.txt lines (\"user\" \"password-or-SCRAM-or-md5\"), or JSON like a Secrets Manager secret.",
  },
  {
    name: "secret_arns",
    kind: "list",
    description: "Comma-separated Secrets Manager secret ARNs, each {\"username\":...,\"password\":...} as RDS Proxy expects.",
  },
  { name: "secrets_manager_endpoint", kind: "string", description: "Secrets Manager endpoint URL (default: the AWS one)." },
  { name: "aws_region", kind: "string", default: "us-east-1", description: "AWS region for Secrets Manager." },
  { name: "emf", kind: "boolean", default: "false", description: "Print CloudWatch Embedded Metric Format lines on stdout." },
  { name: "emf_interval", kind: "seconds", default: "60", min: 1, max: 3600, description: "Seconds between EMF lines." },
  { name: "proxy_name", kind: "string", default: "proxyfit", description: "ProxyName dimension of metrics and log lines." },
  {
    name: "report_file",
    kind: "string",
    description: "Write the trial report (assessor report schema, JSON) here when the proxy stops.",
  },
  { name: "debug_logging", kind: "boolean", default: "false", description: "Log every backend borrow and return." },
  {
    name: "max_prepared_statements",
    kind: "integer",
    default: "1000",
    min: 1,
    max: 100000,
    description: "Protocol-level prepared statements kept per database connection; the least recently used are closed beyond it.",
  },
];

export const SETTING_NAMES: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.name));
