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
  /**
   * not-enough-evidence: the logs could not see every statement (or tell sessions apart), so no verdict is safe;
   * `capture` says how to log a window that can.
   */
  verdict: "rds-proxy" | "self-hosted-pooler" | "no-proxy" | "not-enough-evidence";
  reasons: string[];
  /**
   * The measured figures and documented thresholds behind the verdict (docs/recommendation.md#decision-table), each
   * with its unit and source; `decided` marks those that decided it.
   */
  evidence: VerdictEvidence[];
  /** Only with the verdict not-enough-evidence: what made the evidence thin, and what to collect. */
  thin_evidence: ThinEvidence[];
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
  /** Only with the verdict not-enough-evidence: how to capture a log window that sees every statement and session. */
  capture?: CapturePlan;
  expected: {
    pin_ratio: number;
    pin_ratio_range: { min: number; max: number };
    peak_client_connections: number;
    peak_database_connections: number;
  };
}

export type EvidenceFigure =
  | "log-window"
  | "peak-concurrent-sessions"
  | "max-connections"
  | "connections-opened-per-second"
  | "connections-opened-per-minute"
  | "median-connection-lifetime"
  | "pin-ratio"
  | "multiplexing"
  | "monthly-cost-difference";

export interface VerdictEvidence {
  figure: EvidenceFigure;
  /** Measured value in `unit`; null when it could not be measured (e.g. max_connections unknown). */
  value: number | null;
  unit: string;
  /** Where the value comes from: which lines of the logs, which option, which part of the report. */
  source: string;
  /** The documented threshold the value was compared with. */
  threshold?: { value: number; unit: string; comparison: ">" | ">=" | "<" | "<="; basis: string };
  /** For ranges (the pin ratio when coverage or ambiguous rules leave it open). */
  range?: { min: number; max: number };
  /** True when this figure decided the verdict (crossed, or failed to cross, its threshold). */
  decided: boolean;
  /** The figure as one sentence, as the renderers print it. */
  statement: string;
}

export interface ThinEvidence {
  cause: "partial-logging" | "short-window" | "max-connections-unknown";
  /** What to collect before assessing again. */
  collect: string;
}

/** The settings that make a log complete, how long to keep them, and how much log they write. */
export interface CapturePlan {
  /** Ways to log every statement, the preferred first. */
  options: CaptureOption[];
  /** How long to capture, in minutes, and why. */
  window_minutes: number;
  window_reason: string;
  /** Measured from the logs given: bytes of log per statement, and statements per second over their span. */
  bytes_per_statement: number;
  statements_per_second: number;
  /** True when the logs missed statements, so the rate (and the volume) is a lower bound. */
  rate_is_lower_bound: boolean;
  /** bytes_per_statement x statements_per_second x 3600. */
  expected_log_bytes_per_hour: number;
  /** expected_log_bytes_per_hour x window_minutes / 60. */
  expected_log_bytes_per_window: number;
}

export interface CaptureOption {
  /** e.g. "log_min_duration_statement = 0 with connection logging". */
  name: string;
  settings: Array<{ name: string; value: string }>;
  /** On a server you administer: the SQL that applies the settings without a restart. */
  sql: string[];
  /** On Amazon RDS: the same through the instance's DB parameter group (replace the group name). */
  aws_cli: string;
  /** What to run after the window to log as before. */
  revert_sql: string[];
  note: string;
}
