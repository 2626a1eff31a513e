/** Starts a real trial proxy in front of the shared PostgreSQL (127.0.0.1:5432, trust) for a test. */
import pg from "pg";
import { loadSettings, startProxy, type TrialProxy } from "../../../../src/index.js";

export const TARGET = "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestProxy {
  proxy: TrialProxy;
  port: number;
  logs: string[];
  /** A connected node-postgres client through the proxy. */
  client(config?: pg.ClientConfig): Promise<pg.Client>;
  close(): Promise<void>;
}

export async function startTestProxy(flags: Record<string, string> = {}): Promise<TestProxy> {
  const logs: string[] = [];
  const settings = loadSettings({
    flags: {
      target: TARGET,
      listen: "127.0.0.1:0",
      admin: "127.0.0.1:0",
      // The shared server has max_connections 100 and other suites use it too.
      max_connections_percent: "5",
      max_idle_connections_percent: "5",
      ...flags,
    },
  });
  const proxy = await startProxy(settings, { log: (line) => logs.push(line) });
  const opened: pg.Client[] = [];
  return {
    proxy,
    port: proxy.address.port,
    logs,
    async client(config = {}) {
      const client = new pg.Client({ host: "127.0.0.1", port: proxy.address.port, user: "postgres", database: "postgres", ...config });
      client.on("error", () => {});
      await client.connect();
      opened.push(client);
      return client;
    },
    async close() {
      await Promise.all(opened.map((c) => c.end().catch(() => {})));
      await proxy.close();
    },
  };
}

/**
 * Databases of the test's own on the shared server, made from template0 (which takes no sessions: one of anybody's on
 * template1 would make CREATE DATABASE fail) and dropped with whatever is still connected to them.
 */
export async function createScratchDatabases(names: readonly string[]): Promise<{ drop(): Promise<void> }> {
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await admin.connect();
  try {
    for (const name of names) {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`create database ${name} template template0`);
    }
  } finally {
    await admin.end();
  }
  return {
    async drop() {
      const c = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
      await c.connect();
      try {
        for (const name of names) await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
