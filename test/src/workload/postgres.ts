import type { ProfileId, RuleId } from "@proxyfit/assessor/rules";
import pg from "pg";
import { seededRandom } from "./seeded-random.js";

/**
 * A small PostgreSQL workload of known behaviour: concurrent sessions that each exercise one pinning rule (or none),
 * with the truth about every session, so tests can check what the log formats, sessions and rules rebuild from the
 * server's logs. A few seconds on a throwaway server; the order sessions run in and the values they send follow the
 * seed.
 */

export interface PostgresWorkloadOptions {
  /** Superuser connection to the server (database "postgres"); the workload creates its roles and databases. */
  connectionString: string;
  seed?: number;
  /** Sessions running at the same time. */
  concurrency?: number;
}

/** One statement as the client sent it. */
export interface SentStatement {
  text: string;
  /** simple: a Query message. extended: Parse (unless already parsed under this name) / Bind / Execute. */
  via: "simple" | "extended";
  /** Prepared statement name for extended statements; "" is the unnamed statement. */
  name?: string;
  /** The server answered with an error. */
  fails?: boolean;
}

export interface SessionTruth {
  /** The scenario: what the session exercises. */
  scenario: string;
  /** pg_backend_pid(), queried as the session's first statement (so it is in the log too). */
  pid: number;
  user: string;
  database: string;
  application: string;
  statements: SentStatement[];
  /** Statements sent: Query messages plus extended-protocol executes. */
  statementCount: number;
  /** Parse messages sent (a named statement is parsed once per connection). */
  parseCount: number;
  /** Explicit transactions plus statements that ran in their own implicit transaction. */
  transactionCount: number;
  errorCount: number;
  /** The rule ids the rulebook must find in this session, per profile (empty: the session must not pin). */
  rules: Record<ProfileId, RuleId[]>;
  pinned: Record<ProfileId, boolean>;
}

export interface PostgresWorkloadTruth {
  seed: number;
  sessions: SessionTruth[];
}

interface Step {
  text: string;
  values?: unknown[];
  name?: string;
  fails?: boolean;
}

interface Scenario {
  name: string;
  user: string;
  database: string;
  application: string;
  steps: Step[];
  rules: RuleId[];
}

/** Where every role and database of the workload lives; created by the setup session. */
const ROLES = ["app_rw", "app_ro", "reporter"] as const;
const DATABASES = { shop: "app_rw", analytics: "reporter" } as const;
const SETUP_APPLICATION = "proxyfit-setup";

/** Text longer than RDS Proxy's 16 KB statement limit. */
const OVER_16KB = "x".repeat(17 * 1024);

