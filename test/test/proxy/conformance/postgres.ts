/** The PostgreSQL engine's fixture for the conformance suite: node-postgres, throwaway PostgreSQL servers. */
import pg from "pg";
import { startPostgres } from "../../../src/servers/postgres.js";
import { SHARED_TARGET } from "../support.js";
import type { EngineClient, EngineFixture, ErrorFacts } from "./fixture.js";

async function pgClient(config: pg.ClientConfig): Promise<EngineClient> {
  const client = new pg.Client({ host: "127.0.0.1", user: "postgres", database: "postgres", ...config });
  const lost = new Promise<Error>((resolve) => client.on("error", resolve));
  await client.connect();
  return {
    query: async (sql) => (await client.query(sql)).rows,
    destroy: () => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
    end: () => client.end().catch(() => {}),
    lost,
  };
}

export const postgresFixture: EngineFixture = {
  name: "PostgreSQL",
  sharedTarget: SHARED_TARGET,
  // The tracked setting is a startup parameter: PostgreSQL clients set session defaults at login.
  connect: (port, options = {}) =>
    pgClient({
      port,
      ...(options.tracked !== undefined ? { statement_timeout: Number(options.tracked) } : {}),
      ...(options.application !== undefined ? { application_name: options.application } : {}),
    }),
  direct: () => pgClient({ port: 5432 }),
  async startServer() {
    const server = await startPostgres();
    return {
      target: `postgres://postgres@127.0.0.1:${server.port}/postgres`,
      restart: () => server.restart(),
      stop: () => server.stop(),
      direct: () => pgClient({ port: server.port }),
    };
  },
  errorFacts(error: unknown): ErrorFacts {
    const { code, message } = error as pg.DatabaseError;
    return { code, message };
  },
  sql: {
    backendId: "select pg_backend_pid() as id",
    outsideTransaction: "select now() = statement_timestamp() as outside",
    sleep: (seconds) => `select pg_sleep(${seconds})`,
    sleepersRunning: "select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep%' and state = 'active'",
  },
  pinning: {
    sql: "set statement_timeout = '4321ms'",
    rule: "pg.set",
    probe: "select current_setting('statement_timeout') as value",
    pinnedValue: "4321ms",
    defaultValue: "0",
  },
  tracked: {
    probe: "select current_setting('statement_timeout') as value",
    values: [
      { set: "9000", shows: "9s" },
      { set: "8000", shows: "8s" },
    ],
    defaultValue: "0",
  },
  borrowTimeout: { code: "53300", message: /Timed-out waiting to acquire database connection/ },
  serverShutdown: { code: "57P01", message: "terminating connection due to administrator command" },
};
