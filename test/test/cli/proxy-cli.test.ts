import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

/** `proxyfit proxy` as a user runs it: the built command, start-up failures. */
const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const BIN = join(ROOT, "cli/bin/proxyfit.js");
const TARGET = "postgres://postgres@127.0.0.1:5432/postgres";

/** Runs the command to its end; a proxy left running would be killed at the timeout and fail the test. */
function proxyfit(...args: string[]): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const failed = error as (Error & { code?: number; signal?: string }) | null;
      done({ code: failed ? (failed.code ?? null) : 0, signal: failed?.signal ?? null, stdout, stderr });
    });
  });
}

let busy: Server;
let busyPort: number;
beforeAll(async () => {
  if (!existsSync(join(ROOT, "proxy/dist/cli/index.js"))) throw new Error("build first: npm run build");
  busy = createServer();
  await new Promise<void>((listening) => busy.listen(0, "127.0.0.1", listening));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((closed) => busy.close(closed));
});

describe("proxyfit proxy with a listener that cannot bind", () => {
  test.each([
    ["admin", ["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:BUSY"]],
    ["clients", ["--listen", "127.0.0.1:BUSY", "--admin", "127.0.0.1:0"]],
  ])("a busy %s port: exit status 2, one line naming the address, nothing left running", async (role, flags) => {
    const args = flags.map((flag) => flag.replace("BUSY", String(busyPort)));
    const result = await proxyfit("proxy", "--target", TARGET, ...args);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`proxyfit proxy: cannot listen on 127.0.0.1:${busyPort} (${role}): address already in use\n`);
    expect(result.stdout).toBe("");
  });
});

test("a target whose scheme no engine speaks: exit status 2, one line naming the schemes there are", async () => {
  const result = await proxyfit("proxy", "--target", "oracle://scott@127.0.0.1:1521/orcl", "--listen", "127.0.0.1:0", "--admin", "off");
  expect(result.code).toBe(2);
  expect(result.stderr).toBe(
    'proxyfit proxy: target (--target): unknown scheme "oracle://"; expected postgres://, postgresql://, mysql://, mariadb://\nRun "proxyfit proxy --help" for the settings.\n',
  );
  expect(result.stdout).toBe("");
});

test("at SIGINT the summary names refused connections and statements not inspected", async () => {
  const child = spawn(process.execPath, [BIN, "proxy", "--target", TARGET, "--listen", "127.0.0.1:0", "--admin", "off", "--max-connections-percent", "2"]);
  let stderr = "";
  const port = await new Promise<number>((listening, failed) => {
    child.stderr.on("data", (data: Buffer) => {
      stderr += data.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match) listening(Number(match[1]));
    });
    child.once("exit", () => failed(new Error(`the proxy exited: ${stderr}`)));
  });
  const exited = new Promise<number | null>((done) => child.once("exit", done));
  const config = { host: "127.0.0.1", port, user: "postgres", database: "postgres" };
  const refused = new pg.Client({ ...config, options: "-c statement_timeout=5s" });
  await expect(refused.connect()).rejects.toThrow("RDS Proxy currently doesn’t support command-line options");
  const client = new pg.Client(config);
  await client.connect();
  await client.query("do $$ begin perform 1; end $$");
  await client.end();
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  expect(stderr).toContain("proxyfit proxy: 1 connection refused (startup options); 1 statement not inspected (do block 1): see the trial report\n");
});
