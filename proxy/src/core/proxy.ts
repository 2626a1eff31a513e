/**
 * The trial proxy: listens for clients of the target's engine, pools connections to one target database, serves
 * metrics and the admin view, and writes the trial report when it stops. Everything here is engine-neutral; the
 * engine (settings.target.engine) speaks the wire protocol on both sides.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import type { Analysis, Engine as RulebookEngine, Report } from "@proxyfit/assessor";
import { loadRulebook } from "@proxyfit/assessor/rules";
import type { UserCredential } from "./auth/credentials.js";
import { ConfigError, fetchSecrets, type HostPort, type ProxySettings, readUsersFile } from "./config/index.js";
import type { CoreServices, PooledConnection, ProxyClient } from "./engine.js";
import { type LogSink, ProxyLog } from "./logging/log.js";
import { EmfReporter, type GaugeValues, ProxyMetrics, renderPrometheus } from "./metrics/index.js";
import { type GroupSnapshot, Pool } from "./pool/pool.js";
import { TrialRecorder } from "./report/trial-recorder.js";
import { type AdminServer, startAdminServer } from "./admin/admin-server.js";
import { listen } from "./listen.js";

export interface StartOptions {
  /** Where log lines go; default stderr. */
  log?: LogSink;
  /** Where EMF lines go; default stdout. */
  emf?: (line: string) => void;
}

export interface ClientSnapshot {
  id: number;
  user: string;
  database: string;
  application: string;
  address: string;
  tls: boolean;
  state: string;
  connectedAt: string;
  databaseConnection: number | undefined;
  /** The rule that pinned the session, and RDS Proxy's wording of it. */
  pinRule: string | undefined;
  pinReason: string | undefined;
}

export interface TrialProxy {
  /** Where clients connect (the real port when 0 was asked for). */
  readonly address: HostPort;
  readonly adminAddress: HostPort | undefined;
  /** The target's max_connections, read at start. */
  readonly targetMaxConnections: number;
  /** What the proxy may open: floor(max_connections x max_connections_percent / 100). */
  readonly maxConnections: number;
  readonly metrics: ProxyMetrics;
  gauges(): GaugeValues;
  prometheus(): string;
  pools(): GroupSnapshot[];
  clients(): ClientSnapshot[];
  /** Stops accepting, closes everything, writes report_file; returns the trial report (undefined without one). */
  close(): Promise<Report | undefined>;
}

/** How long the proxy waits at start for the target to answer. */
const START_TIMEOUT_MS = 10_000;

async function loadUsers(settings: ProxySettings): Promise<Map<string, UserCredential>> {
  const users = new Map<string, UserCredential>();
  if (settings.usersFile) for (const user of readUsersFile(settings.usersFile)) users.set(user.username, user);
  if (settings.secretArns.length > 0) {
    const secrets = await fetchSecrets({
      arns: settings.secretArns,
      region: settings.awsRegion,
      endpoint: settings.secretsManagerEndpoint,
    });
    for (const user of secrets) users.set(user.username, user);
  }
  return users;
}

function tlsContext(settings: ProxySettings): SecureContext | undefined {
  if (!settings.tlsCertFile || !settings.tlsKeyFile) return undefined;
  try {
    return createSecureContext({ cert: readFileSync(settings.tlsCertFile), key: readFileSync(settings.tlsKeyFile) });
  } catch (error) {
    throw new ConfigError([`tls_cert / tls_key: cannot load ${settings.tlsCertFile} and ${settings.tlsKeyFile}: ${(error as Error).message}`]);
  }
}

