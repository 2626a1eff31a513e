import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js";
import { Construct } from "constructs";

export interface RdsProxyDashboardProps {
  proxyName: string;
  region: string;
  /** Drawn as horizontal lines on their graphs. */
  pinnedConnectionsPercent: number;
  borrowLatencyMicroseconds: number;
}

const WIDTH = 12;
const HEIGHT = 6;

/**
 * A CloudWatch dashboard of what tells whether the proxy multiplexes: client against database connections, the share
 * pinned, borrow latency and query latency, from RDS Proxy's metrics (AWS/RDS, dimension ProxyName).
 */
export class RdsProxyDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: RdsProxyDashboardProps) {
    super(scope, id);
    const metric = (name: string, options: Record<string, unknown> = {}) => ["AWS/RDS", name, "ProxyName", props.proxyName, options];
    const graph = (title: string, metrics: unknown[], extra: Record<string, unknown> = {}) => ({
      type: "metric",
      width: WIDTH,
      height: HEIGHT,
      properties: { title, region: props.region, view: "timeSeries", stat: "Average", period: 60, metrics, ...extra },
    });
    const widgets = [
      graph("Client and database connections", [metric("ClientConnections"), metric("DatabaseConnections"), metric("MaxDatabaseConnectionsAllowed")]),
      graph(
        "Pinned database connections (%)",
        [
          metric("DatabaseConnectionsCurrentlySessionPinned", { id: "pinned", visible: false }),
          metric("DatabaseConnections", { id: "connections", visible: false }),
          [{ expression: "IF(connections > 0, 100 * pinned / connections, 0)", label: "pinned %", id: "pinned_percent" }],
        ],
        { annotations: { horizontal: [{ label: "alarm", value: props.pinnedConnectionsPercent }] } },
      ),
      graph("Borrow latency p99 (µs)", [metric("DatabaseConnectionsBorrowLatency", { stat: "p99" })], {
        annotations: { horizontal: [{ label: "alarm", value: props.borrowLatencyMicroseconds }] },
      }),
      graph("Query latency p99 (µs)", [metric("QueryResponseLatency", { stat: "p99" }), metric("QueryDatabaseResponseLatency", { stat: "p99" })]),
    ].map((widget, index) => ({ ...widget, x: (index % 2) * WIDTH, y: Math.floor(index / 2) * HEIGHT }));

    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: `${props.proxyName}-rds-proxy`,
      dashboardBody: JSON.stringify({ widgets }),
    });
  }
}
