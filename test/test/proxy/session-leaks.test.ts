/**
 * The leak matrix: nothing of one client's session reaches another. A pool of one database connection, so the
 * observer always gets the connection the polluter used (checked by pg_backend_pid()). For every kind of session
 * state the rulebook knows, and for every startup parameter, a polluter leaves it behind and stays, quits cleanly, or
 * has its socket destroyed; the observer must then see exactly what a fresh direct connection sees: settings, catalog
 * objects in its temporary schema, advisory locks, listeners, prepared statements, cursors, roles, sequence state.
 * Runs in a scratch database of its own (from template0).
 */
import { readFile } from "node:fs/promises";
import { type Report, renderMarkdown, renderText } from "@proxyfit/assessor";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type RunningProxy, runProxy, scratchDatabase } from "./support.js";
import { WireClient } from "./wire-client.js";

const DATABASE = `proxyfit_leaks_${process.pid}`;
const ROLE = `proxyfit_leak_role_${process.pid}`;
const OBSERVER = { user: "postgres", database: DATABASE, application_name: "observer" };
const OPTIONS_REFUSED = "Feature not supported: RDS Proxy currently doesn’t support command-line options.";

/** What the observer looks at, in one statement: everything a session can carry. */
const OBSERVED = {
  application_name: "current_setting('application_name')",
  DateStyle: "current_setting('DateStyle')",
  TimeZone: "current_setting('TimeZone')",
  search_path: "current_setting('search_path')",
  extra_float_digits: "current_setting('extra_float_digits')",
  client_encoding: "current_setting('client_encoding')",
  statement_timeout: "current_setting('statement_timeout')",
  work_mem: "current_setting('work_mem')",
  // A placeholder variable, once set in a backend, stays defined (empty) after RESET: its value is what counts.
  custom: "coalesce(current_setting('leak.x', true), '')",
  // LOAD cannot be undone (a pooled backend keeps its libraries, by design); what was SET for the module can.
  auto_explain: "coalesce(current_setting('auto_explain.log_min_duration', true), '-1')",
  current_user: "current_user",
  session_user: "session_user",
  temp_relations: "(select count(*) from pg_class where relnamespace = pg_my_temp_schema())",
  temp_functions: "(select count(*) from pg_proc where pronamespace = pg_my_temp_schema())",
  temp_types: "(select count(*) from pg_type where typnamespace = pg_my_temp_schema())",
  advisory_locks: "(select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid())",
  listening: "(select count(*) from pg_listening_channels())",
  sql_prepared: "(select count(*) from pg_prepared_statements where from_sql)",
  cursors: "(select count(*) from pg_cursors where name <> '')",
};
const OBSERVE_SQL = `select pg_backend_pid()::text, ${Object.entries(OBSERVED)
  .map(([name, expression]) => `${expression}::text as "${name}"`)
  .join(", ")}`;

type Observation = Record<string, string | null>;

async function observe(client: WireClient): Promise<{ pid: string; seen: Observation }> {
  const result = await client.query(OBSERVE_SQL);
  expect(result.error).toBeUndefined();
  const [pid, ...values] = result.rows[0]!;
  const seen: Observation = {};
  Object.keys(OBSERVED).forEach((name, i) => {
    seen[name] = values[i] ?? null;
  });
  // Sequence state: currval and lastval are undefined until this session calls nextval.
  for (const sql of ["select currval('leak_seq')", "select lastval()"]) {
    seen[sql] = (await client.query(sql)).error?.code ?? "no error";
  }
  return { pid: pid!, seen };
}

interface Pollution {
  name: string;
  /** Startup parameters of the polluter. */
  parameters?: Record<string, string>;
  /** Whether the proxy must pin the polluter (every kind of session state but the startup parameters). */
  pins: boolean;
  pollute(client: WireClient): Promise<void>;
}

/** Function oids, read from the scratch database, for FunctionCall messages. */
const oids: Record<"set_config" | "pg_advisory_lock" | "nextval", number> = { set_config: 0, pg_advisory_lock: 0, nextval: 0 };

async function run(client: WireClient, ...statements: string[]): Promise<void> {
  for (const sql of statements) expect((await client.query(sql)).error, sql).toBeUndefined();
}

