/** A trial proxy in front of a real PostgreSQL, for the end-to-end suites. */
import { connect, type Socket } from "node:net";
import { loadSettings, type StartOptions, startProxy, type TrialProxy } from "@proxyfit/proxy";
import pg from "pg";
import type { PostgresInstance } from "../../src/servers/postgres.js";

export const SHARED_TARGET = "postgres://postgres@127.0.0.1:5432/postgres";

export interface RunningProxy {
  proxy: TrialProxy;
  port: number;
  logs: string[];
  pgClient(config?: pg.ClientConfig): pg.Client;
  close(): Promise<void>;
}

/** A trial proxy in front of the shared server (or of flags.target); log lines are kept in `logs`. */
export function runProxy(flags: Record<string, string>, options: Omit<StartOptions, "log"> = {}): Promise<RunningProxy> {
  return startWith(
    {
      target: SHARED_TARGET,
      listen: "127.0.0.1:0",
      admin: "127.0.0.1:0",
      // The shared server allows 100 connections, shared with every other suite.
      max_connections_percent: "10",
      max_idle_connections_percent: "10",
      ...flags,
    },
    options,
  );
}

/**
 * A trial proxy in front of a throwaway server that the test restarts or whose backends it kills: clients that
 * arrive while the database is down wait up to 30 s for the proxy to reconnect.
 */
export function runProxyInFront(server: PostgresInstance, flags: Record<string, string> = {}): Promise<RunningProxy> {
  return startWith({
    target: `postgres://postgres@127.0.0.1:${server.port}/postgres`,
    listen: "127.0.0.1:0",
    admin: "off",
    max_connections_percent: "10",
    connection_borrow_timeout: "30",
    ...flags,
  });
}

async function startWith(flags: Record<string, string>, options: Omit<StartOptions, "log"> = {}): Promise<RunningProxy> {
  const logs: string[] = [];
  const proxy = await startProxy(loadSettings({ flags }), { ...options, log: (line) => logs.push(line) });
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

/** A Query message (simple protocol). */
export function queryMessage(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`);
  const out = Buffer.alloc(5 + text.length);
  out[0] = 0x51;
  out.writeInt32BE(4 + text.length, 1);
  text.copy(out, 5);
  return out;
}

/**
 * A client on a raw socket (trust login), for pipelining Query messages as no driver here does: `send` writes them
 * at once without waiting for answers.
 */
export interface RawClient {
  send(...sql: string[]): void;
  /** Everything received since login, as latin1 text (message tags and SQLSTATEs are ASCII). */
  received(): string;
  /** ReadyForQuery messages received since login. */
  readyCount(): number;
  /** Resolves once `count` ReadyForQuery messages arrived since login, or the connection closed. */
  ready(count: number): Promise<void>;
  readonly closed: Promise<void>;
  isClosed(): boolean;
  destroy(): void;
}

export async function rawClient(port: number, database = "postgres"): Promise<RawClient> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
  socket.on("error", () => {});
  const chunks: Buffer[] = [];
  let wake = () => {};
  let ended = false;
  socket.on("data", (d: Buffer) => {
    chunks.push(d);
    wake();
  });
  const closed = new Promise<void>((resolve) =>
    socket.on("close", () => {
      ended = true;
      wake();
      resolve();
    }),
  );
  let loginReady = 0;
  const all = () => Buffer.concat(chunks).toString("latin1");
  const readyCount = () => all().split("Z\0\0\0\x05").length - 1 - loginReady;
  const ready = async (count: number) => {
    while (!ended && readyCount() < count) await new Promise<void>((resolve) => (wake = resolve));
  };
  const body = Buffer.from(`\0\x03\0\0user\0postgres\0database\0${database}\0\0`, "latin1");
  const length = Buffer.alloc(4);
  length.writeInt32BE(4 + body.length);
  socket.write(Buffer.concat([length, body]));
  await ready(1);
  if (ended) throw new Error(`login failed: ${all()}`);
  const loginBytes = all().length;
  loginReady = 1;
  return {
    send: (...sql) => socket.write(Buffer.concat(sql.map(queryMessage))),
    received: () => all().slice(loginBytes),
    readyCount,
    ready,
    closed,
    isClosed: () => ended,
    destroy: () => socket.destroy(),
  };
}
