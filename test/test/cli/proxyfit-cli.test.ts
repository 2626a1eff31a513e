import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { proxyfit, requireBuild, ROOT } from "../../src/command/proxyfit-command.js";

/**
 * One behaviour in every command: --version, help, and exit codes (0 done, 1 a bug only, 2 usage, input or start-up),
 * each failure told on one line naming the file, field or address, never with a stack trace.
 */
const COMMANDS = ["assess", "serve", "proxy", "terraform"] as const;

let work: string;
let busy: Server;
let busyPort: number;
/** A port nothing listens on: bound once, then closed. */
let closedPort: number;

beforeAll(async () => {
  requireBuild();
  work = await mkdtemp(join(tmpdir(), "proxyfit-commands-"));
  busy = createServer();
  await new Promise<void>((listening) => busy.listen(0, "127.0.0.1", listening));
  busyPort = (busy.address() as { port: number }).port;
  const probe = createServer();
  await new Promise<void>((listening) => probe.listen(0, "127.0.0.1", listening));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((closed) => probe.close(closed));
});
afterAll(async () => {
  await new Promise((closed) => busy?.close(closed));
  if (work) await rm(work, { recursive: true, force: true });
});

/** Exit code 2 and exactly one line on stderr, matching `message`; no stack trace. */
function expectOneLineFailure(result: Awaited<ReturnType<typeof proxyfit>>, message: RegExp): void {
  expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({
    code: 2,
    signal: null,
    stderr: expect.stringMatching(message),
  });
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe("proxyfit --version and help", () => {
  test("--version prints the version, as every subcommand's --version does", async () => {
    const { version } = (await import(join(ROOT, "cli/package.json"), { with: { type: "json" } })).default as { version: string };
    const top = await proxyfit(["--version"]);
    expect(top).toMatchObject({ code: 0, stdout: `proxyfit ${version}\n`, stderr: "" });
    expect((await proxyfit(["assess", "--version"])).stdout).toBe(top.stdout);
  });

  test("help, --help and -h print the command list; help COMMAND prints what COMMAND --help prints", async () => {
    const help = await proxyfit(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/assess[\s\S]*serve[\s\S]*proxy[\s\S]*terraform/);
    expect(help.stdout).toContain('"proxyfit help <command>"');
    expect((await proxyfit(["--help"])).stdout).toBe(help.stdout);
    expect((await proxyfit(["-h"])).stdout).toBe(help.stdout);
    await Promise.all(
      COMMANDS.map(async (command) => {
        const [viaHelp, viaFlag, viaShort] = await Promise.all([
          proxyfit(["help", command]),
          proxyfit([command, "--help"]),
          proxyfit([command, "-h"]),
        ]);
        expect({ command, code: viaHelp.code }).toEqual({ command, code: 0 });
        expect(viaHelp.stdout).toMatch(new RegExp(`^usage: proxyfit ${command}`));
        expect(viaHelp.stdout).toBe(viaFlag.stdout);
        expect(viaShort.stdout).toBe(viaFlag.stdout);
      }),
    );
  });

  test("an unknown command, or help of one, is a usage error (exit 2) naming it", async () => {
    for (const args of [["bogus"], ["help", "bogus"]]) {
      const result = await proxyfit(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^proxyfit: unknown command "bogus"\n/);
      expect(result.stdout).toBe("");
    }
  });
});

describe("exit codes and one-line errors in every command", () => {
  test("assess: an output path that cannot be written is named before any log is read", async () => {
    const log = join(work, "some.log");
    await writeFile(log, "2026-11-24 23:37:56.836 UTC [29558] LOG:  database system is ready to accept connections\n");
    expectOneLineFailure(
      await proxyfit(["assess", log, "-o", "/nonexistent/dir/x.json"]),
      /^proxyfit assess: \/nonexistent\/dir\/x\.json: cannot write the output \(--output\): no such file or directory\n$/,
    );
    expectOneLineFailure(await proxyfit(["assess", log, "-o", work]), /: cannot write the output \(--output\): is a directory\n$/);
  });

  test("assess: a directory given as a log is named once", async () => {
    expectOneLineFailure(await proxyfit(["assess", work]), new RegExp(`^proxyfit assess: ${work}: is a directory, not a log file\\n$`));
  });

  test("serve: a busy port and a store database that refuses are start-up problems (exit 2)", async () => {
    const env = { ...process.env, PROXYFIT_API_TOKEN: "", DATABASE_URL: "" };
    const busyServe = await proxyfit(["serve", "--port", String(busyPort), "--data-dir", join(work, "data")], { env });
    expectOneLineFailure(busyServe, new RegExp(`^proxyfit serve: cannot listen on 127\\.0\\.0\\.1:${busyPort}: address already in use\\n$`));
    const refused = await proxyfit(["serve", "--port", "0", "--database-url", `postgres://app:secret@127.0.0.1:${closedPort}/assessments`], { env });
    expectOneLineFailure(
      refused,
      new RegExp(`^proxyfit serve: cannot open the database postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/assessments: connection refused\\n$`),
    );
  });

  test("proxy: a busy port and a target that refuses are start-up problems (exit 2)", async () => {
    const target = `postgres://postgres@127.0.0.1:${closedPort}/postgres`;
    expectOneLineFailure(
      await proxyfit(["proxy", "--target", target, "--listen", "127.0.0.1:0", "--admin", "off"]),
      new RegExp(`^proxyfit proxy: cannot connect to the target 127\\.0\\.0\\.1:${closedPort} as postgres: connection refused\\n$`),
    );
    expectOneLineFailure(
      await proxyfit(["proxy", "--target", "postgres://postgres@127.0.0.1:5432/postgres", "--listen", `127.0.0.1:${busyPort}`, "--admin", "off"]),
      new RegExp(`^proxyfit proxy: cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(clients\\): address already in use\\n$`),
    );
  });

  test("terraform: an output directory that cannot be made is named", async () => {
    const file = join(work, "a-file");
    await writeFile(file, "");
    expectOneLineFailure(
      await proxyfit(["terraform", "--deploy-config", join(ROOT, "cdktf/samples/postgres-instance.deploy.json"), "-o", join(file, "modules")]),
      /^proxyfit terraform: .*a-file\/modules\/rds-proxy: cannot write the module \(-o\): a part of the path is not a directory\n$/,
    );
  });
});