export async function startProxy(settings: ProxySettings, options: StartOptions = {}): Promise<TrialProxy> {
  const log = new ProxyLog(options.log ?? ((line) => process.stderr.write(`${line}\n`)), settings.debugLogging);
  const target = settings.target;
  const engine = target.engine;
  const [users, rulebook, analysis] = await Promise.all([
    loadUsers(settings),
    loadRulebook(engine.name, settings.profile),
    loadAnalysis(settings, engine.name, log),
  ]);
  const tls = tlsContext(settings);
  const targetCredential: UserCredential = users.get(target.user) ?? {
    username: target.user,
    ...(target.password !== undefined ? { password: target.password } : {}),
  };

  // Read max_connections at start, as RDS Proxy sizes itself from the target.
  const database = await engine.connectTarget(settings, targetCredential, START_TIMEOUT_MS);
  const targetMaxConnections = database.maxConnections;
  const maxConnections = Math.max(1, Math.floor((targetMaxConnections * settings.maxConnectionsPercent) / 100));
  const maxIdle = Math.floor((targetMaxConnections * settings.maxIdleConnectionsPercent) / 100);

  const metrics = new ProxyMetrics();
  let available = true;
  const recorder = analysis
    ? new TrialRecorder(analysis, {
        maxConnections: targetMaxConnections,
        maxConnectionsPercent: settings.maxConnectionsPercent,
        proxyConnectionLimit: maxConnections,
      })
    : undefined;
  const connectTimeoutMs = Math.max(1000, Math.min(START_TIMEOUT_MS, settings.connectionBorrowTimeoutMs));
  const pool = new Pool<PooledConnection>({
    maxConnections,
    maxIdleConnections: maxIdle,
    borrowTimeoutMs: settings.connectionBorrowTimeoutMs,
    open: (request) => database.openConnection(request, connectTimeoutMs),
    isPermanentRefusal: (error) => database.isPermanentRefusal(error),
    log: (level, message) => log.write(level, message),
    observer: {
      borrowed(latencyMs) {
        metrics.histograms.DatabaseConnectionsBorrowLatency.observe(latencyMs * 1000);
        recorder?.borrowWaited(latencyMs);
        sampleCounts();
      },
      connectionRequested: () => metrics.count("DatabaseConnectionRequests"),
      connectionOpened() {
        available = true;
        metrics.count("DatabaseConnectionsSetupSucceeded");
        sampleCounts();
      },
      connectionFailed() {
        available = false;
        metrics.count("DatabaseConnectionsSetupFailed");
      },
    },
  });

  const clients = new Map<number, ProxyClient>();
  // Between the once-a-second samples: what a statement of a few milliseconds used would otherwise go unseen.
  const sampleCounts = () => recorder?.sample({ clientConnections: clients.size, databaseConnections: pool.connections.size });
  const clock = { now: Date.now() };
  const services: CoreServices<PooledConnection> = { settings, pool, log, metrics, rulebook, users, tls, observer: recorder, clients, clock };
  const accept = database.serve(services);

  const allSockets = new Set<ProxyClient>();
  const server = createServer({ noDelay: true }, (socket) => {
    const client = accept(socket);
    allSockets.add(client);
    socket.once("close", () => allSockets.delete(client));
  });

  const gauges = (): GaugeValues => {
    let borrowed = 0;
    let inTransaction = 0;
    for (const connection of pool.connections) {
      if (connection.state !== "borrowed") continue;
      borrowed++;
      if (connection.inTransaction) inTransaction++;
    }
    let pinned = 0;
    for (const client of clients.values()) if (client.pinned) pinned++;
    return {
      ClientConnections: clients.size,
      DatabaseConnections: pool.connections.size,
      DatabaseConnectionsCurrentlyBorrowed: borrowed,
      DatabaseConnectionsCurrentlyInTransaction: inTransaction,
      DatabaseConnectionsCurrentlySessionPinned: pinned,
      MaxDatabaseConnectionsAllowed: maxConnections,
      AvailabilityPercentage: available ? 100 : 0,
    };
  };
  const labels = { ProxyName: settings.proxyName, TargetGroup: "default", Target: `${target.host}:${target.port}` };
  const prometheus = () => renderPrometheus(metrics, gauges(), labels);
  const pools = () => pool.snapshot();
  const clientList = (): ClientSnapshot[] =>
    [...clients.values()].map((client) => ({
      id: client.id,
      user: client.user,
      database: client.database,
      application: client.application,
      address: client.address,
      tls: client.tls,
      state: client.state,
      connectedAt: new Date(client.connectedAt).toISOString(),
      databaseConnection: client.databaseConnectionId,
      pinRule: client.pinnedBy?.rule,
      pinReason: client.pinnedBy?.reason,
    }));

  // Both listeners are bound before anything runs; if either cannot bind, nothing is left running.
  let address: HostPort;
  let admin: AdminServer | undefined;
  try {
    address = await listen(server, settings.listen, "clients", 8192);
    if (settings.admin) {
      admin = await startAdminServer(settings.admin, {
        prometheus,
        pools,
        clients: clientList,
        status: () => ({
          proxyName: settings.proxyName,
          listen: address,
          target: `${target.host}:${target.port}/${target.database}`,
          profile: settings.profile,
          targetMaxConnections,
          maxConnections,
          gauges: gauges(),
          pinReasons: pinReasonCounts(clients),
        }),
      });
    }
  } catch (error) {
    server.close();
    for (const client of allSockets) client.end("start-failed");
    await pool.close();
    throw error;
  }
  server.on("error", (error) => log.write("ERROR", `listener: ${error.message}`));

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, task: () => void) => {
    const timer = setInterval(task, ms);
    timer.unref();
    timers.push(timer);
  };
  every(100, () => {
    clock.now = Date.now();
  });
  every(1000, () => {
    const now = Date.now();
    for (const client of clients.values()) {
      if (now - client.lastActivity >= settings.idleClientTimeoutMs) client.end("idle-timeout");
      else client.enforceMessageTimeout(now);
    }
    const g = gauges();
    recorder?.sample({
      clientConnections: g.ClientConnections,
      databaseConnections: g.DatabaseConnections,
      pinnedConnections: g.DatabaseConnectionsCurrentlySessionPinned,
      waitingClients: pool.waiting,
    });
  });
  if (settings.emf) {
    const emf = new EmfReporter(metrics, settings.proxyName);
    const write = options.emf ?? ((line: string) => process.stdout.write(`${line}\n`));
    every(settings.emfIntervalMs, () => write(emf.line(gauges())));
  }

  log.write(
    "INFO",
    `listening on ${address.host}:${address.port}; target ${target.host}:${target.port} max_connections ${targetMaxConnections}, pool limit ${maxConnections}; profile ${settings.profile}; client auth ${settings.clientPasswordAuthType}`,
  );

  let closing: Promise<Report | undefined> | undefined;
  return {
    address,
    adminAddress: admin?.address,
    targetMaxConnections,
    maxConnections,
    metrics,
    gauges,
    prometheus,
    pools,
    clients: clientList,
    close() {
      closing ??= (async () => {
        for (const timer of timers) clearInterval(timer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const client of allSockets) client.end("shutdown");
        });
        await admin?.close();
        await pool.close();
        const report = recorder?.report();
        if (report && settings.reportFile) writeFileSync(settings.reportFile, `${JSON.stringify(report, null, 2)}\n`);
        return report;
      })();
      return closing;
    },
  };
}

/**
 * The assessor's analysis, loaded on demand: the proxy pools without it, and a broken or missing assessor build costs
 * the trial report, not the trial.
 */
async function loadAnalysis(settings: ProxySettings, engine: RulebookEngine, log: ProxyLog): Promise<Analysis | undefined> {
  try {
    const { createAnalysis } = await import("@proxyfit/assessor");
    return await createAnalysis({ engine, profile: settings.profile, source: "trial-proxy" });
  } catch (error) {
    log.write("ERROR", `trial report unavailable: cannot load the assessor's analysis: ${(error as Error).message}`);
    return undefined;
  }
}

function pinReasonCounts(clients: Map<number, ProxyClient>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const client of clients.values()) if (client.pinnedBy) counts[client.pinnedBy.rule] = (counts[client.pinnedBy.rule] ?? 0) + 1;
  return counts;
}
