import type { RuleId } from "@proxyfit/assessor/rules";
import mysql, { type Connection, type ConnectionOptions } from "mysql2/promise";
import { seededRandom } from "./seeded-random.js";

/**
 * A MySQL/MariaDB workload of known behaviour: concurrent client sessions, each a scenario written to exercise one
 * pinning condition of RDS Proxy (or none), run through the mysql2 driver against a real server. It returns what each
 * session really did, so tests can check that the logs, once parsed, tell the same story.
 *
 * The expected rules come from the AWS page "Avoiding pinning an RDS Proxy" (MySQL/MariaDB conditions and tracked
 * variables), not from proxyfit's rulebook: the workload is the rulebook's ground truth, not its mirror.
 */

export interface MysqlWorkloadOptions {
  /** An account that may create databases and users (the throwaway server's root). Sessions use its host and port. */
  connection: ConnectionOptions;
  /** Seeds every random choice (scenario order, values, pauses, the clean sessions' statements). Default 1. */
  seed?: number;
  /** Randomly generated sessions that must not pin, on top of the fixed scenarios. Default 8. */
  cleanSessions?: number;
  /** Sessions connected at the same time. Default 6. */
  concurrency?: number;
}

/** One command a session sent, as the server received it. */
export interface WorkloadCommand {
  /** query: COM_QUERY (text protocol); prepare / execute / close: COM_STMT_PREPARE / _EXECUTE / _CLOSE. */
  kind: "query" | "prepare" | "execute" | "close";
  /** The SQL; for execute, the prepared text with `?` placeholders (the general log shows them substituted). */
  sql: string;
  /** Parameters of an execute. */
  params?: readonly (string | number)[];
  /** The server rejected it. */
  failed?: boolean;
}

export interface MysqlSessionTruth {
  /** Scenario name, e.g. "lock-tables" or "clean-3". */
  scenario: string;
  /** The server's thread id (CONNECTION_ID()), the session's backendId in the logs. */
  threadId: number;
  user: string;
  database: string;
  commands: WorkloadCommand[];
  /** COM_QUERY plus COM_STMT_EXECUTE: what runs a statement (prepare and close do not). */
  statements: number;
  queries: number;
  prepares: number;
  executes: number;
  closes: number;
  /**
   * Units a transaction-pooling proxy borrows a connection for: every explicit transaction (START TRANSACTION/BEGIN
   * up to COMMIT/ROLLBACK) once, every other statement once (autocommit is never turned off).
   */
  transactions: number;
  /** Commands the server rejected. */
  errors: number;
  /** The session ended with COM_QUIT ("Quit" in the general log); false: the client just dropped the socket. */
  quit: boolean;
  /** The pinning rules the session's statements meet, sorted; empty for a session that must not pin. */
  rules: RuleId[];
  /** Pinned under profile rds-proxy, where documented-ambiguous conditions count as pinning. */
  pinned: boolean;
  /** Every rule met is documented-ambiguous (FOUND_ROWS() / ROW_COUNT() "sometimes" pin). */
  pinnedOnlyByAmbiguous: boolean;
}

export interface MysqlWorkloadResult {
  /** One per session, ordered by thread id. */
  sessions: MysqlSessionTruth[];
  /** Logins the server refused (wrong password), by user: they appear as "Access denied" in the general log. */
  failedLogins: string[];
  /** Thread ids of the workload's own setup connection (creating users, databases, tables): not part of the truth. */
  setupThreadIds: number[];
  /** Wall-clock bounds of the run, ms since the epoch. */
  startedAt: number;
  finishedAt: number;
}

/** Accounts and databases the scenarios use. Passwords are throwaway: the server lives for one test. */
export const MYSQL_WORKLOAD_USERS = {
  app: { user: "app_rw", password: "app-rw-secret", database: "shop" },
  reporter: { user: "reporter", password: "reporter-secret", database: "analytics" },
  ops: { user: "ops", password: "ops-secret", database: "shop" },
} as const;
type Account = keyof typeof MYSQL_WORKLOAD_USERS;

/** Rules AWS documents as "sometimes" pinning. */
const AMBIGUOUS_RULES: ReadonlySet<RuleId> = new Set<RuleId>(["mysql.found_rows_row_count"]);

