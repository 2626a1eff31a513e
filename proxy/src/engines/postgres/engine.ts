/**
 * The PostgreSQL engine: `postgres://` and `postgresql://` targets, protocol 3.0 toward clients and the database.
 */
import type { Socket } from "node:net";
import type { UserCredential } from "../../core/auth/credentials.js";
import type { TargetSettings } from "../../core/config/settings.js";
import type { ProxySettings } from "../../core/config/index.js";
import { type CoreServices, type Engine, type EngineTarget, type PooledConnection, type ProxyClient, readFromTarget } from "../../core/engine.js";
import type { BorrowRequest, Pool } from "../../core/pool/pool.js";
import { CLIENT_AUTH_METHODS } from "./auth/index.js";
import { ClientConnection } from "./client/client-connection.js";
import { FUNCTION_CATALOG_QUERY, type FunctionCatalog, parseFunctionCatalog } from "./client/function-calls.js";
import type { ClientServices } from "./client/services.js";
import { type ConnectOptions, DatabaseConnection, isPermanentRefusal } from "./database/database-connection.js";
import { StatementNames } from "./statements/prepared-statements.js";

export const postgresEngine: Engine = {
  name: "postgresql",
  schemes: ["postgres", "postgresql"],

  parseTarget(url: URL): Omit<TargetSettings, "engine"> | string {
    const sslmode = url.searchParams.get("sslmode") ?? "disable";
    if (sslmode !== "disable" && sslmode !== "prefer" && sslmode !== "require") {
      return `sslmode must be disable, prefer or require, got "${sslmode}"`;
    }
    const user = decodeURIComponent(url.username) || "postgres";
    const target: Omit<TargetSettings, "engine"> = {
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port ? Number(url.port) : 5432,
      user,
      database: decodeURIComponent(url.pathname.slice(1)) || user,
      sslmode,
    };
    if (url.password) target.password = decodeURIComponent(url.password);
    return target;
  },

  async connectTarget(settings: ProxySettings, credential: UserCredential, timeoutMs: number): Promise<EngineTarget> {
    const { target } = settings;
    const open = () => DatabaseConnection.open({ ...connectOptions(settings, timeoutMs), database: target.database, credential });
    return readFromTarget(target, open, async (first) => {
      const maxConnections = Number(await first.run("SHOW max_connections"));
      const functions = parseFunctionCatalog(await first.run(FUNCTION_CATALOG_QUERY));
      // The first connection's parameters greet the target user's first clients without opening another.
      const welcomeCache = new Map([[welcomeKey(target), first.neutralParameters]]);
      return new PostgresTarget(settings, maxConnections, functions, welcomeCache);
    });
  },
};

function connectOptions(settings: ProxySettings, timeoutMs: number): Omit<ConnectOptions, "database" | "credential"> {
  const { host, port, sslmode } = settings.target;
  return { host, port, sslmode, initQuery: settings.initQuery, timeoutMs };
}

const welcomeKey = (key: { user: string; database: string }): string => `${key.user}\u0000${key.database}`;

class PostgresTarget implements EngineTarget {
  constructor(
    private readonly settings: ProxySettings,
    readonly maxConnections: number,
    private readonly functions: FunctionCatalog,
    /** The server parameters a new client is greeted with, per (user, database), from a connection of its pool. */
    private readonly welcomeCache: Map<string, ReadonlyMap<string, string>>,
  ) {}

  openConnection(request: BorrowRequest, timeoutMs: number): Promise<DatabaseConnection> {
    return DatabaseConnection.open({ ...connectOptions(this.settings, timeoutMs), database: request.database, credential: request.credential });
  }

  isPermanentRefusal(error: Error): boolean {
    return isPermanentRefusal(error);
  }

  serve(core: CoreServices<PooledConnection>): (socket: Socket) => ProxyClient {
    // The pool opens its connections through openConnection only: every one it holds is a DatabaseConnection.
    const pool = core.pool as unknown as Pool<DatabaseConnection>;
    const { clients } = core;
    const welcomeCache = this.welcomeCache;
    const services: ClientServices = {
      ...core,
      pool,
      functions: this.functions,
      authMethod: CLIENT_AUTH_METHODS[this.settings.clientPasswordAuthType],
      statementNames: new StatementNames(),
      welcome(request, callback) {
        const key = welcomeKey(request);
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
        const db = client instanceof ClientConnection && client.secretKey === secretKey ? client.requestRunsOn : undefined;
        if (db) pool.cancelQuery(db);
      },
    };
    return (socket) => new ClientConnection(socket, services);
  }
}
