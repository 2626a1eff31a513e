import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, truncate as truncateFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { type AssessmentStatusDocument, PROBLEM_TYPE_PREFIX, SAMPLE_REMOVED } from "@proxyfit/assessor/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliReport, comparable, halfUpload, type TestServer, TOKEN, startTestServer, waitUntilDone } from "./api-client.js";
import { rawRequest } from "./raw-request.js";
import { produceRealLogs, type RealLog, type RealLogs } from "./real-logs.js";

/** Up to this size uploads are answered when done (201): the stderr logs (3-7 KB) are below, the big jsonlog above. */
const SYNC_LIMIT = 12 * 1024;
const MAX_UPLOAD = 256 * 1024;

/** Deployment inputs for the RDS Proxy in front of a PostgreSQL instance (docs/deploy.md). */
const DEPLOY_INPUTS = {
  region: "us-east-1",
  recommendedProxy: {
    proxyName: "orders-proxy",
    vpcId: "vpc-0a1b2c3d4e5f60718",
    subnetIds: ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"],
    applicationSecurityGroupIds: ["sg-0123456789abcdef0"],
    database: { engine: "postgres", instanceIdentifier: "orders-db", securityGroupId: "sg-0fedcba9876543210" },
    auth: { scheme: "SECRETS", secretArns: ["arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/app-AbCdEf"] },
    ignoreVerdict: true,
  },
};

let logs: RealLogs;
let api: TestServer;

function log(workload: string, kind: RealLog["kind"]): RealLog {
  const found = logs.logs.find((l) => l.workload === workload && l.kind === kind);
  if (!found) throw new Error(`no ${kind} log of ${workload}`);
  return found;
}

async function post(path: string, body: NonNullable<RequestInit["body"]>, headers: Record<string, string> = {}): Promise<Response> {
  return api.call(path, { method: "POST", body, headers: { "content-type": "text/plain", ...headers } });
}

async function problem(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  logs = await produceRealLogs(["session-sets", "temp-tables", "advisory-locks"]);
  api = await startTestServer({
    syncLimitBytes: SYNC_LIMIT,
    maxUploadBytes: MAX_UPLOAD,
    // As `proxyfit serve` wires it.
    terraformModules: () => import("@proxyfit/cdktf/terraform").then((module) => module.writeTerraformModules),
  });
});

afterAll(async () => {
  await api?.stop();
  await logs?.remove();
});