async function call(client: WireClient, oid: () => number, args: string[]): Promise<void> {
  const result = await client.functionCall(oid(), args);
  expect(result.error).toBeUndefined();
}

const POLLUTIONS: Pollution[] = [
  { name: "SET", pins: true, pollute: (c) => run(c, "set work_mem = '7MB'", "set leak.x = 'polluted'") },
  { name: "SET search_path, statement_timeout", pins: true, pollute: (c) => run(c, "set search_path = leak_schema, public", "set statement_timeout = '4321ms'") },
  { name: "set_config", pins: true, pollute: (c) => run(c, "select set_config('work_mem', '7MB', false)") },
  { name: "set_config spelled U&", pins: true, pollute: (c) => run(c, `select U&"set\\005fconfig"('leak.x', 'polluted', false)`) },
  { name: "set_config by FunctionCall", pins: true, pollute: (c) => call(c, () => oids.set_config, ["leak.x", "polluted", "false"]) },
  { name: "RESET", pins: true, pollute: (c) => run(c, "reset application_name", "set application_name = 'polluter'") },
  { name: "PREPARE", pins: true, pollute: (c) => run(c, "prepare leak_p as select 1") },
  { name: "DECLARE CURSOR WITH HOLD", pins: true, pollute: (c) => run(c, "begin", "declare leak_c cursor with hold for select 1", "commit") },
  { name: "temporary table", pins: true, pollute: (c) => run(c, "create temp table leak_t (a int)") },
  { name: "pg_temp function", pins: true, pollute: (c) => run(c, "create function pg_temp.leak_f() returns int language sql as 'select 1'") },
  { name: "pg_temp type", pins: true, pollute: (c) => run(c, "create type pg_temp.leak_ty as (a int)") },
  { name: "LISTEN", pins: true, pollute: (c) => run(c, "listen leak_ch") },
  { name: "session advisory lock", pins: true, pollute: (c) => run(c, "select pg_advisory_lock(4242)") },
  { name: "advisory lock spelled U&", pins: true, pollute: (c) => run(c, `select U&"pg_advisory\\005flock"(4243)`) },
  { name: "advisory lock by FunctionCall", pins: true, pollute: (c) => call(c, () => oids.pg_advisory_lock, ["4244"]) },
  { name: "LOAD", pins: true, pollute: (c) => run(c, "load 'auto_explain'", "set auto_explain.log_min_duration = 0") },
  { name: "nextval", pins: true, pollute: (c) => run(c, "select nextval('leak_seq')") },
  { name: "setval", pins: true, pollute: (c) => run(c, "select setval('leak_seq', 100)") },
  { name: "nextval by FunctionCall", pins: true, pollute: (c) => call(c, () => oids.nextval, ["leak_seq"]) },
  { name: "SET ROLE", pins: true, pollute: (c) => run(c, `set role ${ROLE}`) },
  { name: "SET SESSION AUTHORIZATION", pins: true, pollute: (c) => run(c, `set session authorization ${ROLE}`) },
  { name: "DISCARD ALL, then SET", pins: true, pollute: (c) => run(c, "discard all", "set work_mem = '7MB'") },
  ...(
    [
      ["application_name", "polluter"],
      ["DateStyle", "SQL, DMY"],
      ["TimeZone", "Asia/Tokyo"],
      ["search_path", "leak_schema"],
      ["extra_float_digits", "-3"],
      ["client_encoding", "LATIN1"],
      ["statement_timeout", "4321"],
    ] as const
  ).map(([name, value]) => ({
    name: `startup parameter ${name}`,
    parameters: { [name]: value },
    pins: false,
    pollute: (c: WireClient) => run(c, "select 1"),
  })),
];

let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
let proxy: RunningProxy;
/** What a fresh direct connection sees. */
let baseline: Observation;

