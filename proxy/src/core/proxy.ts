/**
 * The trial proxy: listens for PostgreSQL clients, pools connections to one target database, serves metrics and the
 * admin view, and writes the trial report when it stops.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import type { Analysis, Report } from "@proxyfit/assessor";
import { loadRulebook } from "@proxyfit/assessor/rules";
import { CLIENT_AUTH_METHODS, type UserCredential } from "../engines/postgres/auth/index.js";
import { ClientConnection } from "../engines/postgres/client/client-connection.js";
import { FUNCTION_CATALOG_QUERY, parseFunctionCatalog } from "../engines/postgres/client/function-calls.js";
import type { ClientServices } from "../engines/postgres/client/services.js";
import { ConfigError, fetchSecrets, type HostPort, type ProxySettings, readUsersFile } from "./config/index.js";
import { type LogSink, ProxyLog } from "./logging/log.js";
import { EmfReporter, type GaugeValues, ProxyMetrics, renderPrometheus } from "./metrics/index.js";
import { DatabaseConnection } from "../engines/postgres/database/database-connection.js";
import { type BorrowRequest, type GroupSnapshot, Pool } from "./pool/pool.js";
import { StatementNames } from "../engines/postgres/statements/prepared-statements.js";
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
  const [users, rulebook, analysis] = await Promise.all([
    loadUsers(settings),
    loadRulebook("postgresql", settings.profile),
    loadAnalysis(settings, log),
  ]);
  const tls = tlsContext(settings);
  const target = settings.target;
  const targetCredential: UserCredential = users.get(target.user) ?? {
    username: target.user,
    ...(target.password !== undefined ? { password: target.password } : {}),
  };
  const connectOptions = { host: target.host, port: target.port, sslmode: target.sslmode, initQuery: settings.initQuery, timeoutMs: START_TIMEOUT_MS };

  // Read max_connections at start, as RDS Proxy sizes itself from the target.
  let first: DatabaseConnection;
  try {
    first = await DatabaseConnection.open({ ...connectOptions, database: target.database, credential: targetCredential });
  } catch (error) {
    throw new Error(`cannot connect to the target ${target.host}:${target.port} as ${target.user}: ${(error as Error).message}`);
  }
  const targetMaxConnections = Number(await first.run("SHOW max_connections"));
  const functions = parseFunctionCatalog(await first.run(FUNCTION_CATALOG_QUERY));
  const welcomeCache = new Map<string, ReadonlyMap<string, string>>([[`${target.user}\u0000${target.database}`, first.neutralParameters]]);
  first.close();
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
  const pool = new Pool({
    maxConnections,
    maxIdleConnections: maxIdle,
    borrowTimeoutMs: settings.connectionBorrowTimeoutMs,
    connect: { ...connectOptions, timeoutMs: Math.max(1000, Math.min(START_TIMEOUT_MS, settings.connectionBorrowTimeoutMs)) },
    log: (level, message) => log.write(level, message),
    observer: {
      borrowed(latencyMs) {
        metrics.histograms.DatabaseConnectionsBorrowLatency.observe(latencyMs * 1000);
        recorder?.borrowWaited(latencyMs);
      },
      connectionRequested: () => metrics.count("DatabaseConnectionRequests"),
      connectionOpened() {
        available = true;
        metrics.count("DatabaseConnectionsSetupSucceeded");
      },
      connectionFailed() {
        available = false;
        metrics.count("DatabaseConnectionsSetupFailed");
      },
    },
  });

  const clients = new Map<number, ClientConnection>();
  const clock = { now: Date.now() };
  const services: ClientServices = {
    settings,
    pool,
    log,
    metrics,
    rulebook,
    functions,
    authMethod: CLIENT_AUTH_METHODS[settings.clientPasswordAuthType],
    users,
    tls,
    statementNames: new StatementNames(),
    observer: recorder,
    clients,
    clock,
    welcome(request: BorrowRequest, callback) {
      const key = `${request.user}\u0000${request.database}`;
      const cached = welcomeCache.get(key);
      if (cached) {
        callback(undefined, cached);
        return;
      }
      pool.borrow(request, (error, connection) => {
        if (error || !connection) {
          callback(error, undefined);
          return;
        }
        const parameters = connection.neutralParameters;
        welcomeCache.set(key, parameters);
        pool.release(connection);
        callback(undefined, parameters);
      });
    },
    cancel(processId, secretKey) {
      const client = clients.get(processId);
      // Only a request of the client's own: once it is answered the connection may already serve someone else.
      const db = client?.secretKey === secretKey ? client.requestRunsOn : undefined;
      if (db) pool.cancelQuery(db);
    },
  };

  const allSockets = new Set<ClientConnection>();
  const server = createServer({ noDelay: true }, (socket) => {
    const client = new ClientConnection(socket, services);
    allSockets.add(client);
    socket.once("close", () => allSockets.delete(client));
  });

  const gauges = (): GaugeValues => {
    let borrowed = 0;
    let inTransaction = 0;
    for (const connection of pool.connections) {
      if (connection.state !== "borrowed") continue;
      borrowed++;
      if (connection.transactionStatus !== "I") inTransaction++;
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
      databaseConnection: client.db?.id,
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
    for (const client of allSockets) client.fatal("57P01", "terminating connection because the proxy failed to start");
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
      if (now - client.lastActivity >= settings.idleClientTimeoutMs) {
        client.fatal("57P05", `terminating connection due to idle_client_timeout (${settings.idleClientTimeoutMs / 1000} s)`);
      } else client.enforceMessageTimeout(now);
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
          for (const client of allSockets) client.fatal("57P01", "terminating connection because the proxy is shutting down");
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
async function loadAnalysis(settings: ProxySettings, log: ProxyLog): Promise<Analysis | undefined> {
  try {
    const { createAnalysis } = await import("@proxyfit/assessor");
    return await createAnalysis({ engine: "postgresql", profile: settings.profile, source: "trial-proxy" });
  } catch (error) {
    log.write("ERROR", `trial report unavailable: cannot load the assessor's analysis: ${(error as Error).message}`);
    return undefined;
  }
}

function pinReasonCounts(clients: Map<number, ClientConnection>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const client of clients.values()) if (client.pinnedBy) counts[client.pinnedBy.rule] = (counts[client.pinnedBy.rule] ?? 0) + 1;
  return counts;
}
