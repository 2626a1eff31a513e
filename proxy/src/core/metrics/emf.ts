/**
 * CloudWatch Embedded Metric Format: one JSON line per interval that the CloudWatch agent (or Lambda/ECS log
 * drivers) turns into metrics. Counters are reported as the change since the last line, like CloudWatch's Sum per
 * period; latencies as the average of the interval. The namespace cannot be AWS/RDS (reserved), so it is "proxyfit".
 */
import { COUNTERS, type CounterName, GAUGES, type GaugeValues, HISTOGRAMS, type HistogramName, type ProxyMetrics } from "./metrics.js";

export const EMF_NAMESPACE = "proxyfit";

export class EmfReporter {
  private lastCounters: Record<CounterName, number>;
  private lastHistograms: Record<HistogramName, { sum: number; count: number }>;

  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly proxyName: string,
  ) {
    this.lastCounters = { ...metrics.counters };
    this.lastHistograms = this.histogramTotals();
  }

  private histogramTotals(): Record<HistogramName, { sum: number; count: number }> {
    const totals = {} as Record<HistogramName, { sum: number; count: number }>;
    for (const name of HISTOGRAMS) totals[name] = { sum: this.metrics.histograms[name].sum, count: this.metrics.histograms[name].count };
    return totals;
  }

  /** The next EMF line (JSON, no newline). */
  line(gauges: GaugeValues, now = Date.now()): string {
    const values: Record<string, number> = {};
    const definitions: Array<{ Name: string; Unit: string }> = [];
    for (const name of GAUGES) {
      values[name] = gauges[name];
      definitions.push({ Name: name, Unit: name === "AvailabilityPercentage" ? "Percent" : "Count" });
    }
    for (const name of COUNTERS) {
      values[name] = this.metrics.counters[name] - this.lastCounters[name];
      definitions.push({ Name: name, Unit: "Count" });
    }
    const totals = this.histogramTotals();
    for (const name of HISTOGRAMS) {
      const count = totals[name].count - this.lastHistograms[name].count;
      if (count === 0) continue;
      values[name] = Math.round((totals[name].sum - this.lastHistograms[name].sum) / count);
      definitions.push({ Name: name, Unit: "Microseconds" });
    }
    this.lastCounters = { ...this.metrics.counters };
    this.lastHistograms = totals;
    return JSON.stringify({
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [{ Namespace: EMF_NAMESPACE, Dimensions: [["ProxyName"]], Metrics: definitions }],
      },
      ProxyName: this.proxyName,
      ...values,
    });
  }
}
