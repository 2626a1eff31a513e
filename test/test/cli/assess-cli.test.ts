import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proxyfit as command, ROOT } from "../../src/command/proxyfit-command.js";
import { realLog } from "../../src/corpus.js";
import { startPostgres } from "../../src/servers/postgres.js";
import { runPostgresWorkload } from "../../src/workload/postgres.js";

/** `proxyfit assess` as a user runs it: the built command on a real server's log, every output format, bad input. */
async function proxyfit(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return command(args);
}

async function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  for (const name of ["recommendation", "report"]) {
    ajv.addSchema(JSON.parse(await readFile(join(ROOT, `docs/schemas/${name}.schema.json`), "utf8")));
  }
  return ajv;
}

let work: string;
let log: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, "assessor/dist/cli/index.js"))) throw new Error("build first: npm run build");
  work = await mkdtemp(join(tmpdir(), "proxyfit-cli-"));
  const server = await startPostgres({
    settings: { log_connections: "on", log_disconnections: "on", log_min_duration_statement: 0, log_line_prefix: "%m [%p] %q%u@%d " },
  });
  try {
    await runPostgresWorkload({ connectionString: server.connectionString(), seed: 5 });
    await server.shutdown();
    log = join(work, "postgresql.log");
    await writeFile(log, await server.readLogs("stderr"));
  } finally {
    await server.stop();
  }
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("proxyfit assess", () => {
  it("prints the terminal summary", async () => {
    const { code, stdout } = await proxyfit("assess", log, "--instance-class", "db.t3.medium");
    expect(code).toBe(0);
    expect(stdout).toMatch(/Sessions\s+\d+/);
    expect(stdout).toMatch(/Pin ratio\s+[\d.]+%–[\d.]+%/);
    expect(stdout).toContain("pg.advisory_lock");
    expect(stdout).toContain("Verdict:");
  });

  it("writes JSON that matches docs/schemas/report.schema.json, and the recommendation alone", async () => {
    const ajv = await schemaValidator();
    const json = await proxyfit("assess", "--format", "json", "--instance-class", "db.r6g.large", log);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    const validReport = ajv.getSchema("https://proxyfit.dev/schemas/report.schema.json")!;
    expect(validReport(report), JSON.stringify(validReport.errors)).toBe(true);
    expect(report.sessions.length).toBeGreaterThan(20);

    const rec = await proxyfit("assess", "--format", "recommendation", log);
    const validRecommendation = ajv.getSchema("https://proxyfit.dev/schemas/recommendation.schema.json")!;
    const recommendation = JSON.parse(rec.stdout);
    expect(validRecommendation(recommendation), JSON.stringify(validRecommendation.errors)).toBe(true);
    expect(recommendation.engine_family).toBe("POSTGRESQL");
  });

  it("reads gzip whatever the file is called, and writes markdown and html to a file", async () => {
    const gz = join(work, "renamed.txt");
    await writeFile(gz, gzipSync(await readFile(log)));
    const plain = JSON.parse((await proxyfit("assess", "--format", "json", log)).stdout);
    const zipped = JSON.parse((await proxyfit("assess", "--format", "json", gz)).stdout);
    expect(zipped.inputs[0].compressed).toBe(true);
    expect(zipped.summary).toEqual(plain.summary);

    const md = join(work, "report.md");
    expect((await proxyfit("assess", "--format", "md", "-o", md, log)).code).toBe(0);
    expect(await readFile(md, "utf8")).toContain("## Pin reasons");
    const html = join(work, "report.html");
    expect((await proxyfit("assess", "--format", "html", "-o", html, log)).code).toBe(0);
    expect(await readFile(html, "utf8")).toMatch(/^<!doctype html>/i);
  });

  it("refuses bad input with exit code 2 and a message naming the file or option", async () => {
    const empty = join(work, "empty.log");
    await writeFile(empty, "");
    const binary = join(work, "core.bin");
    await writeFile(binary, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 256)));
    const prose = join(work, "notes.txt");
    await writeFile(prose, "Meeting notes\nWe talked about connection pooling.\nAction items: none.\n");
    const cases: Array<[string[], RegExp]> = [
      [[empty], /empty\.log: the file is empty/],
      [["--log-format", "pg-csv", log], /postgresql\.log: read as pg-csv \(--log-format\), [\d,]+ of [\d,]+ lines are not understood; it looks like pg-stderr/],
      [["--engine", "mysql", log], /postgresql\.log: this is a PostgreSQL log \(pg-stderr\), not a MySQL\/MariaDB one \(--engine mysql\)/],
      [["--engine", "postgresql", realLog("other/go-mysql/slow007.log")], /slow007\.log: this is a MySQL\/MariaDB log \(mysql-slow\), not a PostgreSQL one/],
      [["--config", join(ROOT, "README.md"), log], /README\.md: not recognised as a driver or ORM configuration/],
      [[binary], /core\.bin: .*binary/],
      [[prose], /notes\.txt: cannot recognise the log format/],
      [[join(work, "missing.log")], /missing\.log: no such file/],
      [["--profile", "rds-proxy-2030", log], /--profile|rds-proxy-2030/],
      [["--max-connections", "many", log], /--max-connections/],
      [["--config", prose, log], /notes\.txt/],
      [["--bogus", log], /Unknown option '--bogus'/],
      [[], /no log file given/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await proxyfit("assess", ...args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(message);
      // One line; a usage error adds the usage after a blank line.
      expect({ args, lines: stderr.replace(/\n\nusage: [\s\S]*$/, "").trimEnd().split("\n").length }).toEqual({ args, lines: 1 });
    }
  });

  it("lists the configs it read under Inputs, in every format", async () => {
    const config = join(work, "application.properties");
    await writeFile(config, "spring.datasource.url=jdbc:postgresql://db:5432/orders?prepareThreshold=0\n");
    const text = await proxyfit("assess", "--config", config, log);
    const inputs = text.stdout.slice(text.stdout.indexOf("Inputs\n"), text.stdout.indexOf("\n\n", text.stdout.indexOf("Inputs\n")));
    expect(inputs).toMatch(/\n {2}\S*postgresql\.log: pg-stderr.*\n[\s\S]*\n {2}\S*application\.properties: config \(PostgreSQL JDBC driver \(pgjdbc\)\); \d+ findings?$/);
    const json = JSON.parse((await proxyfit("assess", "--format", "json", "--config", config, log)).stdout);
    expect(json.configFiles).toEqual([{ file: config, recognisedAs: ["PostgreSQL JDBC driver (pgjdbc)"], findings: json.configFindings.length }]);
    const md = (await proxyfit("assess", "--format", "md", "--config", config, log)).stdout;
    expect(md).toContain(`| ${config} | PostgreSQL JDBC driver (pgjdbc) |`);
    const html = (await proxyfit("assess", "--format", "html", "--config", config, log)).stdout;
    expect(html).toMatch(/<section id="inputs">[\s\S]*application\.properties[\s\S]*PostgreSQL JDBC driver \(pgjdbc\)[\s\S]*<\/section>/);
  });

  it("refuses a live-pricing run that priced nothing, in one line saying why, without the AWS SDK's warnings", async () => {
    const unreachable = "http://127.0.0.1:9/";
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "example", AWS_MAX_ATTEMPTS: "1" };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const { code, stdout, stderr } = await command(
      ["assess", "--live-pricing", "--pricing-endpoint", unreachable, "--instance-class", "db.t3.micro", log],
      { env },
    );
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^proxyfit assess: --live-pricing: nothing could be priced: AWS Price List API .* could not be reached \(ECONNREFUSED\)/);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    const noCredentials = await command(["assess", "--live-pricing", "--pricing-endpoint", unreachable, log], {
      env: { ...env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "proxyfit-none", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true" },
    });
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toMatch(/^proxyfit assess: --live-pricing: nothing could be priced: .*no AWS credentials/);
    expect(noCredentials.stderr).not.toMatch(/Warning|NodeVersionSupport/);
  });

  it("keeps everything understood when the last line is cut, and counts what is not", async () => {
    const text = await readFile(log, "utf8");
    const cut = join(work, "cut.log");
    await writeFile(cut, `${text.slice(0, Math.floor(text.length * 0.7))}\n\u0000\u0001garbage line\n${text.slice(Math.floor(text.length * 0.7), -40)}`);
    const { code, stdout } = await proxyfit("assess", "--format", "json", cut);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.inputs[0].linesNotUnderstood).toBeGreaterThanOrEqual(1);
    expect(report.summary.sessions).toBeGreaterThan(20);
  });
});
