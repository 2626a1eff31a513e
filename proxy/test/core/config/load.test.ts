import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseArguments } from "../../../src/cli/index.js";
import { ConfigError, parseUsersFile } from "../../../src/core/config/index.js";
import { postgresEngine } from "../../../src/engines/postgres/engine.js";
import { loadSettings } from "../../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "proxyfit-config-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const TARGET = "postgres://app:pw@db.internal:5433/appdb?sslmode=require";

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("loadSettings", () => {
  test("defaults are RDS Proxy's", () => {
    const s = loadSettings({ flags: { target: TARGET } });
    expect(s.listen).toEqual({ host: "127.0.0.1", port: 6432 });
    expect(s.admin).toEqual({ host: "127.0.0.1", port: 9187 });
    expect(s.target).toEqual({ engine: postgresEngine, host: "db.internal", port: 5433, user: "app", password: "pw", database: "appdb", sslmode: "require" });
    expect(s.maxConnectionsPercent).toBe(100);
    expect(s.maxIdleConnectionsPercent).toBe(50);
    expect(s.connectionBorrowTimeoutMs).toBe(120_000);
    expect(s.idleClientTimeoutMs).toBe(1_800_000);
    expect(s.profile).toBe("rds-proxy");
    expect(s.clientPasswordAuthType).toBe("trust");
  });

  test("file, then environment, then flags", () => {
    const conf = file("proxy.conf", `[proxyfit]\n; comment\nmax_connections_percent = 80\nconnection_borrow_timeout = 30\ninit_query = "SET TIME ZONE 'UTC'"\n`);
    const s = loadSettings({
      file: conf,
      env: { PROXYFIT_MAX_CONNECTIONS_PERCENT: "70", PROXYFIT_TARGET: TARGET, UNRELATED: "x" },
      flags: { "max-connections-percent": "60" },
    });
    expect(s.maxConnectionsPercent).toBe(60);
    expect(s.maxIdleConnectionsPercent).toBe(30);
    expect(s.connectionBorrowTimeoutMs).toBe(30_000);
    expect(s.initQuery).toBe("SET TIME ZONE 'UTC'");
  });

  test("JSON settings files", () => {
    const conf = file("proxy.json", JSON.stringify({ target: TARGET, secret_arns: ["arn:a", "arn:b"], require_tls: false }));
    expect(loadSettings({ file: conf }).secretArns).toEqual(["arn:a", "arn:b"]);
  });

  test("every problem is reported, naming the setting and where its value came from", () => {
    const conf = file("bad.conf", "max_connections_percent = 101\nno_such_setting = 1\njust words\n");
    expect(
      problems(() =>
        loadSettings({
          file: conf,
          env: { PROXYFIT_PROFILE: "rds-proxy-2099" },
          flags: { target: "oracle://x", listen: "6432", "max-idle-connections-percent": "abc", "require-tls": "true" },
        }),
      ),
    ).toEqual([
      `${conf}:2: unknown setting "no_such_setting"`,
      `${conf}:3: expected "setting = value"`,
      `listen (--listen): expected HOST:PORT, got "6432"`,
      `target (--target): unknown scheme "oracle://"; expected postgres://, postgresql://, mysql://, mariadb://`,
      `max_connections_percent (${conf}:1): must be between 1 and 100, got 101`,
      `max_idle_connections_percent (--max-idle-connections-percent): must be a whole number, got "abc"`,
      `profile (PROXYFIT_PROFILE): must be one of rds-proxy, rds-proxy-pre-2023, got "rds-proxy-2099"`,
      "require_tls (--require-tls): needs tls_cert and tls_key",
    ]);
  });

  test("a missing target and auth without users are explained", () => {
    expect(problems(() => loadSettings({ flags: { client_password_auth_type: "POSTGRES_SCRAM_SHA_256" } }))).toEqual([
      "target: required, e.g. --target postgres://postgres@127.0.0.1:5432/postgres",
      "client_password_auth_type (--client_password_auth_type): POSTGRES_SCRAM_SHA_256 needs users: set users_file or secret_arns",
    ]);
  });
});

describe("users files", () => {
  test("userlist.txt lines, JSON secrets and their errors", () => {
    expect(parseUsersFile("u.txt", '"a" "pw"\n"b""q" "md5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"\n').map((u) => u.username)).toEqual(["a", 'b"q']);
    expect(parseUsersFile("u.json", '[{"username":"a","password":"pw"}]')).toEqual([{ username: "a", password: "pw" }]);
    expect(problems(() => parseUsersFile("u.txt", '"a" "pw"\nbroken\n'))).toEqual(['users_file u.txt:2: expected "user" "secret"']);
    expect(problems(() => parseUsersFile("u.json", '[{"username":"a"}]'))).toEqual([
      'users_file u.json: entry 1: "password" is missing or not a string',
    ]);
  });
});

describe("command line", () => {
  test("--flag value, --flag=value, bare booleans and --config", () => {
    expect(parseArguments(["--target", TARGET, "--listen=0.0.0.0:7000", "--require-tls", "--config", "p.conf"])).toEqual({
      file: "p.conf",
      flags: { target: TARGET, listen: "0.0.0.0:7000", require_tls: "true" },
      help: false,
    });
    expect(() => parseArguments(["--target"])).toThrow(/needs a value/);
  });
});