beforeAll(async () => {
  scratch = await scratchDatabase(DATABASE);
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: DATABASE });
  await admin.connect();
  await admin.query(`do $$ begin if not exists (select from pg_roles where rolname = '${ROLE}') then create role ${ROLE}; end if; end $$`);
  await admin.query("create sequence leak_seq");
  await admin.query("create procedure leak_noop() language sql as ''");
  const { rows } = await admin.query<typeof oids>(
    `select 'pg_catalog.set_config(text, text, boolean)'::regprocedure::oid::int as set_config,
            'pg_catalog.pg_advisory_lock(bigint)'::regprocedure::oid::int as pg_advisory_lock,
            'pg_catalog.nextval(regclass)'::regprocedure::oid::int as nextval`,
  );
  Object.assign(oids, rows[0]);
  await admin.end();

  const direct = await WireClient.connect(5432, OBSERVER);
  baseline = (await observe(direct)).seen;
  direct.end();
  proxy = await runProxy({
    target: `postgres://postgres@127.0.0.1:5432/${DATABASE}`,
    max_connections_percent: "1",
    max_idle_connections_percent: "1",
  });
  expect(proxy.proxy.maxConnections).toBe(1);
});

afterAll(async () => {
  await proxy?.close();
  await scratch?.drop();
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await admin.connect();
  await admin.query(`drop role if exists ${ROLE}`);
  await admin.end();
});

/** Clients of the running test; a failed test must not leave one holding the only connection. */
const opened: WireClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.destroy();
});