function scenarios(next: () => number): Scenario[] {
  const id = () => 1 + Math.floor(next() * 50);
  const shop = { user: "app_rw", database: "shop", application: "orders-api" };
  const reports = { user: "reporter", database: "analytics", application: "nightly report" };
  const readOnly = { user: "app_ro", database: "shop", application: "storefront" };
  const list: Scenario[] = [
    {
      name: "clean transaction",
      ...shop,
      rules: [],
      steps: [
        { text: "BEGIN" },
        { text: `INSERT INTO orders (status, amount) VALUES ('new', ${id()})` },
        { text: `UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id = ${id()}` },
        { text: "COMMIT" },
        { text: "SELECT 'SET statement_timeout = 0' AS not_a_set, 'LISTEN x' AS not_a_listen" },
        { text: "/* SET work_mem = '1GB' */ SELECT count(*) FROM orders -- DISCARD ALL" },
      ],
    },
    {
      name: "multi-line and multi-statement",
      ...readOnly,
      rules: [],
      steps: [
        { text: `SELECT id,\n       status\n  FROM orders\n WHERE id = ${id()}\n   AND status <> 'SET x'` },
        { text: "BEGIN; SELECT 1; COMMIT" },
      ],
    },
    {
      name: "errors",
      ...readOnly,
      rules: [],
      steps: [
        { text: "SELECT 1/0", fails: true },
        { text: "SELEC 1", fails: true },
        { text: "SELECT missing_column FROM orders", fails: true },
        { text: "SELECT 1" },
      ],
    },
    {
      name: "session SET",
      ...shop,
      rules: ["pg.set"],
      steps: [{ text: "SET statement_timeout = '5s'" }, { text: "SELECT count(*) FROM orders" }],
    },
    {
      name: "SET LOCAL",
      ...shop,
      rules: ["pg.set_local"],
      steps: [{ text: "BEGIN" }, { text: "SET LOCAL work_mem = '8MB'" }, { text: "SELECT 1" }, { text: "COMMIT" }],
    },
    {
      name: "set_config",
      ...shop,
      rules: ["pg.set_config"],
      steps: [{ text: "SELECT set_config('search_path', 'public', false)" }],
    },
    {
      name: "RESET",
      ...shop,
      rules: ["pg.reset"],
      steps: [{ text: "RESET statement_timeout" }],
    },
    {
      name: "SQL PREPARE / EXECUTE / DEALLOCATE",
      ...shop,
      rules: ["pg.sql_prepare"],
      steps: [
        { text: "PREPARE order_by_id (int) AS SELECT * FROM orders WHERE id = $1" },
        { text: `EXECUTE order_by_id(${id()})` },
        { text: "DEALLOCATE order_by_id" },
      ],
    },
    {
      name: "DISCARD",
      ...shop,
      rules: ["pg.discard"],
      steps: [{ text: "DISCARD ALL" }],
    },
    {
      name: "temporary objects",
      ...reports,
      rules: ["pg.temp_object"],
      steps: [
        { text: "CREATE TEMP TABLE scratch (x int)" },
        { text: "CREATE TEMPORARY SEQUENCE scratch_seq" },
        { text: "CREATE TEMP VIEW scratch_view AS SELECT 1 AS one" },
      ],
    },
    {
      name: "cursor",
      ...reports,
      rules: ["pg.cursor"],
      steps: [
        { text: "BEGIN" },
        { text: "DECLARE big CURSOR FOR SELECT * FROM events" },
        { text: "FETCH 10 FROM big" },
        { text: "CLOSE big" },
        { text: "COMMIT" },
      ],
    },
    {
      name: "LISTEN",
      ...shop,
      rules: ["pg.listen"],
      steps: [{ text: "LISTEN order_events" }],
    },
    {
      name: "LOAD",
      user: "postgres",
      database: "shop",
      application: "dba console",
      rules: ["pg.load"],
      steps: [{ text: "LOAD 'auto_explain'" }],
    },
    {
      name: "sequence functions",
      ...shop,
      rules: ["pg.sequence_fn"],
      steps: [{ text: "SELECT nextval('invoice_seq')" }, { text: `SELECT setval('invoice_seq', ${100 + id()})` }],
    },
    {
      name: "session advisory lock",
      ...shop,
      rules: ["pg.advisory_lock"],
      steps: [{ text: "SELECT pg_advisory_lock(42)" }, { text: "SELECT pg_advisory_unlock(42)" }],
    },
    {
      name: "transaction advisory lock",
      ...shop,
      rules: [],
      steps: [{ text: "BEGIN" }, { text: "SELECT pg_advisory_xact_lock(7)" }, { text: "COMMIT" }],
    },
    {
      name: "extended protocol, unnamed",
      ...readOnly,
      rules: ["pg.extended_protocol"],
      steps: [
        { text: "SELECT id, status FROM orders WHERE id = $1", values: [id()] },
        { text: "SELECT $1::text AS echo", values: ["SET x = 1"] },
      ],
    },
    {
      name: "extended protocol, named",
      ...readOnly,
      rules: ["pg.extended_protocol"],
      steps: [
        { text: "SELECT status FROM orders WHERE id = $1", values: [id()], name: "status_by_id" },
        { text: "SELECT status FROM orders WHERE id = $1", values: [id()], name: "status_by_id" },
      ],
    },
    {
      name: "statement over 16 KB",
      ...reports,
      rules: ["any.statement_over_16kb"],
      steps: [{ text: `SELECT length('${OVER_16KB}') AS big` }],
    },
  ];
  // Many short sessions of one user and application: only connection lines (or %c) tell them apart.
  for (let i = 0; i < 6; i++) {
    list.push({ name: `short session ${i + 1}`, ...readOnly, rules: [], steps: [{ text: `SELECT ${id()}` }] });
  }
  return list;
}

function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function transactionsOf(statements: readonly SentStatement[]): number {
  let count = 0;
  let inTransaction = false;
  for (const { text } of statements) {
    const head = text.trimStart().slice(0, 8).toUpperCase();
    if (head.startsWith("BEGIN") || head.startsWith("START")) {
      count++;
      // "BEGIN; SELECT 1; COMMIT" opens and closes in one message.
      inTransaction = !/;\s*(COMMIT|END|ROLLBACK)\s*;?\s*$/i.test(text);
    } else if (head.startsWith("COMMIT") || head.startsWith("END") || head.startsWith("ROLLBACK")) {
      inTransaction = false;
    } else if (!inTransaction) {
      count++;
    }
  }
  return count;
}

const PID_QUERY = "SELECT pg_backend_pid() AS pid";

