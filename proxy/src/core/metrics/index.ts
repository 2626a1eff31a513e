export { EMF_NAMESPACE, EmfReporter } from "./emf.js";
export { COUNTERS, GAUGES, type GaugeValues, HISTOGRAMS, ProxyMetrics } from "./metrics.js";
export { renderPrometheus } from "./prometheus.js";
