import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROXYFIT_BIN as BIN, proxyfit as command, requireBuild } from "../../src/command/proxyfit-command.js";

/** `proxyfit proxy` as a user runs it: the built command, start-up failures. */
const TARGET = "postgres://postgres@127.0.0.1:5432/postgres";

/** Runs the command to its end; a proxy left running would be killed at the timeout and fail the test. */
const proxyfit = (...args: string[]) => command(args, { timeoutMs: 30_000 });

let busy: Server;
let busyPort: number;
beforeAll(async () => {
  requireBuild();
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

/** Starts `proxyfit proxy` on a free port; resolves with that port, its stderr so far, and its exit. */
async function startProxyCommand(...flags: string[]) {
  const child = spawn(process.execPath, [BIN, "proxy", "--target", TARGET, "--listen", "127.0.0.1:0", "--admin", "off", ...flags]);
  const output = { stderr: "" };
  const port = await new Promise<number>((listening, failed) => {
    child.stderr.on("data", (data: Buffer) => {
      output.stderr += data.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output.stderr);
      if (match) listening(Number(match[1]));
    });
    child.once("exit", () => failed(new Error(`the proxy exited: ${output.stderr}`)));
  });
  const exited = new Promise<number | null>((done) => child.once("exit", done));
  return { child, port, output, exited };
}

test("at SIGINT the summary names refused connections and statements not inspected", async () => {
  const { child, port, output, exited } = await startProxyCommand("--max-connections-percent", "2");
  const config = { host: "127.0.0.1", port, user: "postgres", database: "postgres" };
  const refused = new pg.Client({ ...config, options: "-c statement_timeout=5s" });
  await expect(refused.connect()).rejects.toThrow("RDS Proxy currently doesn’t support command-line options");
  const client = new pg.Client(config);
  await client.connect();
  await client.query("do $$ begin perform 1; end $$");
  await client.end();
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  expect(output.stderr).toContain("proxyfit proxy: 1 connection refused (startup options); 1 statement not inspected (do block 1): see the trial report\n");
});

test("a proxy stopped right after one select 1 counts the database connection it used", async () => {
  const { child, port, output, exited } = await startProxyCommand();
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  await client.connect();
  await client.query("select 1");
  await client.end();
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  expect(output.stderr).toContain("proxyfit proxy: 1 session, 0 pinned (pin ratio 0.0%), peak database connections 1\n");
});
