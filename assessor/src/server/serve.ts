import { removeStaleSpools } from "./uploads/multipart-upload.js";
import { once } from "node:events";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { type AppOptions, createApp, DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_SYNC_LIMIT_BYTES } from "./app.js";
import { errorFields, jsonLogger, type Logger, silentLogger } from "./logger.js";
import { systemErrorReason } from "../input/system-error.js";
import { redactPassword } from "./storage/postgres-database.js";
import { defaultDataDir, openStore } from "./storage/open-store.js";

export interface ServerOptions extends Omit<AppOptions, "store"> {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Without a token the server binds 127.0.0.1 whatever is asked. */
  host?: string;
  /** postgres://... ; otherwise the embedded PGlite in dataDir. */
  databaseUrl?: string;
  dataDir?: string;
  /** How long in-flight uploads get to finish on shutdown before they are failed. Default 30 s. */
  shutdownGraceMs?: number;
  /** How long a client may take to send a whole upload. Default 1 h. */
  requestTimeoutMs?: number;
}

/** The server cannot start for a reason the operator can fix (a busy port, a database that does not answer). */
export class StartupError extends Error {
  override name = "StartupError";
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  /** Graceful: stops accepting, lets in-flight uploads finish (or fail cleanly), closes the store. */
  shutdown(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? silentLogger;
  const asked = options.host ?? "127.0.0.1";
  const host = options.token || LOOPBACK.has(asked) ? asked : "127.0.0.1";
  if (!options.token) {
    logger.warn(
      asked === host
        ? "no PROXYFIT_API_TOKEN: the API is open to anyone on this machine, so it listens on 127.0.0.1 only"
        : `no PROXYFIT_API_TOKEN: listening on 127.0.0.1 only, not ${asked}; set PROXYFIT_API_TOKEN to serve other hosts`,
      { host },
    );
  }

  // The port first: a busy port is told at once, not after the store has been opened (tens of seconds, the first time).
  // Until the store is open every request gets 503 and Retry-After, as /readyz would say.
  const starting: RequestListener = (_request, response) => {
    response.writeHead(503, { "content-type": "application/json", "retry-after": "1" }).end('{"status":"starting"}\n');
  };
  const server = createServer(starting);
  server.requestTimeout = options.requestTimeoutMs ?? 3_600_000;
  const port = options.port ?? 8080;
  try {
    server.listen(port, host);
    await once(server, "listening");
  } catch (error) {
    throw new StartupError(`cannot listen on ${host}:${port}: ${systemErrorReason(error) ?? (error as Error).message}`);
  }
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    const stale = await removeStaleSpools();
    if (stale > 0) logger.info("removed the spooled uploads of a server that stopped mid-upload", { directories: stale });
    store = await openStore({
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      dataDir: options.dataDir ?? defaultDataDir(),
      onDatabaseError: (error) => logger.warn("database connection lost", errorFields(error)),
    });
  } catch (error) {
    await new Promise((closed) => server.close(closed));
    const where = options.databaseUrl ? `the database ${redactPassword(options.databaseUrl)}` : `the data directory ${options.dataDir ?? defaultDataDir()}`;
    throw new StartupError(`cannot open ${where}: ${systemErrorReason(error) ?? (error as Error).message}`);
  }
  const { app, jobs, drain } = createApp({ ...options, store, logger });
  server.off("request", starting);
  server.on("request", app);
  const boundPort = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${boundPort}`;
  logger.info("listening", { url, storage: store.description, auth: options.token ? "bearer token" : "none" });

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      logger.info("shutting down", { runningAssessments: jobs.size });
      drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await jobs.shutdown(options.shutdownGraceMs ?? 30_000);
      // Responses of jobs that just ended are on their way; then nothing is left worth waiting for.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
      server.closeAllConnections();
      await closed;
      await store.close();
      logger.info("stopped");
    })();
    return stopping;
  };
  return { url, port: boundPort, host, shutdown };
}

export const SERVE_USAGE = `usage: proxyfit serve [options]

Runs the assessor as an HTTP service: POST logs to /v1/assessments, GET the report (JSON, HTML) and the
recommendation. API reference: GET /v1/openapi.json and docs/api.md.

options:
  --port N               port (default: PORT, else 8080)
  --host H               address (default 127.0.0.1; other addresses need PROXYFIT_API_TOKEN)
  --data-dir DIR         embedded database directory (default: PROXYFIT_DATA_DIR, else ${defaultDataDir()})
  --database-url URL     a PostgreSQL server instead (default: DATABASE_URL)
  --max-upload SIZE      largest upload, e.g. 500M, 2G (default 2G)
  --max-log SIZE         most log text one upload may hold once decompressed (default 16G)
  --max-config-files N   most config parts in one upload (default 20)
  --max-config SIZE      most bytes of config parts in one upload, together (default 1M)
  --sync-limit SIZE      uploads up to SIZE are answered when done (201), bigger ones once received (202) (default 8M)
  --shutdown-grace SEC   on SIGTERM, time in-flight uploads get to finish (default 30)
  --request-timeout SEC  time a client may take to send one upload (default 3600)
  --pricing-endpoint URL the AWS Price List API endpoint for uploads asking live-pricing=true (default: AWS's)
  --help, -h             this text

environment:
  PROXYFIT_API_TOKEN     bearer token every route but /healthz and /readyz requires
  PORT, DATABASE_URL, PROXYFIT_DATA_DIR as above
`;

/**
 * `proxyfit serve`: runs until SIGTERM or SIGINT; returns the exit code. `wiring` is what the command hands in from
 * other packages (the Terraform route's writer).
 */
export async function runServe(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  wiring: Pick<AppOptions, "terraformModules"> = {},
): Promise<number> {
  let options: ServerOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "data-dir": { type: "string" },
        "database-url": { type: "string" },
        "max-upload": { type: "string" },
        "sync-limit": { type: "string" },
        "max-log": { type: "string" },
        "max-config-files": { type: "string" },
        "max-config": { type: "string" },
        "shutdown-grace": { type: "string" },
        "request-timeout": { type: "string" },
        "pricing-endpoint": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      process.stdout.write(SERVE_USAGE);
      return 0;
    }
    const port = values.port ?? env.PORT;
    const databaseUrl = values["database-url"] ?? env.DATABASE_URL;
    const dataDir = values["data-dir"] ?? env.PROXYFIT_DATA_DIR;
    options = {
      ...(port === undefined ? {} : { port: integer(port, "--port", 0, 65535) }),
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(dataDir ? { dataDir } : {}),
      maxUploadBytes: values["max-upload"] ? size(values["max-upload"], "--max-upload") : DEFAULT_MAX_UPLOAD_BYTES,
      syncLimitBytes: values["sync-limit"] ? size(values["sync-limit"], "--sync-limit") : DEFAULT_SYNC_LIMIT_BYTES,
      ...(values["max-log"] ? { maxLogBytes: size(values["max-log"], "--max-log") } : {}),
      ...(values["max-config-files"]
        ? { maxConfigFiles: integer(values["max-config-files"], "--max-config-files", 0, 100) }
        : {}),
      ...(values["max-config"] ? { maxConfigBytes: size(values["max-config"], "--max-config") } : {}),
      shutdownGraceMs: 1000 * integer(values["shutdown-grace"] ?? "30", "--shutdown-grace", 0, 3600),
      requestTimeoutMs: 1000 * integer(values["request-timeout"] ?? "3600", "--request-timeout", 1, 86_400),
      ...(values["pricing-endpoint"] ? { pricingEndpoint: values["pricing-endpoint"] } : {}),
      ...(env.PROXYFIT_API_TOKEN ? { token: env.PROXYFIT_API_TOKEN } : {}),
    };
  } catch (error) {
    process.stderr.write(`proxyfit serve: ${(error as Error).message}\n\n${SERVE_USAGE}`);
    return 2;
  }

  const logger: Logger = jsonLogger();
  let server: RunningServer;
  try {
    server = await startServer({ ...options, ...wiring, logger });
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    process.stderr.write(`proxyfit serve: ${error.message}\n`);
    return 2;
  }
  const signal = await Promise.race(
    (["SIGTERM", "SIGINT"] as const).map((name) => once(process, name).then(() => name)),
  );
  logger.info("signal received", { signal });
  await server.shutdown();
  return 0;
}

function integer(value: string, option: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new Error(`${option}: "${value}" is not an integer from ${min} to ${max}`);
  }
  return number;
}

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** "2G", "500M", "64K" or plain bytes; binary units. */
export function size(value: string, option: string): number {
  const match = /^(\d+)\s*([KMG]?)(i?B)?$/i.exec(value.trim());
  if (!match || Number(match[1]) === 0) throw new Error(`${option}: "${value}" is not a size like 500M or 2G`);
  return Number(match[1]) * UNITS[match[2]!.toUpperCase()]!;
}
