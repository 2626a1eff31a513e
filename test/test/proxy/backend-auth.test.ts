/**
 * The proxy's side of authentication toward the database, against a throwaway server whose pg_hba.conf asks for
 * SCRAM-SHA-256, md5 and cleartext passwords; the users' secrets come from a users file and from Secrets Manager
 * (a local HTTP server speaking its JSON 1.1 wire format).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSettings, startProxy, type TrialProxy } from "@proxyfit/proxy";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type PostgresInstance, startPostgres } from "../../src/servers/postgres.js";

let server: PostgresInstance;
let secrets: Server;
let secretsUrl: string;
const requests: Array<{ target: string | undefined; body: string }> = [];
const dir = mkdtempSync(join(tmpdir(), "proxyfit-backend-auth-"));

beforeAll(async () => {
  server = await startPostgres();
  const admin = new pg.Client({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres" });
  await admin.connect();
  await admin.query("set password_encryption = 'scram-sha-256'");
  await admin.query("create role scram_user login password 'scram-pw'");
  await admin.query("create role clear_user login password 'clear-pw'");
  await admin.query("set password_encryption = 'md5'");
  await admin.query("create role md5_user login password 'md5-pw'");
  writeFileSync(
    join(server.dataDir, "pg_hba.conf"),
    [
      "host all postgres 127.0.0.1/32 trust",
      "host all scram_user 127.0.0.1/32 scram-sha-256",
      "host all md5_user 127.0.0.1/32 md5",
      "host all clear_user 127.0.0.1/32 password",
      "",
    ].join("\n"),
  );
  await admin.query("select pg_reload_conf()");
  await admin.end();

  secrets = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      requests.push({ target: req.headers["x-amz-target"] as string | undefined, body });
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      const known: Record<string, { username: string; password: string }> = {
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:md5-user-AbCdEf": { username: "md5_user", password: "md5-pw" },
      };
      const secret = known[SecretId];
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (!secret) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      res.end(JSON.stringify({ ARN: SecretId, Name: "md5-user", SecretString: JSON.stringify(secret), VersionId: "v1", CreatedDate: 1.7e9 }));
    });
  });
  await new Promise<void>((resolve) => secrets.listen(0, "127.0.0.1", resolve));
  const address = secrets.address();
  secretsUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  // The SDK signs requests; the local endpoint accepts any signature.
  process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
  process.env.AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
});
afterAll(async () => {
  secrets?.close();
  await server?.stop();
});

async function proxyWith(flags: Record<string, string>): Promise<TrialProxy> {
  return startProxy(
    loadSettings({
      flags: { target: `postgres://postgres@127.0.0.1:${server.port}/postgres`, listen: "127.0.0.1:0", admin: "off", ...flags },
    }),
    { log: () => {} },
  );
}

async function whoAmI(proxy: TrialProxy, user: string, password: string): Promise<string> {
  const client = new pg.Client({ host: "127.0.0.1", port: proxy.address.port, user, password, database: "postgres" });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.query("select current_user as u")).rows[0].u;
  } catch (error) {
    return `error ${(error as pg.DatabaseError).code}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

test("SCRAM, md5 and cleartext toward the database, secrets from a users file and from Secrets Manager", async () => {
  const users = join(dir, "users.json");
  writeFileSync(
    users,
    JSON.stringify([
      { username: "postgres", password: "unused" },
      { username: "scram_user", password: "scram-pw" },
      { username: "clear_user", password: "clear-pw" },
    ]),
  );
  const proxy = await proxyWith({
    users_file: users,
    secret_arns: "arn:aws:secretsmanager:us-east-1:123456789012:secret:md5-user-AbCdEf",
    secrets_manager_endpoint: secretsUrl,
  });
  try {
    expect(requests[0]?.target).toBe("secretsmanager.GetSecretValue");
    expect(await whoAmI(proxy, "scram_user", "scram-pw")).toBe("scram_user");
    expect(await whoAmI(proxy, "md5_user", "md5-pw")).toBe("md5_user");
    expect(await whoAmI(proxy, "clear_user", "clear-pw")).toBe("clear_user");
    expect(await whoAmI(proxy, "scram_user", "not-it")).toBe('error 28P01: password authentication failed for user "scram_user"');
  } finally {
    await proxy.close();
  }
});

test("a secret the database rejects: the client gets the database's own refusal at login", async () => {
  const users = join(dir, "stale.txt");
  writeFileSync(users, '"postgres" ""\n"scram_user" "stale-password"\n');
  const proxy = await proxyWith({ users_file: users, connection_borrow_timeout: "5" });
  try {
    expect(await whoAmI(proxy, "scram_user", "stale-password")).toBe('error 28P01: password authentication failed for user "scram_user"');
  } finally {
    await proxy.close();
  }
});

test("an unknown secret ARN stops the proxy from starting, naming the ARN", async () => {
  await expect(proxyWith({ secret_arns: "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope", secrets_manager_endpoint: secretsUrl })).rejects.toThrow(
    /secret_arns: cannot read arn:aws:secretsmanager:us-east-1:123456789012:secret:nope: Secrets Manager can't find the specified secret/,
  );
});
