/** A trial proxy in front of a real PostgreSQL, for the end-to-end suites. */
import { loadSettings, startProxy, type TrialProxy } from "@proxyfit/proxy";
import pg from "pg";

export const SHARED_TARGET = "postgres://postgres@127.0.0.1:5432/postgres";

export interface RunningProxy {
  proxy: TrialProxy;
  port: number;
  logs: string[];
  pgClient(config?: pg.ClientConfig): pg.Client;
  close(): Promise<void>;
}

export async function runProxy(flags: Record<string, string>): Promise<RunningProxy> {
  const logs: string[] = [];
  const settings = loadSettings({
    flags: {
      target: SHARED_TARGET,
      listen: "127.0.0.1:0",
      admin: "127.0.0.1:0",
      // The shared server allows 100 connections, shared with every other suite.
      max_connections_percent: "10",
      max_idle_connections_percent: "10",
      ...flags,
    },
  });
  const proxy = await startProxy(settings, { log: (line) => logs.push(line) });
  return {
    proxy,
    port: proxy.address.port,
    logs,
    pgClient(config = {}) {
      const client = new pg.Client({ host: "127.0.0.1", port: proxy.address.port, user: "postgres", database: "postgres", ...config });
      client.on("error", () => {});
      return client;
    },
    async close() {
      await proxy.close();
    },
  };
}

/** A database of its own on the shared server, dropped afterwards. */
export async function scratchDatabase(name: string): Promise<{ name: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name} template template0`);
  await admin.end();
  return {
    name,
    async drop() {
      const c = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
