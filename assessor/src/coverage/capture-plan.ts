import type { Engine } from "../events/log-event.js";
import type { CaptureOption, CapturePlan } from "../recommendation/recommendation.js";
import type { Report } from "../report/report.js";

/** Capture at least an hour: the verdict weighs the peak of concurrent sessions and churn, which only the busiest hour shows. */
const MIN_WINDOW_MINUTES = 60;
const MAX_WINDOW_MINUTES = 24 * 60;
/** What a log line with a statement of a few hundred characters and its prefix take when the logs hold none to measure. */
const DEFAULT_BYTES_PER_STATEMENT = 250;

/** How to capture a log window that sees every statement and session, sized from what the logs given show. */
export function capturePlan(engine: Engine, report: Report): CapturePlan {
  const { summary } = report;
  const statements = report.inputs.reduce((n, i) => n + i.coverage.volume.statements, 0);
  const bytes = report.inputs.reduce((n, i) => n + i.coverage.volume.bytesPerStatement * i.coverage.volume.statements, 0);
  const bytesPerStatement = statements > 0 ? Math.round(bytes / statements) : DEFAULT_BYTES_PER_STATEMENT;
  const span = (Date.parse(summary.lastEventAt ?? "") - Date.parse(summary.firstEventAt ?? "")) / 1000;
  const rate = span > 0 ? Math.round((summary.statements / span) * 1000) / 1000 : 0;
  const perHour = Math.round(bytesPerStatement * rate * 3600);
  const window = windowFor(report);
  return {
    options: engine === "postgresql" ? POSTGRESQL_OPTIONS : MYSQL_OPTIONS,
    window_minutes: window.minutes,
    window_reason: window.reason,
    bytes_per_statement: bytesPerStatement,
    statements_per_second: rate,
    rate_is_lower_bound: !report.summary.coverage.statementsComplete,
    expected_log_bytes_per_hour: perHour,
    expected_log_bytes_per_window: Math.round((perHour * window.minutes) / 60),
  };
}

/**
 * At least an hour including the daily peak, and twice the 90th percentile of the session lengths seen from
 * connection to disconnection, so that most sessions are seen whole (a session cut by the window's edges is counted
 * but may miss its pinning statement).
 */
function windowFor(report: Report): { minutes: number; reason: string } {
  const lengths = report.sessions
    .filter((s) => s.startFrom === "connection" && s.endFrom === "disconnection")
    .map((s) => (Date.parse(s.end) - Date.parse(s.start)) / 60_000)
    .sort((a, b) => a - b);
  const p90 = lengths.length === 0 ? 0 : lengths[Math.min(lengths.length - 1, Math.floor(lengths.length * 0.9))]!;
  const minutes = Math.min(MAX_WINDOW_MINUTES, Math.max(MIN_WINDOW_MINUTES, Math.ceil(2 * p90)));
  const sessions =
    lengths.length === 0
      ? "no session was seen from connection to disconnection, so the window cannot be sized to session lengths"
      : `twice the 90th percentile of the ${lengths.length} session lengths seen whole (${p90.toFixed(1)} min), so most sessions are seen from connection to disconnection`;
  return {
    minutes,
    reason: `Capture ${minutes} minutes around the daily peak of connections: the verdict weighs peak concurrent sessions and connection churn, which only the busiest hour shows; at least ${MIN_WINDOW_MINUTES} minutes, and ${sessions}.`,
  };
}

const PG_GROUP = "--db-parameter-group-name YOUR-PARAMETER-GROUP";
const immediate = (name: string, value: string) => `"ParameterName=${name},ParameterValue=${value},ApplyMethod=immediate"`;

function pgOption(name: string, statementSetting: { name: string; value: string; sql: string }, note: string): CaptureOption {
  const settings = [
    { name: statementSetting.name, value: statementSetting.value },
    { name: "log_connections", value: "on" },
    { name: "log_disconnections", value: "on" },
  ];
  return {
    name,
    settings,
    sql: [
      `ALTER SYSTEM SET ${statementSetting.name} = ${statementSetting.sql};`,
      "ALTER SYSTEM SET log_connections = on;",
      "ALTER SYSTEM SET log_disconnections = on;",
      "SELECT pg_reload_conf();",
    ],
    aws_cli: `aws rds modify-db-parameter-group ${PG_GROUP} --parameters ${immediate(statementSetting.name, statementSetting.value)} ${immediate("log_connections", "1")} ${immediate("log_disconnections", "1")}`,
    revert_sql: [
      `ALTER SYSTEM RESET ${statementSetting.name};`,
      "ALTER SYSTEM RESET log_connections;",
      "ALTER SYSTEM RESET log_disconnections;",
      "SELECT pg_reload_conf();",
    ],
    note,
  };
}

const POSTGRESQL_OPTIONS: CaptureOption[] = [
  pgOption(
    "log_min_duration_statement = 0 with connection logging",
    { name: "log_min_duration_statement", value: "0", sql: "0" },
    "One line per statement with its duration (the replay needs durations). Connection settings apply to sessions that start after the reload: capture once the application's pools have reconnected. Aurora PostgreSQL: the DB cluster parameter group (aws rds modify-db-cluster-parameter-group) or the instance's.",
  ),
  pgOption(
    "log_statement = 'all' with connection logging",
    { name: "log_statement", value: "all", sql: "'all'" },
    "Every statement as it starts, without its duration: pin ratio exact, but the replay's database-connection peaks become lower bounds. Add log_min_duration_statement = 0 for durations.",
  ),
];

const MYSQL_GROUP = "--db-parameter-group-name YOUR-PARAMETER-GROUP";

const MYSQL_OPTIONS: CaptureOption[] = [
  {
    name: "the general log",
    settings: [
      { name: "general_log", value: "ON" },
      { name: "log_output", value: "FILE" },
    ],
    sql: ["SET GLOBAL log_output = 'FILE';", "SET GLOBAL general_log = ON;"],
    aws_cli: `aws rds modify-db-parameter-group ${MYSQL_GROUP} --parameters ${immediate("general_log", "1")} ${immediate("log_output", "FILE")}`,
    revert_sql: ["SET GLOBAL general_log = OFF;"],
    note: "Every command with Connect and Quit lines and binary-protocol prepares, for every connection at once; no durations (the replay's database-connection peaks are then lower bounds).",
  },
  {
    name: "the general log and the slow log with long_query_time = 0",
    settings: [
      { name: "general_log", value: "ON" },
      { name: "slow_query_log", value: "ON" },
      { name: "long_query_time", value: "0" },
      { name: "log_output", value: "FILE" },
    ],
    sql: [
      "SET GLOBAL log_output = 'FILE';",
      "SET GLOBAL general_log = ON;",
      "SET GLOBAL slow_query_log = ON;",
      "SET GLOBAL long_query_time = 0;",
    ],
    aws_cli: `aws rds modify-db-parameter-group ${MYSQL_GROUP} --parameters ${immediate("general_log", "1")} ${immediate("slow_query_log", "1")} ${immediate("long_query_time", "0")} ${immediate("log_output", "FILE")}`,
    revert_sql: ["SET GLOBAL general_log = OFF;", "SET GLOBAL long_query_time = 10;"],
    note: "Adds every statement's duration (the replay's database-connection peaks become exact); give both files to proxyfit assess. The slow log alone is not enough: it has no connection lines and no binary-protocol prepares. long_query_time is copied into each connection when it opens: connections already open keep the old value, so capture once the application's pools have reconnected. Restore your previous long_query_time (10 is the server default).",
  },
];