async function connectThroughProxy(parameters: Record<string, string>): Promise<WireClient> {
  const client = await WireClient.connect(proxy.port, parameters);
  opened.push(client);
  return client;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.each(["stays", "quits", "is destroyed"] as const)("the polluter %s", (departure) => {
  test.each(POLLUTIONS.map((pollution) => [pollution.name, pollution]))("%s: the next client on its connection sees none of it", async (_name, pollution) => {
    const polluter = await connectThroughProxy({ user: "postgres", database: DATABASE, ...pollution.parameters });
    await pollution.pollute(polluter);
    const { pid } = await observe(polluter);
    expect(proxy.proxy.gauges().DatabaseConnectionsCurrentlySessionPinned).toBe(pollution.pins ? 1 : 0);

    const observer = await connectThroughProxy(OBSERVER);
    let observed: Promise<{ pid: string; seen: Observation }>;
    if (departure === "stays" && pollution.pins) {
      // The pinned connection is the polluter's alone while it stays: the observer waits for it.
      observed = observe(observer);
      await until(() => proxy.proxy.pools().some((group) => group.waiting === 1));
      polluter.end();
    } else {
      if (departure === "quits") polluter.end();
      if (departure === "is destroyed") polluter.destroy();
      observed = observe(observer);
    }
    const seen = await observed;
    expect(seen.pid).toBe(pid);
    expect(seen.seen).toEqual(baseline);

    if (departure === "stays" && !pollution.pins) {
      // And the polluter, still there, still has its own settings.
      const again = await observe(polluter);
      expect(again.pid).toBe(pid);
      for (const name of Object.keys(pollution.parameters ?? {})) expect(again.seen[name]).not.toBe(baseline[name]);
      polluter.end();
    }
    observer.end();
    await until(() => proxy.proxy.gauges().ClientConnections === 0);
  });
});

describe("startup parameters and what a client sees of them", () => {
  test("ParameterStatus values stay each client's own: at login, after the proxy's SETs, after its own SET", async () => {
    const tokyo = await connectThroughProxy({ user: "postgres", database: DATABASE, application_name: "tokyo", TimeZone: "Asia/Tokyo" });
    expect(tokyo.parameters.get("application_name")).toBe("tokyo");
    expect(tokyo.parameters.get("TimeZone")).toBe("Asia/Tokyo");
    const first = await tokyo.query("select current_setting('TimeZone')");
    expect(first.rows).toEqual([["Asia/Tokyo"]]);
    expect(first.parameterStatus).toEqual([]);

    const observer = await connectThroughProxy(OBSERVER);
    expect(observer.parameters.get("application_name")).toBe("observer");
    expect(observer.parameters.get("TimeZone")).toBe(baseline.TimeZone);
    // The proxy SETs the observer's values on the connection tokyo used: the server's ParameterStatus replies to
    // those SETs are the proxy's, never shown to the observer.
    const turn = await observer.query("select current_setting('TimeZone'), current_setting('application_name')");
    expect(turn.rows).toEqual([[baseline.TimeZone, "observer"]]);
    expect(turn.parameterStatus).toEqual([]);
    const back = await tokyo.query("select current_setting('TimeZone'), current_setting('application_name')");
    expect(back.rows).toEqual([["Asia/Tokyo", "tokyo"]]);
    expect(back.parameterStatus).toEqual([]);

    // A client's own SET reports the change to it (and pins it).
    const own = await observer.query("set application_name = 'renamed'");
    expect(own.parameterStatus).toEqual([["application_name", "renamed"]]);
    observer.end();
    tokyo.end();
    await until(() => proxy.proxy.gauges().ClientConnections === 0);
  });

  test("a startup parameter the server refuses ends the session at its first statement, and nothing it pipelined runs", async () => {
    const bad = await connectThroughProxy({ user: "postgres", database: DATABASE, application_name: "bad", DateStyle: "garbage" });
    // Pipelined behind the proxy's SETs: a transaction that must not run with the previous client's settings.
    const refused = await bad.query("begin; create table leak_pipelined (a int); commit");
    expect(refused.error).toMatchObject({ severity: "FATAL", code: "22023" });
    const observer = await connectThroughProxy(OBSERVER);
    expect((await observe(observer)).seen).toEqual(baseline);
    expect((await observer.query("select to_regclass('leak_pipelined')::text")).rows).toEqual([[null]]);
    observer.end();
    await until(() => proxy.proxy.gauges().ClientConnections === 0);
  });

  test("a database connection opened for a client with startup parameters carries none of them", async () => {
    // Close the pooled connection, so that the polluter's borrow opens the next one.
    const first = await connectThroughProxy(OBSERVER);
    const { pid } = await observe(first);
    first.end();
    const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: DATABASE });
    await admin.connect();
    await admin.query("select pg_terminate_backend($1)", [Number(pid)]);
    await admin.end();
    await until(() => proxy.proxy.gauges().DatabaseConnections === 0);

    const parameters = { application_name: "polluter", TimeZone: "Asia/Tokyo", DateStyle: "SQL, DMY", search_path: "leak_schema", statement_timeout: "4321" };
    const polluter = await connectThroughProxy({ user: "postgres", database: DATABASE, ...parameters });
    const opened = await observe(polluter);
    expect(opened.pid).not.toBe(pid);
    polluter.end();
    // Whatever the proxy RESETs goes back to the server's defaults, not to the first client's values.
    const observer = await connectThroughProxy(OBSERVER);
    const seen = await observe(observer);
    expect(seen.pid).toBe(opened.pid);
    expect(seen.seen).toEqual(baseline);
    expect((await observer.query("reset all; select current_setting('TimeZone'), current_setting('search_path')")).rows).toEqual([
      [baseline.TimeZone, baseline.search_path],
    ]);
    observer.end();
    await until(() => proxy.proxy.gauges().ClientConnections === 0);
  });

  test("a startup packet with options is refused as RDS Proxy refuses it; nothing of it reaches the database", async () => {
    const refusal = await connectThroughProxy({
      user: "postgres",
      database: DATABASE,
      options: "-c work_mem=7MB -c search_path=leak_schema",
    }).catch((error: Error & { code?: string; severity?: string }) => error);
    expect(refusal).toMatchObject({ severity: "FATAL", code: "0A000", message: OPTIONS_REFUSED });
    const viaPg = new pg.Client({ host: "127.0.0.1", port: proxy.port, user: "postgres", database: DATABASE, options: "-c statement_timeout=5s" });
    viaPg.on("error", () => {});
    const error = (await viaPg.connect().catch((e: pg.DatabaseError) => e)) as pg.DatabaseError;
    expect(error.code).toBe("0A000");
    expect(error.message).toBe(OPTIONS_REFUSED);

    const observer = await connectThroughProxy(OBSERVER);
    expect((await observe(observer)).seen).toEqual(baseline);
    observer.end();
    await until(() => proxy.proxy.gauges().ClientConnections === 0);
  });
});

