/**
 * Client authentication against configured users (SCRAM-SHA-256, md5, trust), TLS and require_tls, with
 * node-postgres as the client and the shared PostgreSQL behind the proxy.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { md5StoredHash } from "../../../../src/engines/postgres/auth/md5.js";
import { startTestProxy } from "../support/harness.js";

const dir = mkdtempSync(join(tmpdir(), "proxyfit-auth-"));
const usersFile = join(dir, "userlist.txt");
const certFile = join(dir, "server.crt");
const keyFile = join(dir, "server.key");

beforeAll(() => {
  // PgBouncer's userlist.txt: a plaintext password, a comment, and an md5-hashed secret.
  writeFileSync(usersFile, `"postgres" "pencil"\n; comment\n"hashed" "${md5StoredHash("hashed", "h4sh")}"\n`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=localhost"], {
    stdio: "ignore",
  });
});

async function login(port: number, config: pg.ClientConfig): Promise<string> {
  const client = new pg.Client({ host: "127.0.0.1", port, database: "postgres", ...config });
  client.on("error", () => {});
  try {
    await client.connect();
    const r = await client.query("select current_user as u");
    return `ok:${r.rows[0].u}`;
  } catch (error) {
    return `error:${(error as pg.DatabaseError).code ?? ""}:${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

describe("SCRAM-SHA-256 (default with users)", () => {
  test("right password in, wrong password and unknown user out with PostgreSQL's message", async () => {
    const t = await startTestProxy({ users_file: usersFile });
    try {
      expect(await login(t.port, { user: "postgres", password: "pencil" })).toBe("ok:postgres");
      expect(await login(t.port, { user: "postgres", password: "nope" })).toBe(
        'error:28P01:password authentication failed for user "postgres"',
      );
      expect(await login(t.port, { user: "nobody", password: "pencil" })).toBe('error:28P01:password authentication failed for user "nobody"');
      expect(t.proxy.metrics.counters.ClientConnectionsSetupFailedAuth).toBe(2);
      expect(t.proxy.metrics.counters.ClientConnectionsSetupSucceeded).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe("md5", () => {
  test("accepts plaintext and md5-hashed secrets, refuses wrong passwords", async () => {
    const t = await startTestProxy({ users_file: usersFile, client_password_auth_type: "POSTGRES_MD5" });
    try {
      expect(await login(t.port, { user: "postgres", password: "pencil" })).toBe("ok:postgres");
      expect(await login(t.port, { user: "postgres", password: "wrong" })).toMatch(/^error:28P01:/);
    } finally {
      await t.close();
    }
  });
});

describe("TLS", () => {
  test("require_tls refuses plain clients and serves TLS clients", async () => {
    const t = await startTestProxy({ require_tls: "true", tls_cert: certFile, tls_key: keyFile });
    try {
      expect(await login(t.port, { user: "postgres", ssl: false })).toBe("error:28000:This RDS Proxy requires TLS connections");
      expect(await login(t.port, { user: "postgres", ssl: { rejectUnauthorized: false } })).toBe("ok:postgres");
      const [client] = t.proxy.clients();
      expect(client).toBeUndefined();
      expect(t.proxy.metrics.counters.ClientConnectionsTLS).toBe(1);
    } finally {
      await t.close();
    }
  });

  test("without a certificate the proxy answers SSLRequest with N, and sslmode=require clients give up", async () => {
    const t = await startTestProxy();
    try {
      expect(await login(t.port, { user: "postgres", ssl: { rejectUnauthorized: false } })).toMatch(/^error:.*does not support SSL/);
      expect(await login(t.port, { user: "postgres" })).toBe("ok:postgres");
    } finally {
      await t.close();
    }
  });

  test("the certificate served is the configured one", async () => {
    const t = await startTestProxy({ tls_cert: certFile, tls_key: keyFile });
    try {
      const client = new pg.Client({
        host: "127.0.0.1",
        port: t.port,
        user: "postgres",
        database: "postgres",
        ssl: { ca: readFileSync(certFile), servername: "localhost" },
      });
      await client.connect();
      expect((await client.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await t.close();
    }
  });
});
