/**
 * The admin listener: Prometheus /metrics with RDS Proxy's metric names, and JSON views of pools and clients (what
 * PgBouncer's SHOW POOLS / SHOW CLIENTS give).
 */
import { createServer } from "node:http";
import type { HostPort } from "../config/index.js";
import { listen } from "../listen.js";

export interface AdminViews {
  prometheus(): string;
  pools(): unknown;
  clients(): unknown;
  status(): unknown;
}

export interface AdminServer {
  address: HostPort;
  close(): Promise<void>;
}

export const ADMIN_ROUTES: Readonly<Record<string, string>> = {
  "/": "proxy status: target, limits, current gauges, pinned clients by rule",
  "/metrics": "Prometheus text exposition of RDS Proxy's metrics",
  "/pools": "one entry per (user, database): connections, idle, borrowed, opening, waiting clients",
  "/clients": "one entry per client connection: user, database, application, state, borrowed connection, pin reason",
};

export async function startAdminServer(address: HostPort, views: AdminViews): Promise<AdminServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const json = (value: unknown) => {
      response.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(value, null, 2)}\n`);
    };
    switch (path) {
      case "/metrics":
        response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(views.prometheus());
        return;
      case "/pools":
        json(views.pools());
        return;
      case "/clients":
        json(views.clients());
        return;
      case "/":
        json({ ...(views.status() as object), routes: ADMIN_ROUTES });
        return;
      default:
        response.writeHead(404, { "content-type": "application/json" }).end(`${JSON.stringify({ error: `no route ${path}`, routes: ADMIN_ROUTES })}\n`);
    }
  });
  const bound = await listen(server, address, "admin");
  return {
    address: bound,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