describe("FunctionCall messages", () => {
  test("a malformed one ends its client (08P01) before anything reaches the database; the next client is served", async () => {
    const client = await connectThroughProxy(OBSERVER);
    // FunctionCall of set_config whose first argument claims 255 bytes.
    const bytes = Buffer.concat([Buffer.from("F"), Buffer.from("0000001400000000000000010000ff61", "hex"), Buffer.from("0000", "hex")]);
    bytes.writeUInt32BE(oids.set_config, 5);
    bytes.writeInt32BE(bytes.length - 1, 1);
    const result = await client.raw(bytes);
    expect(result.error).toMatchObject({ severity: "FATAL", code: "08P01" });
    const observer = await connectThroughProxy(OBSERVER);
    expect((await observe(observer)).seen).toEqual(baseline);
    observer.end();
    await until(() => proxy.proxy.gauges().ClientConnections === 0);
  });

  test("a call the rulebook has no rule for runs without pinning, and its result comes back", async () => {
    const client = await connectThroughProxy(OBSERVER);
    const pid = await client.query("select pg_backend_pid()::text");
    const probe = await client.query("select 'pg_catalog.pg_backend_pid()'::regprocedure::oid::int");
    const result = await client.functionCall(Number(probe.rows[0]![0]), []);
    expect(result.error).toBeUndefined();
    expect(result.rows).toEqual(pid.rows);
    expect(proxy.proxy.gauges().DatabaseConnectionsCurrentlySessionPinned).toBe(0);
    client.end();
    await until(() => proxy.proxy.gauges().ClientConnections === 0);
  });
});

describe("the trial report", () => {
  let report: Report | undefined;
  beforeAll(async () => {
    // DO blocks, CALLs and FunctionCalls of functions outside the rulebook's list run unseen; they do not pin.
    const client = await connectThroughProxy(OBSERVER);
    await run(client, "do $$ begin perform 1; end $$", "call leak_noop()", "call leak_noop()");
    const probe = await client.query("select 'pg_catalog.pg_backend_pid()'::regprocedure::oid::int");
    await call(client, () => Number(probe.rows[0]![0]), []);
    client.end();
    await until(() => proxy.proxy.gauges().ClientConnections === 0);
    report = await proxy.proxy.close();
  });

  test("matches docs/schemas/report.schema.json", async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    for (const name of ["recommendation", "report"]) {
      ajv.addSchema(JSON.parse(await readFile(new URL(`../../../docs/schemas/${name}.schema.json`, import.meta.url), "utf8")));
    }
    const valid = ajv.getSchema("https://proxyfit.dev/schemas/report.schema.json")!;
    expect(valid(JSON.parse(JSON.stringify(report))), JSON.stringify(valid.errors)).toBe(true);
  });

  test("counts the connections refused for startup options, with what the clients sent", () => {
    expect(report?.trial?.refusedConnections).toEqual([
      {
        reason: "startup_options",
        message: OPTIONS_REFUSED,
        count: 2,
        examples: ["-c work_mem=7MB -c search_path=leak_schema", "-c statement_timeout=5s"],
      },
    ]);
  });

  test("counts what it could not inspect: DO blocks, CALLs and FunctionCalls of functions outside the rulebook", () => {
    const kinds = report?.trial?.notInspected.kinds ?? [];
    expect(kinds.find((kind) => kind.kind === "do_block")).toEqual({
      kind: "do_block",
      statements: 1,
      sessions: 1,
      examples: ["do $$ begin perform 1; end $$"],
    });
    expect(kinds.find((kind) => kind.kind === "call")).toEqual({ kind: "call", statements: 2, sessions: 1, examples: ["call leak_noop()"] });
    expect(kinds.find((kind) => kind.kind === "function_call")).toMatchObject({ statements: 2, sessions: 2 });
    expect(report?.trial?.notInspected.statements).toBe(5);
    expect(kinds.find((kind) => kind.kind === "function_call")?.examples[0]).toMatch(/^FunctionCall of function oid \d+$/);
    expect(report?.trial?.notInspected.sessions).toBe(2);
  });

  test("the text and markdown formats list both", () => {
    const text = renderText(report!);
    expect(text).toContain(`2 connections refused (startup_options): ${OPTIONS_REFUSED}`);
    expect(text).toContain("not inspected (call): 2 statements in 1 session;");
    const markdown = renderMarkdown(report!);
    expect(markdown).toContain("## Seen only by the trial proxy");
    expect(markdown).toContain("| Not inspected (`call`) | 2 | 1 | call leak_noop() |");
  });
});
