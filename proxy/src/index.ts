/**
 * @proxyfit/proxy: the trial proxy. Transaction pooling that behaves like RDS Proxy (pinning included), with RDS
 * Proxy's metric names and a trial report in the assessor's report schema; the target URL's scheme chooses the
 * engine (PostgreSQL today).
 *
 *   const proxy = await startProxy(loadSettings({ flags: { target: "postgres://postgres@127.0.0.1:5432/postgres" } }));
 *   // ... clients connect to proxy.address ...
 *   const report = await proxy.close();
 */
import { loadSettings as loadSettingsOf, type ProxySettings, type SettingSources } from "./core/config/index.js";
import { ENGINES } from "./engines/index.js";

export { ConfigError, type ProxySettings, SETTINGS, type SettingSources } from "./core/config/index.js";
export { type ClientSnapshot, type StartOptions, startProxy, type TrialProxy } from "./core/proxy.js";
export { COUNTERS, GAUGES, HISTOGRAMS } from "./core/metrics/index.js";
export { ADMIN_ROUTES } from "./core/admin/admin-server.js";
export { ENGINES } from "./engines/index.js";

/** Reads and validates settings (file, environment, flags); the target URL's scheme chooses among ENGINES. */
export function loadSettings(sources: SettingSources): ProxySettings {
  return loadSettingsOf(sources, ENGINES);
}
