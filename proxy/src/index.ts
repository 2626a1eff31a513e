/**
 * @proxyfit/proxy: the trial proxy. PostgreSQL transaction pooling that behaves like RDS Proxy (pinning included),
 * with RDS Proxy's metric names and a trial report in the assessor's report schema.
 *
 *   const proxy = await startProxy(loadSettings({ flags: { target: "postgres://postgres@127.0.0.1:5432/postgres" } }));
 *   // ... clients connect to proxy.address ...
 *   const report = await proxy.close();
 */
export { ConfigError, loadSettings, type ProxySettings, SETTINGS, type SettingSources } from "./core/config/index.js";
export { type ClientSnapshot, type StartOptions, startProxy, type TrialProxy } from "./core/proxy.js";
export { COUNTERS, GAUGES, HISTOGRAMS } from "./core/metrics/index.js";
export { ADMIN_ROUTES } from "./core/admin/admin-server.js";
