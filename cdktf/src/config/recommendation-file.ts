import type { Recommendation } from "@proxyfit/assessor/recommendation";
import { CLIENT_PASSWORD_AUTH_TYPES } from "../engines/engine-family.js";
import type { Field, FieldReader } from "./field-reader.js";

/** The part of the assessor's recommendation that the stacks deploy; the rest (remediations, expectations) is for people. */
export type DeployableRecommendation = Pick<
  Recommendation,
  | "engine_family"
  | "verdict"
  | "reasons"
  | "target"
  | "connection_pool_config"
  | "idle_client_timeout"
  | "require_tls"
  | "client_password_auth_type"
  | "read_only_endpoint"
  | "alarms"
>;

export const SUPPORTED_SCHEMA_VERSION: Recommendation["schema_version"] = "1.0";

/** RDS Proxy's documented limits (AWS API ConnectionPoolConfiguration; see docs/deploy.md). */
export const POOL_LIMITS = {
  maxConnectionsPercent: { min: 1, max: 100 },
  connectionBorrowTimeout: { min: 0, max: 300 },
  /** The RDS console accepts 1 minute to 8 hours; the API documents no narrower range. */
  idleClientTimeout: { min: 1, max: 28_800 },
} as const;

/**
 * Validates a recommendation as `proxyfit assess --format recommendation` writes it. A whole JSON report
 * (`--format json`) is accepted too: its `recommendation` member is used.
 */
export function readRecommendation(reader: FieldReader, document: unknown): DeployableRecommendation | undefined {
  let root = reader.root(document);
  if (isReport(document)) root = reader.child(root, "recommendation");
  if (!reader.object(root)) return undefined;
  const at = (key: string) => reader.child(root, key);

  const version = reader.string(at("schema_version"));
  if (version !== undefined && version !== SUPPORTED_SCHEMA_VERSION) {
    reader.report(at("schema_version"), `this version of @proxyfit/cdktf reads schema_version "${SUPPORTED_SCHEMA_VERSION}"; got ${JSON.stringify(version)}`);
  }
  const engineFamily = reader.oneOf(at("engine_family"), ["POSTGRESQL", "MYSQL"] as const);
  const verdict = reader.oneOf(at("verdict"), ["rds-proxy", "self-hosted-pooler", "no-proxy", "not-enough-evidence"] as const);
  const reasons = reader.stringList(at("reasons"), { optional: true }) ?? [];
  const target = readTarget(reader, at("target"));
  const pool = readPoolConfig(reader, at("connection_pool_config"), engineFamily);
  const idleClientTimeout = reader.integer(at("idle_client_timeout"), { ...POOL_LIMITS.idleClientTimeout, unit: "seconds" });
  const requireTls = reader.boolean(at("require_tls"));
  const authTypes = engineFamily ? CLIENT_PASSWORD_AUTH_TYPES[engineFamily] : Object.values(CLIENT_PASSWORD_AUTH_TYPES).flat();
  const clientPasswordAuthType = reader.oneOf(at("client_password_auth_type"), authTypes);
  const readOnly = readReadOnlyEndpoint(reader, at("read_only_endpoint"));
  const alarms = readAlarms(reader, at("alarms"));

  if (
    engineFamily === undefined ||
    verdict === undefined ||
    target === undefined ||
    pool === undefined ||
    idleClientTimeout === undefined ||
    requireTls === undefined ||
    clientPasswordAuthType === undefined ||
    readOnly === undefined ||
    alarms === undefined
  ) {
    return undefined;
  }
  return {
    engine_family: engineFamily,
    verdict,
    reasons,
    target,
    connection_pool_config: pool,
    idle_client_timeout: idleClientTimeout,
    require_tls: requireTls,
    client_password_auth_type: clientPasswordAuthType,
    read_only_endpoint: readOnly,
    alarms,
  };
}

function isReport(document: unknown): boolean {
  return typeof document === "object" && document !== null && "schemaVersion" in document && "recommendation" in document;
}

function readTarget(reader: FieldReader, field: Field): Recommendation["target"] | undefined {
  if (!reader.object(field)) return undefined;
  const aurora = reader.boolean(reader.child(field, "aurora"));
  if (aurora === undefined) return undefined;
  const target: Recommendation["target"] = { aurora };
  const instanceClass = reader.string(reader.child(field, "instance_class"), { optional: true });
  if (instanceClass !== undefined) target.instance_class = instanceClass;
  const region = reader.string(reader.child(field, "region"), { optional: true });
  if (region !== undefined) target.region = region;
  const maxConnections = reader.integer(reader.child(field, "max_connections"), { optional: true, min: 1, max: 262_142 });
  if (maxConnections !== undefined) target.max_connections = maxConnections;
  return target;
}

function readPoolConfig(
  reader: FieldReader,
  field: Field,
  engineFamily: Recommendation["engine_family"] | undefined,
): Recommendation["connection_pool_config"] | undefined {
  if (!reader.object(field)) return undefined;
  const at = (key: string) => reader.child(field, key);
  const maxPercent = reader.integer(at("max_connections_percent"), { ...POOL_LIMITS.maxConnectionsPercent, unit: "percent" });
  const maxIdlePercent = reader.integer(at("max_idle_connections_percent"), {
    min: 0,
    // The idle pool can never exceed the pool itself.
    max: maxPercent ?? 100,
    unit: maxPercent === undefined ? "percent" : "percent (max_connections_percent)",
  });
  const borrowTimeout = reader.integer(at("connection_borrow_timeout"), { ...POOL_LIMITS.connectionBorrowTimeout, unit: "seconds" });
  const initQuery = reader.string(at("init_query"), { optional: true });
  const filtersField = at("session_pinning_filters");
  const filters = reader.list(filtersField);
  const sessionPinningFilters: "EXCLUDE_VARIABLE_SETS"[] = [];
  for (const item of filters ?? []) {
    const filter = reader.oneOf(item, ["EXCLUDE_VARIABLE_SETS"] as const);
    if (filter !== undefined) sessionPinningFilters.push(filter);
  }
  if (sessionPinningFilters.length > 0 && engineFamily === "POSTGRESQL") {
    reader.report(filtersField, "RDS Proxy supports session pinning filters for the MYSQL engine family only");
    return undefined;
  }
  if (maxPercent === undefined || maxIdlePercent === undefined || borrowTimeout === undefined || filters === undefined) {
    return undefined;
  }
  return {
    max_connections_percent: maxPercent,
    max_idle_connections_percent: maxIdlePercent,
    connection_borrow_timeout: borrowTimeout,
    ...(initQuery === undefined ? {} : { init_query: initQuery }),
    session_pinning_filters: sessionPinningFilters,
  };
}

function readReadOnlyEndpoint(reader: FieldReader, field: Field): Recommendation["read_only_endpoint"] | undefined {
  if (!reader.object(field)) return undefined;
  const recommended = reader.boolean(reader.child(field, "recommended"));
  const reason = reader.string(reader.child(field, "reason"), { optional: true }) ?? "";
  return recommended === undefined ? undefined : { recommended, reason };
}

function readAlarms(reader: FieldReader, field: Field): Recommendation["alarms"] | undefined {
  if (!reader.object(field)) return undefined;
  const pinned = reader.number(reader.child(field, "pinned_connections_percent"), { min: 0, max: 100, unit: "percent" });
  const borrow = reader.number(reader.child(field, "borrow_latency_us"), { min: 0, max: 300_000_000, unit: "microseconds" });
  if (pinned === undefined || borrow === undefined) return undefined;
  return { pinned_connections_percent: pinned, borrow_latency_us: borrow };
}
