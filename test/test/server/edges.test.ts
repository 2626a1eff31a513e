import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { PROBLEM_TYPE_PREFIX } from "@proxyfit/assessor/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "./raw-request.js";
import { TOKEN, type TestServer, startTestServer } from "./api-client.js";

/** Requests a fuzzer or a careless client sends: each gets a 4xx problem document, never a 500. */
let api: TestServer;

beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api?.stop();
});

async function problem(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}

/** A request as `curl -X POST URL` writes it: no body, so neither Content-Length nor Transfer-Encoding. */
async function bodilessPost(path: string, headers: string[]): Promise<{ status: number; body: string }> {
  const url = new URL(api.server.url);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, "connect");
  socket.end([`POST ${path} HTTP/1.1`, `Host: ${url.host}`, `Authorization: Bearer ${TOKEN}`, "Connection: close", ...headers, "", ""].join("\r\n"));
  let text = "";
  for await (const chunk of socket) text += chunk.toString();
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

describe("an upload with no body", () => {
  it("gets the same 422 with or without a Content-Type, and nothing is stored", async () => {
    const before = ((await (await api.call("/v1/assessments?limit=100")).json()) as { items: unknown[] }).items.length;
    const bare = await bodilessPost("/v1/assessments", []);
    const typed = await bodilessPost("/v1/assessments", ["Content-Type: text/plain"]);
    expect(bare.status).toBe(422);
    expect(typed.status).toBe(422);
    expect(JSON.parse(bare.body)).toEqual(JSON.parse(typed.body));
    expect(JSON.parse(bare.body).detail).toMatch(/upload\.log: the file is empty/);
    const after = ((await (await api.call("/v1/assessments?limit=100")).json()) as { items: unknown[] }).items.length;
    expect(after).toBe(before);
  });
});

describe("malformed ids and cursors", () => {
  it.each(["/%00", "/%", "/%ff%fe", "/%00/report.html", "/%/recommendation.json", "/x%00y"])(
    "GET /v1/assessments%s is a 4xx problem",
    async (path) => {
      const response = await api.call(`/v1/assessments${path}`);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect((await problem(response)).type).toMatch(/^urn:proxyfit:problem:(not-found|bad-request)$/);
    },
  );

  it("DELETE of a malformed id is 404", async () => {
    expect((await api.call("/v1/assessments/%00", { method: "DELETE" })).status).toBe(404);
  });

  it.each([["5", "x"], ["5", "00000000-0000-0000-0000-000000000000"], ["2026-12-03T17:00:00.000Z", "a\u0000b"], [1, 2], "x"])(
    "a cursor of %j is a 400 problem",
    async (...value) => {
      const cursor = Buffer.from(JSON.stringify(value.length === 1 ? value[0] : value)).toString("base64url");
      const response = await api.call(`/v1/assessments?cursor=${cursor}`);
      expect(response.status).toBe(400);
      expect(await problem(response)).toMatchObject({ type: `${PROBLEM_TYPE_PREFIX}bad-option`, field: "cursor" });
    },
  );
});

describe("multipart part headers", () => {
  it("answers a 100 kB part header with a 400 problem", async () => {
    const boundary = "proxyfit-boundary";
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="log"; filename="a.log"\r\nX-Padding: ${"p".repeat(100 * 1024)}\r\n\r\nSELECT 1\r\n--${boundary}--\r\n`,
    );
    const response = await rawRequest(
      `${api.server.url}/v1/assessments`,
      {
        headers: {
          authorization: `Bearer ${TOKEN}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": String(body.byteLength),
        },
      },
      async (write) => {
        await write(body);
      },
    );
    expect(response).not.toBe("connection-closed");
    if (response === "connection-closed") return;
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ type: `${PROBLEM_TYPE_PREFIX}bad-option` });
  });
});

describe("401", () => {
  it("does not echo the query string (a token pasted there included)", async () => {
    const response = await api.call(`/v1/assessments?token=${TOKEN}&access_token=${TOKEN}`, {
      headers: { authorization: "Bearer wrong" },
    });
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("?");
    expect(JSON.parse(text)).toMatchObject({ instance: "/v1/assessments" });
  });
});

describe("spool files left by a crash", () => {
  it("removes the spooled uploads of a server that is gone at the next start, and leaves a running one's", async () => {
    const gone = spawn(process.execPath, ["-e", ""]);
    await once(gone, "exit");
    const alive = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    const crashed = join(tmpdir(), `proxyfit-upload-${gone.pid}-crashed`);
    const running = join(tmpdir(), `proxyfit-upload-${alive.pid}-running`);
    try {
      for (const dir of [crashed, running]) {
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, "1.log"), "2026-11-24 23:00:00.000 UTC [1] LOG:  statement: SELECT 'customer data'\n");
      }
      const next = await startTestServer();
      await next.stop();
      expect(existsSync(crashed)).toBe(false);
      expect(existsSync(join(running, "1.log"))).toBe(true);
    } finally {
      alive.kill();
      await rm(crashed, { recursive: true, force: true });
      await rm(running, { recursive: true, force: true });
    }
  });
});