const SETUP = [
  "CREATE DATABASE IF NOT EXISTS shop",
  "CREATE DATABASE IF NOT EXISTS analytics",
  `CREATE TABLE IF NOT EXISTS shop.orders (
     id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(20) NOT NULL, amount DECIMAL(10,2) NOT NULL,
     created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
  "CREATE TABLE IF NOT EXISTS analytics.daily (day DATE PRIMARY KEY, total DECIMAL(12,2) NOT NULL)",
  "DELETE FROM shop.orders",
  "DELETE FROM analytics.daily",
  "INSERT INTO analytics.daily VALUES ('2026-11-01', 120.50), ('2026-11-02', 99.00), ('2026-11-03', 310.25)",
  "DROP USER IF EXISTS 'app_rw'@'%', 'reporter'@'%', 'ops'@'%'",
  `CREATE USER 'app_rw'@'%' IDENTIFIED BY '${MYSQL_WORKLOAD_USERS.app.password}'`,
  "GRANT SELECT, INSERT, UPDATE, DELETE, LOCK TABLES, CREATE TEMPORARY TABLES ON shop.* TO 'app_rw'@'%'",
  `CREATE USER 'reporter'@'%' IDENTIFIED BY '${MYSQL_WORKLOAD_USERS.reporter.password}'`,
  "GRANT SELECT, CREATE TEMPORARY TABLES ON analytics.* TO 'reporter'@'%'",
  `CREATE USER 'ops'@'%' IDENTIFIED BY '${MYSQL_WORKLOAD_USERS.ops.password}'`,
  "GRANT SELECT ON shop.* TO 'ops'@'%'",
  // FLUSH TABLES WITH READ LOCK needs the global RELOAD privilege.
  "GRANT RELOAD ON *.* TO 'ops'@'%'",
];

/** Runs the setup, then every scenario and the clean sessions, `concurrency` at a time, in a seeded order. */
export async function runMysqlWorkload(options: MysqlWorkloadOptions): Promise<MysqlWorkloadResult> {
  const random = seededRandom(options.seed ?? 1);
  const startedAt = Date.now();
  const { threadId: setupThreadId, flavor } = await setUp(options.connection, random);
  const setupThreadIds = [setupThreadId];

  const scenarios = [...FIXED_SCENARIOS];
  for (let i = 1; i <= (options.cleanSessions ?? 8); i++) scenarios.push(cleanScenario(i));
  shuffle(scenarios, random);
  // Each session gets its own stream of random numbers, drawn up front, so concurrency does not change them.
  const planned = scenarios.map((scenario) => ({ scenario, random: seededRandom(Math.floor(random() * 2 ** 32)) }));

  const sessions: MysqlSessionTruth[] = [];
  let next = 0;
  const worker = async () => {
    while (next < planned.length) {
      const { scenario, random: sessionRandom } = planned[next++]!;
      sessions.push(await runSession(options.connection, scenario, sessionRandom, flavor));
    }
  };
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 6) }, worker);
  const [failedLogin] = await Promise.all([failLogin(options.connection), ...workers]);
  sessions.sort((a, b) => a.threadId - b.threadId);
  return { sessions, failedLogins: [failedLogin], setupThreadIds, startedAt, finishedAt: Date.now() };
}

/** The few statements that differ between the servers are written for the one the workload runs against. */
type Flavor = "mariadb" | "mysql";

async function setUp(
  connection: ConnectionOptions,
  random: () => number,
): Promise<{ threadId: number; flavor: Flavor }> {
  const admin = await mysql.createConnection(connection);
  try {
    const threadId = admin.threadId;
    const [version] = await admin.query("SELECT VERSION() AS version");
    const flavor = String((version as Array<{ version: string }>)[0]!.version).includes("MariaDB")
      ? "mariadb"
      : "mysql";
    for (const sql of SETUP) await admin.query(sql);
    for (let i = 1; i <= 20; i++) {
      await admin.query("INSERT INTO shop.orders (customer, amount) VALUES (?, ?)", [
        `c-${String(i).padStart(5, "0")}`,
        (Math.floor(random() * 100_000) / 100).toFixed(2),
      ]);
    }
    return { threadId, flavor };
  } finally {
    await admin.end();
  }
}

async function failLogin(connection: ConnectionOptions): Promise<string> {
  const { user, database } = MYSQL_WORKLOAD_USERS.app;
  try {
    const client = await mysql.createConnection({ ...connection, user, password: "wrong-password", database });
    await client.end();
  } catch {
    return user;
  }
  throw new Error("the server accepted a wrong password");
}

interface Scenario {
  name: string;
  account: Account;
  rules: RuleId[];
  /** How the session ends. Default "quit". */
  end?: "quit" | "drop";
  run(session: RecordingSession, random: () => number, flavor: Flavor): Promise<void>;
}

async function runSession(
  connection: ConnectionOptions,
  scenario: Scenario,
  random: () => number,
  flavor: Flavor,
): Promise<MysqlSessionTruth> {
  const account = MYSQL_WORKLOAD_USERS[scenario.account];
  const client = await mysql.createConnection({
    host: connection.host,
    port: connection.port,
    user: account.user,
    password: account.password,
    database: account.database,
  });
  const session = new RecordingSession(client, random);
  const threadId = await session.connectionId();
  await scenario.run(session, random, flavor);
  const quit = scenario.end !== "drop";
  if (quit) await client.end();
  else client.destroy();
  const rules = [...scenario.rules].sort();
  return {
    scenario: scenario.name,
    threadId,
    user: account.user,
    database: account.database,
    ...session.counts(),
    quit,
    rules,
    pinned: rules.length > 0,
    pinnedOnlyByAmbiguous: rules.length > 0 && rules.every((rule) => AMBIGUOUS_RULES.has(rule)),
  };
}

/** A client connection that records every command it sends and counts statements and transactions on the way. */
class RecordingSession {
  readonly commands: WorkloadCommand[] = [];
  private inTransaction = false;
  private transactions = 0;
  /** mysql2 prepares a statement on its first execute() and reuses it until unprepare(). */
  private readonly prepared = new Set<string>();

  constructor(
    private readonly client: Connection,
    private readonly random: () => number,
  ) {}

  async connectionId(): Promise<number> {
    const [rows] = await this.query("SELECT CONNECTION_ID() AS id");
    return Number((rows as Array<{ id: number }>)[0]!.id);
  }

  /** A text-protocol query; `fails` marks one the server must reject. */
  async query(sql: string, options: { fails?: boolean } = {}): Promise<[unknown, unknown]> {
    const command: WorkloadCommand = { kind: "query", sql };
    this.commands.push(command);
    this.countTransaction(sql);
    await this.pause();
    try {
      const result = await this.client.query(sql);
      if (options.fails) throw new Error(`expected the server to reject: ${sql}`);
      return result;
    } catch (error) {
      if (!options.fails) throw error;
      command.failed = true;
      return [undefined, undefined];
    }
  }

  /** A binary-protocol statement: COM_STMT_PREPARE the first time, then COM_STMT_EXECUTE. */
  async execute(sql: string, params: (string | number)[]): Promise<void> {
    if (!this.prepared.has(sql)) {
      this.prepared.add(sql);
      this.commands.push({ kind: "prepare", sql });
    }
    this.commands.push({ kind: "execute", sql, params });
    this.countTransaction(sql);
    await this.pause();
    await this.client.execute(sql, params);
  }

  /** COM_STMT_CLOSE of a statement execute() prepared. */
  unprepare(sql: string): void {
    this.prepared.delete(sql);
    this.commands.push({ kind: "close", sql });
    this.client.unprepare(sql);
  }

  counts(): Pick<
    MysqlSessionTruth,
    "commands" | "statements" | "queries" | "prepares" | "executes" | "closes" | "transactions" | "errors"
  > {
    const count = (kind: WorkloadCommand["kind"]) => this.commands.filter((c) => c.kind === kind).length;
    return {
      commands: this.commands,
      statements: count("query") + count("execute"),
      queries: count("query"),
      prepares: count("prepare"),
      executes: count("execute"),
      closes: count("close"),
      transactions: this.transactions,
      errors: this.commands.filter((c) => c.failed).length,
    };
  }

  private countTransaction(sql: string): void {
    if (/^\s*(?:START\s+TRANSACTION|BEGIN)\b/i.test(sql)) {
      this.inTransaction = true;
      this.transactions++;
    } else if (/^\s*(?:COMMIT|ROLLBACK)\b/i.test(sql)) {
      this.inTransaction = false;
    } else if (!this.inTransaction) {
      this.transactions++;
    }
  }

  /** Up to 40 ms between commands, so sessions overlap, interleave in the logs and span a few log seconds. */
  private pause(): Promise<void> {
    const ms = Math.floor(this.random() * 40);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

const orderId = (random: () => number) => 1 + Math.floor(random() * 20);
const amount = (random: () => number) => (Math.floor(random() * 100_000) / 100).toFixed(2);

const FIXED_SCENARIOS: readonly Scenario[] = [
  {
    name: "clean-look-alikes",
    account: "app",
    rules: [],
    async run(s, random) {
      // Pinning keywords inside strings, identifiers and comments do not pin.
      await s.query("SELECT 'SET @x = 1' AS literal, \"GET_LOCK('a', 1)\" AS another");
      await s.query("/* LOCK TABLES orders WRITE */ SELECT COUNT(*) FROM orders");
      await s.query("-- SET @cart = 5\nSELECT id FROM orders WHERE id = " + orderId(random));
      await s.query("sElEcT CusToMeR FrOm orders wHeRe id = " + orderId(random));
      await s.query(
        "SELECT o.id,\n       o.amount -- FOUND_ROWS() in a comment\n  FROM orders o\n# hash comment line\n WHERE o.amount > 10\n ORDER BY o.id LIMIT 3",
      );
    },
  },
  {
    name: "clean-transactions",
    account: "app",
    rules: [],
    async run(s, random) {
      await s.query("START TRANSACTION");
      await s.query(`INSERT INTO orders (customer, amount) VALUES ('c-tx-1', ${amount(random)})`);
      await s.query(`UPDATE orders SET amount = amount + 1 WHERE id = ${orderId(random)}`);
      await s.query("COMMIT");
      await s.query("BEGIN");
      await s.query(`DELETE FROM orders WHERE customer = 'c-tx-1'`);
      await s.query("ROLLBACK");
      await s.query("SELECT COUNT(*) FROM orders");
    },
  },
  {
    name: "tracked-variables",
    account: "app",
    rules: [],
    async run(s, _random, flavor) {
      // Variables RDS Proxy tracks: it reuses connections with matching values instead of pinning.
      await s.query("SET NAMES utf8mb4");
      await s.query("SET character_set_client = utf8mb4");
      await s.query("SET sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'");
      await s.query("SET time_zone = '+00:00'");
      await s.query("SET autocommit = 1");
      // MariaDB 10.x knows only the old name; MySQL 8 only the new one.
      await s.query(
        `SET SESSION ${flavor === "mariadb" ? "tx_isolation" : "transaction_isolation"} = 'READ-COMMITTED'`,
      );
      await s.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      await s.query("SET @@session.wait_timeout = 600");
      await s.query("USE shop");
      await s.query("SELECT @@time_zone, @@sql_mode");
    },
  },
  {
    name: "untracked-variable",
    account: "app",
    rules: ["mysql.system_variable"],
    async run(s) {
      await s.query("SET SESSION sort_buffer_size = 1048576");
      await s.query("SELECT id FROM orders ORDER BY customer DESC LIMIT 5");
    },
  },
  {
    name: "user-variable-set",
    account: "app",
    rules: ["mysql.user_variable"],
    async run(s, random) {
      await s.query(`SET @cart = ${orderId(random)}`);
      await s.query("SELECT amount FROM orders WHERE id = @cart");
    },
  },
  {
    name: "user-variable-assign",
    account: "reporter",
    rules: ["mysql.user_variable"],
    async run(s) {
      await s.query("SELECT @total := SUM(total) FROM daily");
      await s.query("SELECT day FROM daily ORDER BY day");
    },
  },
  {
    name: "lock-tables",
    account: "app",
    rules: ["mysql.lock_tables"],
    async run(s) {
      await s.query("LOCK TABLES orders READ");
      await s.query("SELECT COUNT(*) FROM orders");
      await s.query("UNLOCK TABLES");
    },
  },
  {
    name: "flush-tables-with-read-lock",
    account: "ops",
    rules: ["mysql.lock_tables"],
    async run(s) {
      await s.query("FLUSH TABLES WITH READ LOCK");
      await s.query("UNLOCK TABLES");
    },
  },
  {
    name: "get-lock",
    account: "app",
    rules: ["mysql.get_lock"],
    async run(s) {
      await s.query("SELECT GET_LOCK('proxyfit-nightly-job', 1)");
      await s.query("SELECT RELEASE_LOCK('proxyfit-nightly-job')");
    },
  },
  {
    name: "next-transaction-setting",
    account: "app",
    rules: ["mysql.next_transaction_setting"],
    async run(s, random) {
      await s.query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
      await s.query("START TRANSACTION");
      await s.query(`SELECT amount FROM orders WHERE id = ${orderId(random)}`);
      await s.query("COMMIT");
    },
  },
  {
    name: "temporary-table",
    account: "reporter",
    rules: ["mysql.temp_table"],
    async run(s) {
      await s.query("CREATE TEMPORARY TABLE recent_days AS SELECT day, total FROM daily WHERE total > 100");
      await s.query("SELECT COUNT(*) FROM recent_days");
      await s.query("DROP TEMPORARY TABLE recent_days");
    },
  },
  {
    name: "sql-prepared-statement",
    account: "app",
    rules: ["mysql.prepared_statement"],
    async run(s) {
      await s.query("PREPARE order_count FROM 'SELECT COUNT(*) FROM orders'");
      await s.query("EXECUTE order_count");
      await s.query("EXECUTE order_count");
      await s.query("DEALLOCATE PREPARE order_count");
    },
  },
  {
    name: "binary-protocol",
    account: "app",
    rules: ["mysql.prepared_statement"],
    async run(s, random) {
      const sql = "SELECT id, amount FROM orders WHERE id = ?";
      for (let i = 0; i < 3; i++) await s.execute(sql, [orderId(random)]);
      s.unprepare(sql);
      await s.query("SELECT 1");
    },
  },
  {
    name: "found-rows",
    account: "app",
    rules: ["mysql.found_rows_row_count"],
    async run(s) {
      await s.query("SELECT SQL_CALC_FOUND_ROWS id FROM orders LIMIT 2");
      await s.query("SELECT FOUND_ROWS()");
    },
  },
  {
    name: "row-count",
    account: "app",
    rules: ["mysql.found_rows_row_count"],
    async run(s, random) {
      await s.query(`UPDATE orders SET amount = amount WHERE id = ${orderId(random)}`);
      await s.query("SELECT ROW_COUNT()");
    },
  },
  {
    name: "executable-comments",
    account: "app",
    rules: ["mysql.executable_comment"],
    async run(s, _random, flavor) {
      await s.query("SELECT /*!40001 SQL_NO_CACHE */ id FROM orders LIMIT 1");
      // MySQL reads /*M! ... */ as a plain comment: there it must not be the whole statement.
      await s.query(flavor === "mariadb" ? "/*M!100100 SELECT 'mariadb only' */" : "SELECT 1 /*M!100100 + 1 */");
    },
  },
  {
    name: "statement-over-16kb",
    account: "app",
    rules: ["any.statement_over_16kb"],
    async run(s) {
      const customers = Array.from({ length: 2000 }, (_, i) => `'c-${String(i).padStart(5, "0")}'`);
      await s.query(`SELECT id FROM orders WHERE customer IN (${customers.join(", ")})`);
    },
  },
  {
    name: "errors",
    account: "app",
    rules: [],
    async run(s) {
      await s.query("SELEC id FROM orders", { fails: true });
      await s.query("SELECT * FROM no_such_table", { fails: true });
      await s.query("SELECT id FROM orders LIMIT 1");
    },
  },
  {
    name: "dropped-connection",
    account: "reporter",
    rules: [],
    end: "drop",
    async run(s) {
      await s.query("SELECT MAX(total) FROM daily");
    },
  },
];

/** A session of ordinary reads and writes, some in explicit transactions, that must not pin. */
function cleanScenario(index: number): Scenario {
  return {
    name: `clean-${index}`,
    account: index % 3 === 0 ? "reporter" : "app",
    rules: [],
    async run(s, random) {
      const statements = 2 + Math.floor(random() * 6);
      for (let i = 0; i < statements; i++) {
        if (index % 3 === 0) {
          await s.query(`SELECT day, total FROM daily WHERE total > ${Math.floor(random() * 300)} ORDER BY day`);
        } else if (random() < 0.3) {
          await s.query("START TRANSACTION");
          await s.query(`UPDATE orders SET amount = ${amount(random)} WHERE id = ${orderId(random)}`);
          await s.query("COMMIT");
        } else {
          await s.query(`SELECT customer, amount FROM orders WHERE id = ${orderId(random)}`);
        }
      }
    },
  };
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
