import type { RuleId } from "../rules/rulebook.js";

/**
 * The assessor's recommendation: what to deploy and what to fix first. Field names follow the RDS API / Terraform
 * (`aws_db_proxy`, `aws_db_proxy_default_target_group.connection_pool_config`) so the cdktf stacks can map them 1:1.
 * Documented by docs/schemas/recommendation.schema.json; `schema_version` changes with any incompatible change.
 */
export interface Recommendation {
  schema_version: "1.0";
  generated_at: string;
  engine_family: "POSTGRESQL" | "MYSQL";
  verdict: "rds-proxy" | "self-hosted-pooler" | "no-proxy";
  reasons: string[];
  target: {
    instance_class?: string;
    engine_version?: string;
    aurora: boolean;
    serverless_v2_max_acu?: number;
    region?: string;
    /** max_connections of the target (given, or derived from the instance class). */
    max_connections?: number;
  };
  connection_pool_config: {
    /** 1..100, percent of the target's max_connections. */
    max_connections_percent: number;
    /** 0..max_connections_percent. */
    max_idle_connections_percent: number;
    /** Seconds, 0..300. */
    connection_borrow_timeout: number;
    /** SQL run on every new database connection (repeated SETs moved here stop pinning). */
    init_query?: string;
    /** Only ever ["EXCLUDE_VARIABLE_SETS"] and only for MYSQL, when safe. */
    session_pinning_filters: "EXCLUDE_VARIABLE_SETS"[];
  };
  /** Seconds. */
  idle_client_timeout: number;
  require_tls: boolean;
  client_password_auth_type:
    | "POSTGRES_SCRAM_SHA_256"
    | "POSTGRES_MD5"
    | "MYSQL_NATIVE_PASSWORD"
    | "MYSQL_CACHING_SHA2_PASSWORD";
  read_only_endpoint: { recommended: boolean; reason: string };
  /** Thresholds for the CloudWatch alarms the cdktf stack creates. */
  alarms: {
    /** Alarm when DatabaseConnectionsCurrentlySessionPinned exceeds this percent of DatabaseConnections. */
    pinned_connections_percent: number;
    /** Alarm when DatabaseConnectionsBorrowLatency (microseconds, p99) exceeds this. */
    borrow_latency_us: number;
  };
  /** Ordered by effect: fixing the first lowers the pin ratio most. */
  remediations: Array<{
    rule: RuleId;
    action: string;
    sessions_affected: number;
    /** Pin ratio expected after fixing this and every remediation before it. */
    pin_ratio_after: number;
  }>;
  expected: {
    pin_ratio: number;
    pin_ratio_range: { min: number; max: number };
    peak_client_connections: number;
    peak_database_connections: number;
  };
}