function truthOf(scenario: Scenario, pid: number): SessionTruth {
  const statements: SentStatement[] = [
    { text: PID_QUERY, via: "simple" },
    ...scenario.steps.map((step): SentStatement => {
      const extended = step.values !== undefined;
      return {
        text: step.text,
        via: extended ? "extended" : "simple",
        ...(extended ? { name: step.name ?? "" } : {}),
        ...(step.fails ? { fails: true } : {}),
      };
    }),
  ];
  const parsed = new Set<string>();
  let parseCount = 0;
  for (const s of statements) {
    if (s.via !== "extended") continue;
    if (s.name === "" || !parsed.has(s.name!)) parseCount++;
    parsed.add(s.name!);
  }
  const current = scenario.rules.filter((r) => r !== "pg.extended_protocol");
  return {
    scenario: scenario.name,
    pid,
    user: scenario.user,
    database: scenario.database,
    application: scenario.application,
    statements,
    statementCount: statements.length,
    parseCount,
    transactionCount: transactionsOf(statements),
    errorCount: statements.filter((s) => s.fails).length,
    rules: { "rds-proxy": current, "rds-proxy-pre-2023": [...scenario.rules] },
    pinned: { "rds-proxy": current.length > 0, "rds-proxy-pre-2023": scenario.rules.length > 0 },
  };
}

async function runSession(base: URL, scenario: Scenario): Promise<SessionTruth> {
  const client = new pg.Client({
    host: base.hostname,
    port: Number(base.port || 5432),
    user: scenario.user,
    database: scenario.database,
    application_name: scenario.application,
  });
  await client.connect();
  try {
    const pid = (await client.query<{ pid: number }>(PID_QUERY)).rows[0]!.pid;
    for (const step of scenario.steps) {
      const query = step.values === undefined ? step.text : { text: step.text, values: step.values, name: step.name };
      try {
        await client.query(query);
        if (step.fails) throw new Error(`workload: "${step.text}" was expected to fail and did not`);
      } catch (error) {
        if (!step.fails) throw error;
      }
    }
    return truthOf(scenario, pid);
  } finally {
    await client.end();
  }
}

/** The setup session: roles, databases, tables. Its statements are in the log like any other session's. */
async function setUp(base: URL): Promise<SessionTruth[]> {
  const setupSteps: Step[] = [
    ...ROLES.map((role) => ({ text: `CREATE ROLE ${role} LOGIN` })),
    ...Object.entries(DATABASES).map(([db, owner]) => ({ text: `CREATE DATABASE ${db} OWNER ${owner} TEMPLATE template0` })),
    { text: "GRANT CONNECT ON DATABASE shop TO app_ro" },
  ];
  const shopSteps: Step[] = [
    { text: "CREATE TABLE orders (id serial PRIMARY KEY, status text NOT NULL, amount numeric NOT NULL DEFAULT 0)" },
    { text: "INSERT INTO orders (status, amount) SELECT 'new', g FROM generate_series(1, 50) AS g" },
    { text: "CREATE SEQUENCE invoice_seq" },
    { text: "GRANT SELECT ON orders TO app_ro" },
    { text: "GRANT ALL ON orders, orders_id_seq, invoice_seq TO app_rw" },
  ];
  const analyticsSteps: Step[] = [
    { text: "CREATE TABLE events (id bigint, kind text)" },
    { text: "INSERT INTO events SELECT g, 'view' FROM generate_series(1, 100) AS g" },
    { text: "GRANT SELECT ON events TO reporter" },
  ];
  const admin = { user: "postgres", application: SETUP_APPLICATION, rules: [] };
  const truths: SessionTruth[] = [];
  for (const scenario of [
    { name: "setup: roles and databases", database: "postgres", steps: setupSteps, ...admin },
    { name: "setup: shop schema", database: "shop", steps: shopSteps, ...admin },
    { name: "setup: analytics schema", database: "analytics", steps: analyticsSteps, ...admin },
  ]) {
    truths.push(await runSession(base, scenario));
  }
  return truths;
}

/**
 * Runs the workload against a fresh server (roles and databases must not exist yet) and returns the truth per
 * session, setup sessions included, in the order the sessions ended.
 */
export async function runPostgresWorkload(options: PostgresWorkloadOptions): Promise<PostgresWorkloadTruth> {
  const seed = options.seed ?? 1;
  const next = seededRandom(seed);
  const base = new URL(options.connectionString);
  const sessions = await setUp(base);
  const queue = shuffle(scenarios(next), next);
  const workers = Array.from({ length: options.concurrency ?? 4 }, async () => {
    for (let scenario = queue.shift(); scenario; scenario = queue.shift()) {
      sessions.push(await runSession(base, scenario));
    }
  });
  await Promise.all(workers);
  return { seed, sessions };
}
