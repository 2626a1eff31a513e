/**
 * The proxy's metrics under RDS Proxy's CloudWatch names (namespace AWS/RDS, see "Monitoring RDS Proxy metrics with
 * Amazon CloudWatch"), so dashboards and alarms written for one read the other. Counters only count here; gauges are
 * read from live state when a scrape or an EMF line asks for them.
 */

/** Latencies are in microseconds, as RDS Proxy reports them. */
export const LATENCY_BUCKETS_US: readonly number[] = [
  50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 5_000_000,
];

export class Histogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_US.length + 1).fill(0);
  sum = 0;
  count = 0;

  observe(microseconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_US.length && microseconds > LATENCY_BUCKETS_US[i]!) i++;
    this.counts[i]!++;
    this.sum += microseconds;
    this.count++;
  }
}

export const COUNTERS = [
  "ClientConnectionsReceived",
  "ClientConnectionsSetupSucceeded",
  "ClientConnectionsSetupFailedAuth",
  "ClientConnectionsClosed",
  "ClientConnectionsTLS",
  "ClientConnectionsNoTLS",
  "DatabaseConnectionRequests",
  "DatabaseConnectionsSetupSucceeded",
  "DatabaseConnectionsSetupFailed",
  "QueryRequests",
] as const;
export type CounterName = (typeof COUNTERS)[number];

export const GAUGES = [
  "ClientConnections",
  "DatabaseConnections",
  "DatabaseConnectionsCurrentlyBorrowed",
  "DatabaseConnectionsCurrentlyInTransaction",
  "DatabaseConnectionsCurrentlySessionPinned",
  "MaxDatabaseConnectionsAllowed",
  "AvailabilityPercentage",
] as const;
export type GaugeName = (typeof GAUGES)[number];

export const HISTOGRAMS = ["DatabaseConnectionsBorrowLatency", "QueryDatabaseResponseLatency", "QueryResponseLatency"] as const;
export type HistogramName = (typeof HISTOGRAMS)[number];

export const DESCRIPTIONS: Readonly<Record<CounterName | GaugeName | HistogramName, string>> = {
  ClientConnectionsReceived: "Client connection requests received.",
  ClientConnectionsSetupSucceeded: "Client connections that completed authentication.",
  ClientConnectionsSetupFailedAuth: "Client connection attempts that failed authentication or TLS requirements.",
  ClientConnectionsClosed: "Client connections closed.",
  ClientConnectionsTLS: "Client connections that negotiated TLS.",
  ClientConnectionsNoTLS: "Client connections without TLS.",
  DatabaseConnectionRequests: "Requests to open a database connection.",
  DatabaseConnectionsSetupSucceeded: "Database connections opened and authenticated.",
  DatabaseConnectionsSetupFailed: "Database connection attempts that failed.",
  QueryRequests: "Queries received from clients (simple Query and extended Execute messages).",
  ClientConnections: "Client connections open now.",
  DatabaseConnections: "Database connections open now.",
  DatabaseConnectionsCurrentlyBorrowed: "Database connections borrowed by a client now.",
  DatabaseConnectionsCurrentlyInTransaction: "Borrowed database connections inside a transaction now.",
  DatabaseConnectionsCurrentlySessionPinned: "Database connections pinned to one client session now.",
  MaxDatabaseConnectionsAllowed: "Database connections the proxy may open (max_connections x max_connections_percent).",
  AvailabilityPercentage: "100 while the target database accepts connections, 0 while it does not.",
  DatabaseConnectionsBorrowLatency: "Microseconds a client waited to borrow a database connection.",
  QueryDatabaseResponseLatency: "Microseconds from forwarding a request to the database's first response.",
  QueryResponseLatency: "Microseconds from receiving a request from the client to the first response byte sent back.",
};

export type GaugeValues = Record<GaugeName, number>;

export class ProxyMetrics {
  readonly counters: Record<CounterName, number> = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;
  readonly histograms: Record<HistogramName, Histogram> = {
    DatabaseConnectionsBorrowLatency: new Histogram(),
    QueryDatabaseResponseLatency: new Histogram(),
    QueryResponseLatency: new Histogram(),
  };

  count(name: CounterName, by = 1): void {
    this.counters[name] += by;
  }
}
