/**
 * The MySQL / MariaDB engine: `mysql://` and `mariadb://` targets, the MySQL client/server protocol toward clients and
 * the database.
 */
import type { Socket } from "node:net";
import type { UserCredential } from "../../core/auth/credentials.js";
import type { ProxySettings, TargetSettings } from "../../core/config/settings.js";
import { type CoreServices, type Engine, type EngineTarget, type PooledConnection, type ProxyClient, readFromTarget } from "../../core/engine.js";
import type { BorrowRequest, Pool } from "../../core/pool/pool.js";
import { MysqlClientConnection } from "./client/client-connection.js";
import type { MysqlClientServices } from "./client/services.js";
import { Capability } from "./protocol/index.js";
import { type ConnectOptions, DatabaseConnection, isPermanentRefusal } from "./database/database-connection.js";

export const mysqlEngine: Engine = {
  name: "mysql",
  schemes: ["mysql", "mariadb"],

  parseTarget(url: URL): Omit<TargetSettings, "engine"> | string {
    const sslmode = url.searchParams.get("sslmode") ?? "disable";
    // TLS toward MySQL is not implemented yet: say so rather than connect in clear.
    if (sslmode !== "disable") return `sslmode must be disable for a MySQL target (TLS to the database is not supported yet), got "${sslmode}"`;
    const target: Omit<TargetSettings, "engine"> = {
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port ? Number(url.port) : 3306,
      user: decodeURIComponent(url.username) || "root",
      database: decodeURIComponent(url.pathname.slice(1)),
      sslmode,
    };
    if (url.password) target.password = decodeURIComponent(url.password);
    return target;
  },

  async connectTarget(settings: ProxySettings, credential: UserCredential, timeoutMs: number): Promise<EngineTarget> {
    const { target } = settings;
    const open = () => DatabaseConnection.open({ ...connectOptions(settings, timeoutMs), database: target.database, credential });
    return readFromTarget(target, open, async (first) => {
      const maxConnections = Number((await first.run("SELECT @@max_connections"))[0]?.[0]);
      const collations = new Map<number, ReadonlyMap<string, string>>();
      for (const [id, charset, collation] of await first.run(COLLATIONS_QUERY)) {
        if (id === undefined || charset === undefined || collation === undefined) continue;
        collations.set(
          Number(id),
          new Map([
            ["character_set_client", charset],
            ["character_set_connection", charset],
            ["character_set_results", charset],
            ["collation_connection", collation],
          ]),
        );
      }
      return new MysqlTarget(settings, maxConnections, first.serverVersion, collations, first.neutral.variables);
    });
  },
};

const COLLATIONS_QUERY = "SELECT ID, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS WHERE ID IS NOT NULL";

/** Clients are greeted with utf8mb4_general_ci, as MariaDB greets them. */
const GREETING_CHARSET = 45;

function connectOptions(settings: ProxySettings, timeoutMs: number): Omit<ConnectOptions, "database" | "credential"> {
  const { host, port } = settings.target;
  return { host, port, initQuery: settings.initQuery, timeoutMs };
}

/**
 * The session values a client's handshake asks for: its collation's character set, and what two capability flags do
 * to a session (CLIENT_IGNORE_SPACE adds IGNORE_SPACE to sql_mode; CLIENT_INTERACTIVE takes interactive_timeout as
 * wait_timeout), which the proxy's own connections do not ask for.
 */
function loginValues(characterSet: ReadonlyMap<string, string> | undefined, capabilities: number, neutral: ReadonlyMap<string, string>): Map<string, string> {
  const values = new Map(characterSet ?? []);
  const sqlMode = neutral.get("sql_mode");
  if (capabilities & Capability.IGNORE_SPACE && sqlMode !== undefined && !/\bIGNORE_SPACE\b/.test(sqlMode)) {
    values.set("sql_mode", sqlMode === "" ? "IGNORE_SPACE" : `IGNORE_SPACE,${sqlMode}`);
  }
  const interactive = neutral.get("interactive_timeout");
  if (capabilities & Capability.INTERACTIVE && interactive !== undefined) values.set("wait_timeout", interactive);
  return values;
}

const groupKey = (key: { user: string; database: string }): string => `${key.user}\u0000${key.database}`;

class MysqlTarget implements EngineTarget {
  /** (user, database) pairs that have logged in once. */
  private readonly verified = new Set<string>();

  constructor(
    private readonly settings: ProxySettings,
    readonly maxConnections: number,
    private readonly serverVersion: string,
    private readonly collations: ReadonlyMap<number, ReadonlyMap<string, string>>,
    /** A new connection's session values, read at start. */
    private readonly neutral: ReadonlyMap<string, string>,
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
    const { verified, collations, neutral } = this;
    const services: MysqlClientServices = {
      ...core,
      pool,
      serverVersion: this.serverVersion,
      charset: GREETING_CHARSET,
      loginValues: (collationId, capabilities) => loginValues(collations.get(collationId), capabilities, neutral),
      verify(request, callback) {
        const key = groupKey(request);
        if (verified.has(key)) {
          callback(undefined);
          return;
        }
        pool.borrow(request, (error, connection) => {
          if (error || !connection) {
            callback(error ?? new Error("no database connection"));
            return;
          }
          verified.add(key);
          pool.release(connection);
          callback(undefined);
        });
      },
    };
    return (socket) => new MysqlClientConnection(socket, services);
  }
}
