import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { Construct } from "constructs";

export interface RdsProxyAlarmsProps {
  proxyName: string;
  /** Alarm when DatabaseConnectionsCurrentlySessionPinned is above this percent of DatabaseConnections. */
  pinnedConnectionsPercent: number;
  /** Alarm when the p99 of DatabaseConnectionsBorrowLatency (microseconds) is above this. */
  borrowLatencyMicroseconds: number;
  /** Alarm when more than this many client logins fail in five minutes (ClientConnectionsSetupFailedAuth). */
  failedAuthThreshold: number;
  /** Where alarm and OK notifications go; without it the alarms only change state. */
  snsTopicArn?: string;
}

/** RDS Proxy publishes these in AWS/RDS with the ProxyName dimension (AWS page "Monitoring RDS Proxy metrics"). */
const NAMESPACE = "AWS/RDS";
const MINUTE = 60;
/** Sustained trouble, not a single spike: five one-minute periods in a row. */
const SUSTAINED = { evaluationPeriods: 5, datapointsToAlarm: 5 } as const;

/** The three alarms that tell whether the proxy still multiplexes: pinning, borrow waits, failing logins. */
export class RdsProxyAlarms extends Construct {
  readonly pinnedShare: CloudwatchMetricAlarm;
  readonly borrowLatency: CloudwatchMetricAlarm;
  readonly failedAuth: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: RdsProxyAlarmsProps) {
    super(scope, id);
    const dimensions = { ProxyName: props.proxyName };
    const actions = props.snsTopicArn ? { alarmActions: [props.snsTopicArn], okActions: [props.snsTopicArn] } : {};
    const proxyMetric = (metricName: string) => ({ namespace: NAMESPACE, metricName, dimensions, period: MINUTE, stat: "Average" });

    this.pinnedShare = new CloudwatchMetricAlarm(this, "pinned-share", {
      alarmName: `${props.proxyName}-pinned-connections`,
      alarmDescription:
        `More than ${props.pinnedConnectionsPercent}% of RDS Proxy ${props.proxyName}'s database connections are pinned to one ` +
        "client session: the proxy is no longer multiplexing. Look for the statements pinning in the proxy's logs " +
        "(\"The client session was pinned\") and re-run proxyfit assess.",
      comparisonOperator: "GreaterThanThreshold",
      threshold: props.pinnedConnectionsPercent,
      ...SUSTAINED,
      // No connections means nothing pinned, not missing data.
      treatMissingData: "notBreaching",
      metricQuery: [
        { id: "pinned", metric: proxyMetric("DatabaseConnectionsCurrentlySessionPinned"), returnData: false },
        { id: "connections", metric: proxyMetric("DatabaseConnections"), returnData: false },
        {
          id: "pinned_percent",
          expression: "IF(connections > 0, 100 * pinned / connections, 0)",
          label: "Pinned share of DatabaseConnections (%)",
          returnData: true,
        },
      ],
      ...actions,
    });

    this.borrowLatency = new CloudwatchMetricAlarm(this, "borrow-latency", {
      alarmName: `${props.proxyName}-borrow-latency`,
      alarmDescription:
        `p99 DatabaseConnectionsBorrowLatency of RDS Proxy ${props.proxyName} is above ${props.borrowLatencyMicroseconds} µs: ` +
        "clients wait for a database connection. Compare DatabaseConnections with MaxDatabaseConnectionsAllowed; " +
        "raise max_connections_percent or reduce pinning.",
      namespace: NAMESPACE,
      metricName: "DatabaseConnectionsBorrowLatency",
      dimensions,
      period: MINUTE,
      extendedStatistic: "p99",
      comparisonOperator: "GreaterThanThreshold",
      threshold: props.borrowLatencyMicroseconds,
      ...SUSTAINED,
      treatMissingData: "notBreaching",
      ...actions,
    });

    this.failedAuth = new CloudwatchMetricAlarm(this, "failed-auth", {
      alarmName: `${props.proxyName}-failed-logins`,
      alarmDescription:
        `More than ${props.failedAuthThreshold} client logins to RDS Proxy ${props.proxyName} failed in five minutes ` +
        "(ClientConnectionsSetupFailedAuth): a rotated secret, a wrong client_password_auth_type, or IAM tokens refused.",
      namespace: NAMESPACE,
      metricName: "ClientConnectionsSetupFailedAuth",
      dimensions,
      period: 5 * MINUTE,
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: props.failedAuthThreshold,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      ...actions,
    });
  }
}
