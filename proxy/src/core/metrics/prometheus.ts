/** Prometheus text exposition (version 0.0.4) of the RDS-named metrics. */
import { COUNTERS, DESCRIPTIONS, GAUGES, type GaugeValues, HISTOGRAMS, LATENCY_BUCKETS_US, type ProxyMetrics } from "./metrics.js";

function labelText(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

export function renderPrometheus(metrics: ProxyMetrics, gauges: GaugeValues, labels: Readonly<Record<string, string>>): string {
  const out: string[] = [];
  const base = labelText(labels);
  for (const name of GAUGES) {
    out.push(`# HELP ${name} ${DESCRIPTIONS[name]}`, `# TYPE ${name} gauge`, `${name}${base} ${gauges[name]}`);
  }
  for (const name of COUNTERS) {
    out.push(`# HELP ${name} ${DESCRIPTIONS[name]}`, `# TYPE ${name} counter`, `${name}${base} ${metrics.counters[name]}`);
  }
  for (const name of HISTOGRAMS) {
    const histogram = metrics.histograms[name];
    out.push(`# HELP ${name} ${DESCRIPTIONS[name]}`, `# TYPE ${name} histogram`);
    let cumulative = 0;
    LATENCY_BUCKETS_US.forEach((bound, i) => {
      cumulative += histogram.counts[i]!;
      out.push(`${name}_bucket${labelText({ ...labels, le: String(bound) })} ${cumulative}`);
    });
    out.push(`${name}_bucket${labelText({ ...labels, le: "+Inf" })} ${histogram.count}`);
    out.push(`${name}_sum${base} ${histogram.sum}`, `${name}_count${base} ${histogram.count}`);
  }
  return `${out.join("\n")}\n`;
}