describe("the assessor API", () => {
  it("answers health and readiness without a token", async () => {
    const health = await api.call("/healthz", { headers: { authorization: "" } });
    expect(health.status).toBe(200);
    const ready = await api.call("/readyz", { headers: { authorization: "" } });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", storage: expect.stringContaining("PGlite") });
  });

  it("assesses a small raw upload at once: 201, Location, summary, and the report is the CLI's", async () => {
    const file = log("session-sets", "stderr");
    const response = await post(`/v1/assessments?name=${file.name}`, await readFile(file.path));
    expect(response.status).toBe(201);
    const created = (await response.json()) as AssessmentStatusDocument;
    expect(response.headers.get("location")).toBe(`/v1/assessments/${created.id}`);
    expect(created).toMatchObject({
      status: "done",
      engine: "postgresql",
      files: [{ name: file.name, kind: "log" }],
      links: { report: `/v1/assessments/${created.id}`, html: `/v1/assessments/${created.id}/report.html` },
    });
    const expected = await cliReport([file.path]);
    expect(created.summary).toEqual(expected.summary);

    const report = await api.call(created.links.report!);
    expect(report.status).toBe(200);
    expect(report.headers.get("content-type")).toMatch(/^application\/json/);
    expect(comparable(await report.json())).toEqual(comparable(expected));

    const html = await api.call(created.links.html!);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await html.text()).toContain("RDS Proxy fit report");
  });

  it("serves the recommendation, or says the report has none", async () => {
    const file = log("temp-tables", "stderr");
    const withTarget = await post(
      `/v1/assessments?name=${file.name}&instance-class=db.r6g.large`,
      await readFile(file.path),
    );
    expect(withTarget.status).toBe(201);
    const { id } = (await withTarget.json()) as { id: string };
    const expected = (await cliReport([file.path], ["--instance-class", "db.r6g.large"])) as { recommendation?: unknown };
    const response = await api.call(`/v1/assessments/${id}/recommendation.json`);
    if (expected.recommendation === undefined) {
      expect(response.status).toBe(404);
      expect((await problem(response)).type).toBe(`${PROBLEM_TYPE_PREFIX}no-recommendation`);
    } else {
      expect(response.status).toBe(200);
      expect(comparable(await response.json())).toEqual(comparable(expected.recommendation));
    }
  });

  it("writes the recommendation as plain Terraform modules for the deployment inputs it is sent, as a tar.gz", async () => {
    const file = log("temp-tables", "stderr");
    const created = await post(`/v1/assessments?name=${file.name}&instance-class=db.r6g.large`, await readFile(file.path));
    const { id } = (await created.json()) as { id: string };
    const recommendation = (await (await api.call(`/v1/assessments/${id}/recommendation.json`)).json()) as {
      connection_pool_config: { max_connections_percent: number };
    };
    const terraform = (body: string, contentType = "application/json") =>
      api.call(`/v1/assessments/${id}/terraform`, { method: "POST", body, headers: { "content-type": contentType } });

    const response = await terraform(JSON.stringify(DEPLOY_INPUTS));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/gzip");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="proxyfit-terraform-${id}.tar.gz"`);
    const dir = await mkdtemp(join(tmpdir(), "proxyfit-api-terraform-"));
    try {
      await writeFile(join(dir, "modules.tar.gz"), Buffer.from(await response.arrayBuffer()));
      const listing = await promisify(execFile)("tar", ["xzvf", "modules.tar.gz"], { cwd: dir });
      expect(listing.stdout.trim().split("\n").sort()).toEqual(
        ["rds-proxy/", ...["main.tf", "outputs.tf", "variables.tf", "versions.tf"].map((f) => `rds-proxy/${f}`)].sort(),
      );
      const variables = await readFile(join(dir, "rds-proxy", "variables.tf"), "utf8");
      // The recommendation's value as the default, saying where it came from and quoting the assessor's reasons.
      const percent = recommendation.connection_pool_config.max_connections_percent;
      expect(variables).toMatch(
        new RegExp(
          `# From the recommendation \\(assessment ${id} recommendation, connection_pool_config\\.max_connections_percent\\)\\.\\n` +
            `# Assessment: max_connections_percent ${percent} .*\\n` +
            `variable "max_connections_percent" \\{\\n[^}]*default += ${percent}\\n\\}`,
        ),
      );
      expect(variables).toContain('# From the deployment inputs (request body, recommendedProxy.vpcId).\nvariable "vpc_id" {');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const wrong = { ...DEPLOY_INPUTS, recommendedProxy: { ...DEPLOY_INPUTS.recommendedProxy, vpcId: "vpc-1", subnetIds: ["subnet-0aa11bb22cc33dd44"] } };
    const refused = await terraform(JSON.stringify(wrong));
    expect(refused.status).toBe(422);
    const refusal = await problem(refused);
    expect(refusal).toMatchObject({ type: `${PROBLEM_TYPE_PREFIX}bad-deploy-inputs`, instance: `/v1/assessments/${id}/terraform` });
    expect((refusal.problems as Array<{ field: string }>).map((p) => p.field)).toEqual(["recommendedProxy.vpcId", "recommendedProxy.subnetIds"]);
    expect(refusal.detail).toMatch(/^recommendedProxy\.vpcId: .+; recommendedProxy\.subnetIds: RDS Proxy needs at least two subnets/);

    expect((await problem(await terraform("{ not json"))).type).toBe(`${PROBLEM_TYPE_PREFIX}bad-request`);
    expect((await problem(await terraform(JSON.stringify(DEPLOY_INPUTS), "text/plain"))).type).toBe(`${PROBLEM_TYPE_PREFIX}unsupported-media-type`);
    const unknown = await api.call("/v1/assessments/nope/terraform", { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(unknown.status).toBe(404);
  });

  it("takes gzip as Content-Encoding or as application/gzip", async () => {
    const file = log("advisory-locks", "stderr");
    const gzipped = gzipSync(await readFile(file.path));
    const gzPath = join(logs.dir, `${file.name}.gz`);
    await writeFile(gzPath, gzipped);
    const expected = comparable(await cliReport([gzPath]));
    const variants: Array<Record<string, string>> = [
      { "content-type": "text/plain", "content-encoding": "gzip" },
      { "content-type": "application/gzip" },
    ];
    for (const headers of variants) {
      const response = await post(`/v1/assessments?name=${file.name}.gz`, gzipped, headers);
      expect(response.status).toBe(201);
      const report = await api.call(response.headers.get("location")!);
      const body = (await report.json()) as { inputs: Array<{ compressed: boolean }> };
      expect(body.inputs[0]!.compressed).toBe(true);
      expect(comparable(body)).toEqual(expected);
    }
  });

  it("takes several logs, a driver config and options as multipart/form-data", async () => {
    const first = log("temp-tables", "stderr");
    const second = log("session-sets", "stderr");
    const configPath = join(logs.dir, "application.properties");
    // A driver config is the user's own file, not a log: written here as a Spring Boot app would have it.
    await writeFile(
      configPath,
      "spring.datasource.url=jdbc:postgresql://db.internal:5432/app?prepareThreshold=5\nspring.datasource.hikari.maximum-pool-size=20\n",
    );
    const form = new FormData();
    form.append("log", new Blob([await readFile(first.path)]), first.name);
    form.append("log", new Blob([await readFile(second.path)]), second.name);
    form.append("config", new Blob([await readFile(configPath)]), "application.properties");
    form.append("profile", "rds-proxy-pre-2023");
    form.append("instance-class", "db.r6g.large");
    const response = await api.call("/v1/assessments", { method: "POST", body: form });
    expect(response.status).toBe(201);
    const created = (await response.json()) as AssessmentStatusDocument;
    expect(created.files).toEqual([
      { name: first.name, kind: "log", bytes: (await readFile(first.path)).byteLength },
      { name: second.name, kind: "log", bytes: (await readFile(second.path)).byteLength },
      { name: "application.properties", kind: "config", bytes: (await readFile(configPath)).byteLength },
    ]);
    expect(created.options).toEqual({ profile: "rds-proxy-pre-2023", "instance-class": "db.r6g.large" });
    const expected = await cliReport(
      [first.path, second.path],
      ["--config", configPath, "--profile", "rds-proxy-pre-2023", "--instance-class", "db.r6g.large"],
    );
    const report = await api.call(created.links.report!);
    expect(comparable(await report.json())).toEqual(comparable(expected));
  });

  it("answers a large upload with 202 and shows it running until done", async () => {
    const file = log("advisory-locks", "jsonlog");
    const bytes = await readFile(file.path);
    expect(bytes.byteLength).toBeGreaterThan(SYNC_LIMIT);
    const response = await post(`/v1/assessments?name=${file.name}`, bytes);
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as AssessmentStatusDocument;
    expect(accepted).toMatchObject({ status: "running", progress: { totalBytes: bytes.byteLength } });
    expect(response.headers.get("location")).toBe(`/v1/assessments/${accepted.id}`);
    const done = await waitUntilDone(api, accepted.id);
    expect(done.status).toBe(200);
    expect(comparable(await done.json())).toEqual(comparable(await cliReport([file.path])));
  });

  it("streams an upload of unknown length through the parser, with progress visible while it arrives", async () => {
    const file = log("temp-tables", "jsonlog");
    const bytes = await readFile(file.path);
    // The answer comes once the whole body is in; meanwhile the list shows the upload running, with its progress.
    const { answer, half, sendRest } = halfUpload(api, file.name, bytes);
    type Status = { id: string; status: string; files: Array<{ name: string }>; progress?: { bytesRead: number } };
    const running = async () => {
      const list = (await (await api.call("/v1/assessments?limit=5")).json()) as { items: Status[] };
      return list.items.find((item) => item.files[0]?.name === file.name && item.status === "running");
    };
    await expect.poll(async () => (await running())?.progress?.bytesRead).toBe(half);
    const { id } = (await running())!;
    const poll = await api.call(`/v1/assessments/${id}`);
    expect(poll.status).toBe(202);
    expect(await poll.json()).toMatchObject({ status: "running", progress: { bytesRead: half } });
    const early = await api.call(`/v1/assessments/${id}/report.html`);
    expect(early.status).toBe(409);
    expect((await problem(early)).type).toBe(`${PROBLEM_TYPE_PREFIX}not-done`);
    expect((await api.call(`/v1/assessments/${id}/recommendation.json`)).status).toBe(409);

    sendRest();
    const response = await answer;
    expect(response.status).toBe(202);
    expect(response.headers.get("location")).toBe(`/v1/assessments/${id}`);
    const done = await waitUntilDone(api, id);
    expect(done.status).toBe(200);
    expect(comparable(await done.json())).toEqual(comparable(await cliReport([file.path])));
  });

  it("answers 202 for any size when asked with Prefer: respond-async", async () => {
    const file = log("advisory-locks", "stderr");
    const response = await post(`/v1/assessments?name=${file.name}`, await readFile(file.path), {
      prefer: "respond-async",
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect((await waitUntilDone(api, id)).status).toBe(200);
  });

  it("drops raw line samples from stored reports unless keep-samples=true", async () => {
    const file = log("session-sets", "stderr");
    // A log cut mid-line, as a rotated or copied-while-written file is: its last line is not understood.
    const cutPath = join(logs.dir, "cut.log");
    const bytes = await readFile(file.path);
    await writeFile(cutPath, bytes);
    const lastLineStart = bytes.lastIndexOf(10, bytes.byteLength - 2) + 1;
    await truncateFile(cutPath, lastLineStart + 12);
    const expected = (await cliReport([cutPath])) as { inputs: Array<{ problems: Array<{ text: string }> }> };
    const samples = expected.inputs[0]!.problems.map((p) => p.text).filter((text) => text !== "");
    expect(samples.length).toBeGreaterThan(0);

    const cut = await readFile(cutPath);
    const redacted = await post("/v1/assessments?name=cut.log", cut);
    const redactedReport = (await (await api.call(redacted.headers.get("location")!)).json()) as typeof expected;
    expect(redactedReport.inputs[0]!.problems.map((p) => p.text).filter((t) => t !== "")).toEqual(
      samples.map(() => SAMPLE_REMOVED),
    );

    const kept = await post("/v1/assessments?name=cut.log&keep-samples=true", cut);
    expect((await kept.json()) as object).toMatchObject({ options: { "keep-samples": "true" } });
    const keptReport = await (await api.call(kept.headers.get("location")!)).json();
    expect(comparable(keptReport)).toEqual(comparable(expected));
  });

  it("lists assessments newest first, in pages", async () => {
    const all = (await (await api.call("/v1/assessments?limit=100")).json()) as { items: Array<{ id: string; createdAt: string }> };
    expect(all.items.length).toBeGreaterThanOrEqual(8);
    const created = all.items.map((item) => item.createdAt);
    expect([...created].sort().reverse()).toEqual(created);

    const paged: string[] = [];
    let next: string | undefined = "/v1/assessments?limit=3";
    while (next) {
      const page = (await (await api.call(next)).json()) as { items: Array<{ id: string }>; next?: string };
      expect(page.items.length).toBeLessThanOrEqual(3);
      paged.push(...page.items.map((item) => item.id));
      next = page.next;
    }
    expect(paged).toEqual(all.items.map((item) => item.id));

    for (const query of ["limit=0", "limit=101", "limit=x", "cursor=bm9wZQ"]) {
      const bad = await api.call(`/v1/assessments?${query}`);
      expect(bad.status).toBe(400);
      expect(await problem(bad)).toMatchObject({ type: `${PROBLEM_TYPE_PREFIX}bad-option` });
    }
  });

  it("deletes an assessment", async () => {
    const file = log("temp-tables", "stderr");
    const created = await post(`/v1/assessments?name=${file.name}`, await readFile(file.path));
    const location = created.headers.get("location")!;
    expect((await api.call(location, { method: "DELETE" })).status).toBe(204);
    expect((await api.call(location)).status).toBe(404);
    expect((await api.call(`${location}/report.html`)).status).toBe(404);
    expect((await api.call(location, { method: "DELETE" })).status).toBe(404);
  });
});

describe("bad input", () => {
  it("rejects binary garbage, naming the file", async () => {
    const response = await post("/v1/assessments?name=core.dump", randomBytes(8192), {
      "content-type": "application/octet-stream",
    });
    expect(response.status).toBe(422);
    expect(await problem(response)).toMatchObject({
      type: `${PROBLEM_TYPE_PREFIX}bad-input`,
      status: 422,
      file: "core.dump",
      detail: expect.stringContaining("core.dump"),
    });
  });

  it("rejects text that is no known log format, and an empty body", async () => {
    const text = await readFile(new URL("../../package.json", import.meta.url));
    const unknown = await post("/v1/assessments?name=package.json", text);
    expect(unknown.status).toBe(422);
    expect(await problem(unknown)).toMatchObject({ file: "package.json", detail: expect.stringMatching(/format/i) });

    const empty = await post("/v1/assessments?name=empty.log", "");
    expect(empty.status).toBe(422);
    expect((await problem(empty)).detail).toMatch(/empty.log: .*empty/);
  });

  it("rejects bad options, naming the field", async () => {
    const body = await readFile(log("session-sets", "stderr").path);
    const cases: Array<[string, string]> = [
      ["profile=newest", "profile"],
      ["max-connections=lots", "max-connections"],
      ["log-format=pgbadger", "log-format"],
      ["frobnicate=1", "frobnicate"],
      ["engine=oracle&engine=mysql", "engine"],
    ];
    for (const [query, field] of cases) {
      const response = await post(`/v1/assessments?${query}`, body);
      expect(response.status, query).toBe(400);
      expect(await problem(response)).toMatchObject({ type: `${PROBLEM_TYPE_PREFIX}bad-option`, field });
    }
    const form = new FormData();
    form.append("logs", new Blob([body]), "x.log");
    const badPart = await api.call("/v1/assessments", { method: "POST", body: form });
    expect(badPart.status).toBe(400);
    expect(await problem(badPart)).toMatchObject({ field: "logs", detail: expect.stringContaining('"log"') });
    const noLog = new FormData();
    noLog.append("profile", "rds-proxy");
    const none = await api.call("/v1/assessments", { method: "POST", body: noLog });
    expect(none.status).toBe(400);
    expect((await problem(none)).detail).toMatch(/no log file/);
  });

  it("rejects what is not a log upload", async () => {
    const json = await post("/v1/assessments", "{}", { "content-type": "application/json" });
    expect(json.status).toBe(415);
    const brotli = await post("/v1/assessments", "x", { "content-encoding": "br" });
    expect(brotli.status).toBe(415);
  });

  it("refuses an upload over the limit before reading it, and one that grows past it", async () => {
    const big = Buffer.alloc(MAX_UPLOAD + 1, "a");
    const declared = await rawRequest(
      `${api.server.url}/v1/assessments?name=big.log`,
      { headers: { authorization: `Bearer ${TOKEN}`, "content-length": String(big.byteLength) } },
      async (write) => {
        await write(big.subarray(0, 1024));
      },
    );
    expect(declared).not.toBe("connection-closed");
    if (declared === "connection-closed") return;
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ type: `${PROBLEM_TYPE_PREFIX}too-large`, limitBytes: MAX_UPLOAD });

    // Without Content-Length the size is unknown: accepted (202), then failed once past the limit.
    const real = await readFile(log("session-sets", "stderr").path);
    const chunks = Math.ceil((MAX_UPLOAD + 1) / real.byteLength);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(real);
        if (--pullsLeft === 0) controller.close();
      },
    });
    let pullsLeft = chunks + 1;
    const growing = await api.call("/v1/assessments?name=growing.log", {
      method: "POST",
      body: stream,
      duplex: "half",
      headers: { "content-type": "text/plain" },
    });
    expect(growing.status).toBe(202);
    const { id } = (await growing.json()) as { id: string };
    const failed = await waitUntilDone(api, id);
    expect(failed.status).toBe(413);
    expect(await problem(failed)).toMatchObject({ assessment: { id, status: "failed" }, file: "growing.log" });
  });

  it("stores nothing for an upload cut off mid-way, and fails a running one cleanly", async () => {
    const bytes = await readFile(log("advisory-locks", "stderr").path);
    const before = (await (await api.call("/v1/assessments?limit=100")).json()) as { items: unknown[] };
    const cut = await rawRequest(
      `${api.server.url}/v1/assessments?name=cut.log`,
      { headers: { authorization: `Bearer ${TOKEN}`, "content-length": String(bytes.byteLength) } },
      async (write, abort) => {
        await write(bytes.subarray(0, 1000));
        await new Promise((resolve) => setTimeout(resolve, 50));
        abort();
      },
    );
    expect(cut).toBe("connection-closed");
    await expect.poll(() => api.logLines.some((line) => line.problem === "incompleteUpload")).toBe(true);
    const after = (await (await api.call("/v1/assessments?limit=100")).json()) as { items: unknown[] };
    expect(after.items).toHaveLength(before.items.length);

    // The running one is gzip: the cut shows as a truncated stream inside the decoder too.
    const gzipped = gzipSync(bytes);
    let id = "";
    await rawRequest(
      `${api.server.url}/v1/assessments?name=cut-async.log`,
      {
        headers: {
          authorization: `Bearer ${TOKEN}`,
          "content-type": "application/gzip",
          "content-length": String(gzipped.byteLength),
          prefer: "respond-async",
        },
      },
      async (write, abort) => {
        await write(gzipped.subarray(0, gzipped.byteLength / 2));
        await expect
          .poll(async () => {
            const list = (await (await api.call("/v1/assessments?limit=1")).json()) as {
              items: Array<{ id: string; files: Array<{ name: string }> }>;
            };
            id = list.items[0]?.files[0]?.name === "cut-async.log" ? list.items[0].id : "";
            return id;
          })
          .not.toBe("");
        abort();
      },
    );
    const failed = await waitUntilDone(api, id);
    expect(failed.status).toBe(400);
    expect(await problem(failed)).toMatchObject({
      type: `${PROBLEM_TYPE_PREFIX}incomplete-upload`,
      detail: expect.stringMatching(/cut-async.log: the connection closed after \d+ bytes of the \d+ announced/),
    });
    expect((await api.call("/healthz")).status).toBe(200);
  });

  it("wants the bearer token on every route but health", async () => {
    for (const authorization of ["", "Bearer wrong-token", `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`]) {
      for (const [method, path] of [
        ["GET", "/v1/assessments"],
        ["POST", "/v1/assessments"],
        ["GET", "/v1/openapi.json"],
        ["GET", "/v1/assessments/some-id"],
        ["DELETE", "/v1/assessments/some-id"],
      ] as const) {
        const response = await api.call(path, { method, headers: { authorization } });
        expect(response.status, `${method} ${path} with "${authorization}"`).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect((await problem(response)).type).toBe(`${PROBLEM_TYPE_PREFIX}unauthorized`);
      }
    }
  });

  it("answers unknown assessments and routes with 404 problems", async () => {
    for (const path of ["/v1/assessments/nope", "/v1/assessments/nope/report.html", "/v1/assessments/nope/recommendation.json"]) {
      const response = await api.call(path);
      expect(response.status).toBe(404);
      expect(await problem(response)).toMatchObject({ type: `${PROBLEM_TYPE_PREFIX}not-found`, instance: path });
    }
    expect((await api.call("/v2/nothing")).status).toBe(404);
  });
});

describe("what the server says about itself", () => {
  it("describes every route and status it answered in its OpenAPI document", async () => {
    const response = await api.call("/v1/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    const undocumented = api.exchanges
      .filter((e) => e.route !== "/v2/nothing")
      .filter((e) => !doc.paths[e.route]?.[e.method]?.responses[String(e.status)])
      .map((e) => `${e.method.toUpperCase()} ${e.route} ${e.status}`);
    expect([...new Set(undocumented)]).toEqual([]);
    const seen = new Set(api.exchanges.map((e) => `${e.method} ${e.route}`));
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) expect(seen, `${method} ${path} untested`).toContain(`${method} ${path}`);
    }
  });

  it("logs every request as one JSON object, without the token", async () => {
    const requests = api.logLines.filter((line) => line.msg === "request");
    expect(requests.length).toBeGreaterThan(20);
    expect(requests[0]).toMatchObject({ method: expect.any(String), path: expect.any(String), status: expect.any(Number) });
    expect(JSON.stringify(api.logLines)).not.toContain(TOKEN);
  });
});
