import { bench, describe } from "vitest";
import { loadRulebook, loadStatementFingerprinter } from "../../src/rules/index.js";

/**
 * classify() throughput (run: npx vitest bench test/rules/classify.bench.ts). Each iteration classifies a batch of
 * BATCH statements, so statements per second = hz × BATCH.
 */
const BATCH = 1000;

function pgbenchTransaction(i: number): string[] {
  const aid = (i * 7919) % 100_000;
  const delta = (i % 10_000) - 5000;
  return [
    "BEGIN;",
    `UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid};`,
    `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`,
    `UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${i % 10};`,
    `UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = 1;`,
    `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${i % 10}, 1, ${aid}, ${delta}, CURRENT_TIMESTAMP);`,
    "END;",
  ];
}

const pgbench = Array.from({ length: BATCH / 7 + 1 }, (_, i) => pgbenchTransaction(i)).flat().slice(0, BATCH);
// An ORM's session setup every 20 statements: repeated text, so the parser runs once and the cache answers.
const pgWithSessionSetup = pgbench.map((sql, i) =>
  i % 20 === 0 ? (i % 40 === 0 ? "SET application_name = 'api'" : "SELECT set_config('app.tenant', '42', false)") : sql,
);
// Every statement distinct (a counter keeps them distinct across iterations) and might-pin: the parser runs for each.
let counter = 0;
const pgUniquePinning = () => Array.from({ length: BATCH }, () => `SELECT nextval('orders_id_seq') + ${counter++}`);
const sysbench = Array.from({ length: BATCH }, (_, i) =>
  i % 3 === 0
    ? `SELECT c FROM sbtest1 WHERE id = ${i}`
    : i % 3 === 1
      ? `UPDATE sbtest1 SET k = k + 1 WHERE id = ${i}`
      : `INSERT INTO sbtest1 (id, k, c, pad) VALUES (${i}, ${i}, 'c-${i}', 'pad')`,
);
const mysqlUniquePinning = () => Array.from({ length: BATCH }, () => `SET @request_id = ${counter++}, sql_safe_updates = 1`);

const postgres = await loadRulebook("postgresql");
const mysql = await loadRulebook("mysql");
const pgFingerprint = await loadStatementFingerprinter("postgresql");
const mysqlFingerprint = await loadStatementFingerprinter("mysql");

const classifyAll = (rulebook: typeof postgres, statements: string[] | (() => string[])) => () => {
  for (const text of typeof statements === "function" ? statements() : statements) rulebook.classify({ text });
};

describe(`classify() on ${BATCH} statements`, () => {
  bench("postgresql: pgbench TPC-B statements (fast path)", classifyAll(postgres, pgbench));
  bench("postgresql: pgbench + 5% session setup (cached parser results)", classifyAll(postgres, pgWithSessionSetup));
  bench("postgresql: distinct nextval() statements (parser every time)", classifyAll(postgres, pgUniquePinning));
  bench("mysql: sysbench-like statements (fast path)", classifyAll(mysql, sysbench));
  bench("mysql: distinct SET @x, sql_safe_updates (lexer every time)", classifyAll(mysql, mysqlUniquePinning));
});

describe(`fingerprint ${BATCH} statements`, () => {
  bench("postgresql: pgbench statements (parsed once per lexical form)", () => {
    for (const sql of pgbench) pgFingerprint(sql);
  });
  bench("postgresql: distinct lexical forms (libpg-query every time)", () => {
    for (let i = 0; i < BATCH; i++) pgFingerprint(`SELECT abalance FROM pgbench_accounts WHERE c${counter++} = 1`);
  });
  bench("mysql: sysbench-like statements (lexical)", () => {
    for (const sql of sysbench) mysqlFingerprint(sql);
  });
});
