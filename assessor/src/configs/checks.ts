import type { Engine } from "../events/log-event.js";
import type { ConfigFinding } from "../report/report.js";
import type { FamilyContext } from "./config-family.js";
import { configFinding } from "./config-rules.js";

/** Checks several families share: SQL run on connect, idle lifetimes against idle_client_timeout, profile switches. */

/** True under the profile where a PostgreSQL Parse message pins by itself (RDS Proxy before 10 Nov 2023). */
export function parsePins(context: FamilyContext): boolean {
  return context.profile === "rds-proxy-pre-2023";
}

export function seconds(value: number): string {
  if (!Number.isFinite(value)) return "forever";
  return value % 60 === 0 && value >= 60 ? `${value / 60} min` : `${value} s`;
}

/**
 * A pool that can leave a connection idle for `idleSeconds` (Infinity: no limit) behind a proxy that closes clients
 * idle for idle_client_timeout: at or above the limit, the pool hands out connections the proxy already closed.
 */
export function outlivesProxy(idleSeconds: number, context: FamilyContext): boolean {
  return idleSeconds >= context.idleClientTimeoutSeconds;
}

export function idleMessage(what: string, idleSeconds: number, context: FamilyContext): string {
  return (
    `${what}: a pooled connection can sit idle ${seconds(idleSeconds)}, but the proxy closes clients idle for ` +
    `idle_client_timeout (${seconds(context.idleClientTimeoutSeconds)}); the next query on it fails with ` +
    `"connection reset" / "server closed the connection unexpectedly"`
  );
}

/**
 * SQL run on every new connection (init SQL, session variables): a pin finding when the rulebook says it pins,
 * else undefined. The message quotes the rulebook's reasons.
 */
export function connectSqlFinding(
  rule: string,
  at: { file: string; line?: number; setting?: string },
  engine: Engine,
  sql: string,
  context: FamilyContext,
  what: string,
): ConfigFinding | undefined {
  const pins = context.classifySql(engine, sql);
  if (pins.length === 0) return undefined;
  const reasons = pins.map((p) => `${p.rule}: ${p.reason}${p.ambiguous ? " (documented-ambiguous)" : ""}`).join("; ");
  return configFinding(rule, at, "pin", `${what} runs \`${sql}\` on every new connection, which pins every session from its start (${reasons})`);
}

/** The file's engine: what its connection strings say, else the assessment's. */
export function engineOf(connections: ReadonlyArray<{ engine: Engine }>, context: FamilyContext, fallback: Engine): Engine {
  return connections[0]?.engine ?? context.engine ?? fallback;
}
