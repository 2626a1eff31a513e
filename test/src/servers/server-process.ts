import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { access, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What the throwaway-server harnesses (PostgreSQL, MariaDB) share: ports, templates, processes, cleanup. */

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no free port on 127.0.0.1"));
      });
    });
  });
}

const TEMPLATE_COMPLETE = "proxyfit-template-complete";
const templates = new Map<string, Promise<string>>();

/**
 * A data directory initialised once per machine (initdb, mariadb-install-db) that every instance copies: tens of ms
 * instead of ~0.5 s. Built under a temporary name and renamed into place, so concurrent test workers never see half
 * of one; keyed by `name` (which names the server binary) and left in place for the next run.
 */
export function cachedTemplate(
  name: string,
  build: (dataDir: string) => Promise<void>,
  makeRoot: (fileName: string) => Promise<string> = (fileName) => mkdtemp(join(tmpdir(), `${fileName}-build-`)),
): Promise<string> {
  let template = templates.get(name);
  if (!template) {
    // The name holds a binary's path: one file name for it, used both for the template and while building it.
    const fileName = name.replace(/[^A-Za-z0-9]+/g, "-");
    template = (async () => {
      const dataDir = join(tmpdir(), `${fileName}-uid${process.getuid?.() ?? 0}`);
      if (await exists(join(dataDir, TEMPLATE_COMPLETE))) return dataDir;
      const root = await makeRoot(fileName);
      const building = join(root, "data");
      try {
        await build(building);
        await writeFile(join(building, TEMPLATE_COMPLETE), "");
        await rename(building, dataDir).catch(async (error) => {
          // Another worker won the race; its template is complete because rename is atomic.
          if (!(await exists(join(dataDir, TEMPLATE_COMPLETE)))) throw error;
        });
      } finally {
        await rm(root, { recursive: true, force: true });
      }
      return dataDir;
    })();
    templates.set(name, template);
  }
  return template;
}

/** Copying a template must leave its completion marker behind. */
export function isTemplateMarker(path: string): boolean {
  return path.endsWith(TEMPLATE_COMPLETE);
}

/** A server (under its watchdog) started by a harness. */
export interface ServerProcess {
  child: ChildProcess;
  exited: Promise<void>;
  stderr(): string;
}

/**
 * Spawns a server under a shell watchdog whose stdin is a pipe from this process: closing it (or this process dying)
 * tells the watchdog to stop the server. Neither the process nor its pipes may keep a test worker alive; the exit
 * hook and the watchdog clean up.
 */
export function spawnServer(command: string, args: string[]): ServerProcess {
  const child = spawn(command, args, { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.unref();
  for (const stream of [child.stdin, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  return { child, exited, stderr: () => stderr };
}

/**
 * Waits for `promise` while holding the event loop open. Server processes and their pipes are unref'd so they never
 * keep a test worker alive; a plain script (npm run samples, npm run bench) awaiting their exit would otherwise end
 * with that await unsettled.
 */
export async function keepAlive<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 60_000);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}

/** A server that must not outlive this process: `kill` stops it synchronously, then its directory goes. */
export interface LiveServer {
  root: string;
  kill(): void;
}

const live = new Set<LiveServer>();
let exitHookInstalled = false;

/** Registers a server for the exit hook (a test run that ends without calling stop()); returns the unregister. */
export function stopOnExit(server: LiveServer): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const instance of live) {
        try {
          instance.kill();
        } catch {
          // already gone
        }
        rmSync(instance.root, { recursive: true, force: true });
      }
    });
  }
  live.add(server);
  return () => live.delete(server);
}

/** restart() and stop() of a harness's instance: stop is safe to call twice, a stopped instance never restarts. */
export interface ServerLifecycle {
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a server that stopOnExit() registered (`forget` unregisters it); if it fails to start, its directory goes
 * and the error is rethrown.
 */
export async function startServer(options: {
  name: string;
  root: string;
  forget: () => void;
  start: () => Promise<void>;
  shutdown: () => Promise<void>;
}): Promise<ServerLifecycle> {
  const { name, root, forget, start, shutdown } = options;
  const remove = async () => {
    forget();
    await rm(root, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await remove();
    throw error;
  }
  let stopped = false;
  return {
    restart: async () => {
      if (stopped) throw new Error(`restart(): this ${name} instance was stopped`);
      await shutdown();
      await start();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await shutdown();
      await remove();
    },
  };
}
