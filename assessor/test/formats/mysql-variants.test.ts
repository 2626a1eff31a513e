import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../src/events/log-event.js";
import type { FormatOptions, LogFormat, ParserStats } from "../../src/formats/log-format.js";
import { mysqlGeneralFormat } from "../../src/formats/mysql-general.js";
import { mysqlSlowFormat } from "../../src/formats/mysql-slow.js";

/**
 * The layouts no server on this machine writes (MySQL 5.6, 5.7 and 8.x, Percona Server), checked against how those
 * servers format their records. The writers below follow the servers' own format strings (sql/log.cc,
 * File_query_log::write_general and ::write_slow; Percona's "Improved slow query log" documentation), field for
 * field, so each test states a documented layout rather than a hand-typed file. MariaDB's layout is checked on real
 * logs by the test package.
 */

/** MySQL 5.7+: "%s\t%5u %s\t%s\n" with an ISO 8601 timestamp (log_timestamps=UTC gives Z, SYSTEM an offset). */
function mysql8General(time: string, threadId: number, command: string, argument: string): string {
  return `${time}\t${String(threadId).padStart(5)} ${command}\t${argument}`;
}

/** MySQL 5.6 and older (and MariaDB): "%02d%02d%02d %2d:%02d:%02d\t" once per second, "\t\t" otherwise. */
function mysql56General(time: string | undefined, threadId: number, command: string, argument: string): string {
  return `${time === undefined ? "\t\t" : `${time}\t`}${String(threadId).padStart(5)} ${command}\t${argument}`;
}

interface SlowRecord {
  time?: string;
  userHost: string;
  threadId?: number;
  queryTime: string;
  extra?: string;
  headers?: string[];
  use?: string;
  set: string;
  statement: string;
}

/** MySQL 5.6+ write_slow: # Time, # User@Host with Id, # Query_time, [use db;], SET ...timestamp=N;, statement + ";". */
function mysqlSlow(record: SlowRecord): string[] {
  return [
    ...(record.time === undefined ? [] : [`# Time: ${record.time}`]),
    `# User@Host: ${record.userHost}${record.threadId === undefined ? "" : `  Id: ${String(record.threadId).padStart(5)}`}`,
    ...(record.headers ?? []),
    `# Query_time: ${record.queryTime}  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 0${record.extra ?? ""}`,
    ...(record.use === undefined ? [] : [`use ${record.use};`]),
    `SET ${record.set};`,
    `${record.statement};`,
  ];
}

const SERVER_HEADER = [
  "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:",
  "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock",
  "Time                 Id Command    Argument",
];

interface Parsed {
  events: LogEvent[];
  stats: ParserStats;
}

function parse(format: LogFormat, lines: string[], options: Partial<FormatOptions> = {}): Parsed {
  const parser = format.open({ file: "test.log", ...options });
  const events: LogEvent[] = [];
  const emit = (event: LogEvent) => events.push(event);
  lines.forEach((line, i) => {
    parser.line(line, i + 1, emit);
  });
  parser.end(emit);
  return { events, stats: parser.stats };
}

const at = (iso: string) => Date.parse(iso);

describe("mysql-general on MySQL 5.7 / 8.x layouts", () => {
  const lines = [
    ...SERVER_HEADER,
    mysql8General("2026-11-24T10:00:00.123456Z", 12, "Connect", "app@10.0.0.7 on shop using SSL/TLS"),
    mysql8General("2026-11-24T10:00:00.200000Z", 12, "Query", "SELECT id\n  FROM orders\n WHERE id = 1"),
    mysql8General("2026-11-24T10:00:00.300000Z", 12, "Prepare", "SELECT * FROM orders WHERE id = ?"),
    mysql8General("2026-11-24T10:00:00.300500Z", 12, "Execute", "SELECT * FROM orders WHERE id = 7"),
    mysql8General("2026-11-24T10:00:00.301000Z", 12, "Reset stmt", ""),
    mysql8General("2026-11-24T10:00:00.302000Z", 12, "Close stmt", ""),
    mysql8General("2026-11-24T10:00:00.400000Z", 12, "Init DB", "analytics"),
    mysql8General("2026-11-24T10:00:00.500000Z", 12, "Field List", "daily"),
    mysql8General("2026-11-24T12:00:00.600000+02:00", 12, "Quit", ""),
    // MySQL writes no user line for a refused login, only the error.
    mysql8General(
      "2026-11-24T10:00:01.000000Z",
      13,
      "Connect",
      "Access denied for user 'app'@'10.0.0.8' to database 'secret'",
    ),
    mysql8General("2026-11-24T10:00:02.000000Z", 14, "Binlog Dump GTID", "Log: '' Pos: 4 GTIDs: ''"),
  ].flatMap((record) => record.split("\n"));
  const { events, stats } = parse(mysqlGeneralFormat, lines);

  it("understands every line, multi-line queries included", () => {
    expect(stats.linesNotUnderstood).toBe(0);
    expect(stats.linesRead).toBe(lines.length);
  });

  it("reads ISO 8601 times in UTC or with an offset, to the microsecond", () => {
    expect(events[0]!.time).toBe(at("2026-11-24T10:00:00.123Z") + 0.456);
    expect(events.find((e) => e.kind === "disconnection")!.time).toBe(at("2026-11-24T10:00:00.600Z"));
  });

  it("maps each command to its event", () => {
    expect(events.map((e) => [e.backendId, e.kind, e.statement ?? e.message ?? ""])).toEqual([
      [12, "connection_received", ""],
      [12, "connection_authorized", ""],
      [12, "statement", "SELECT id\n  FROM orders\n WHERE id = 1"],
      [12, "prepare", "SELECT * FROM orders WHERE id = ?"],
      [12, "execute", "SELECT * FROM orders WHERE id = 7"],
      [12, "other", "Reset stmt"],
      [12, "close_statement", ""],
      [12, "other", "Init DB"],
      [12, "other", "Field List: daily"],
      [12, "disconnection", ""],
      [13, "connection_received", ""],
      [13, "error", "Access denied for user 'app'@'10.0.0.8' to database 'secret'"],
      [13, "disconnection", ""],
      [14, "other", "Binlog Dump GTID: Log: '' Pos: 4 GTIDs: ''"],
    ]);
    expect(events[0]).toMatchObject({ user: "app", database: "shop", clientAddress: "10.0.0.7" });
    expect(events.find((e) => e.kind === "prepare")).toMatchObject({ protocol: "extended" });
    expect(events.find((e) => e.kind === "other" && e.message === "Init DB")).toMatchObject({ database: "analytics" });
    expect(events.find((e) => e.kind === "error")).toMatchObject({
      user: "app",
      clientAddress: "10.0.0.8",
      database: "secret",
      errorCode: "1044",
    });
  });

  it("takes the SQL PREPARE / EXECUTE echo lines for what they are", () => {
    const echoes = parse(mysqlGeneralFormat, [
      mysql8General("2026-11-24T10:00:00.000001Z", 5, "Query", "PREPARE s FROM 'SELECT ?'"),
      mysql8General("2026-11-24T10:00:00.000002Z", 5, "Prepare", "SELECT ?"),
      mysql8General("2026-11-24T10:00:00.000003Z", 5, "Query", "SET @a = 1; EXECUTE s USING @a"),
      mysql8General("2026-11-24T10:00:00.000004Z", 5, "Execute", "SELECT 1"),
      // A SQL PREPARE that failed writes no echo: the client's own Prepare that follows is real.
      mysql8General("2026-11-24T10:00:00.000005Z", 5, "Query", "PREPARE t FROM 'SELEC 1'"),
      mysql8General("2026-11-24T10:00:00.000006Z", 5, "Query", "SELECT 2"),
      mysql8General("2026-11-24T10:00:00.000007Z", 5, "Prepare", "SELECT ? + 1"),
    ]);
    expect(echoes.events.map((e) => [e.kind, e.statement])).toEqual([
      ["statement", "PREPARE s FROM 'SELECT ?'"],
      ["statement", "SET @a = 1; EXECUTE s USING @a"],
      ["statement", "PREPARE t FROM 'SELEC 1'"],
      ["statement", "SELECT 2"],
      ["prepare", "SELECT ? + 1"],
    ]);
  });
});

describe("mysql-general on a server restart", () => {
  it("ends the sessions still open, keeping at most 100 000 of them", () => {
    const connects = Array.from({ length: 100_010 }, (_, i) =>
      mysql8General("2026-11-24T10:00:00.000000Z", i + 1, "Connect", "app@10.0.0.7 on shop using TCP/IP"),
    );
    const { events } = parse(mysqlGeneralFormat, [
      ...connects,
      mysql8General("2026-11-24T10:00:01.000000Z", 50, "Quit", ""),
      ...SERVER_HEADER,
    ]);
    const restart = events.filter((e) => e.kind === "disconnection" && e.message === "server restart");
    expect(restart).toHaveLength(99_999);
    // The oldest sessions were forgotten first; thread 50 quit before the restart.
    expect(restart[0]!.backendId).toBe(11);
    expect(restart.some((e) => e.backendId === 50)).toBe(false);
    expect(restart[0]!.time).toBe(at("2026-11-24T10:00:01Z"));
  });
});

describe("mysql-general on MySQL 5.6 layout", () => {
  const lines = [
    mysql56General("261124  9:05:03", 3, "Connect", "root@localhost on  using Socket"),
    mysql56General(undefined, 3, "Query", "SELECT 1"),
    mysql56General("261124  9:05:04", 3, "Quit", ""),
  ];

  it("reads the blank-padded hour as server local time, shifted by utcOffsetMinutes", () => {
    const { events, stats } = parse(mysqlGeneralFormat, lines, { utcOffsetMinutes: 60 });
    expect(stats.linesNotUnderstood).toBe(0);
    expect(events.map((e) => [e.kind, e.time])).toEqual([
      ["connection_received", at("2026-11-24T08:05:03Z")],
      ["connection_authorized", at("2026-11-24T08:05:03Z")],
      ["statement", at("2026-11-24T08:05:03Z")],
      ["disconnection", at("2026-11-24T08:05:04Z")],
    ]);
    expect(events[0]).toMatchObject({ user: "root", clientAddress: "localhost" });
    expect(events[0]!.database).toBeUndefined();
  });
});

describe("mysql-slow on MySQL 5.7 / 8.x layouts", () => {
  const lines = [
    ...SERVER_HEADER,
    ...mysqlSlow({
      time: "2026-11-24T10:00:01.500000Z",
      userHost: "app[app] @ app-1.internal [10.0.0.7]",
      threadId: 12,
      queryTime: "1.250000",
      use: "shop",
      set: "last_insert_id=41,insert_id=42,timestamp=1795514400",
      statement: "INSERT INTO orders (customer)\nVALUES ('c-1')",
    }),
    // No `use` line: the database has not changed since the previous record.
    ...mysqlSlow({
      time: "2026-11-24T10:00:02.000000Z",
      userHost: "app[app] @  [10.0.0.7]",
      threadId: 12,
      queryTime: "0.000100",
      set: "timestamp=1795514401",
      statement: "SELECT 1;",
    }),
    ...mysqlSlow({
      time: "2026-11-24T10:00:02.100000Z",
      userHost: "app[app] @  [10.0.0.7]",
      threadId: 12,
      queryTime: "0.000050",
      set: "timestamp=1795514402",
      statement: "# administrator command: Prepare",
    }),
    ...mysqlSlow({
      time: "2026-11-24T10:00:03.000000Z",
      userHost: "app[app] @  [10.0.0.7]",
      threadId: 12,
      queryTime: "0.000010",
      set: "timestamp=1795514403",
      statement: "# administrator command: Quit",
    }),
  ];
  const { events, stats } = parse(mysqlSlowFormat, lines);

  it("understands every line", () => {
    expect(stats.problems).toEqual([]);
  });

  it("reads one event per record, with thread, user, client, database and duration", () => {
    expect(events.map((e) => [e.kind, e.statement ?? ""])).toEqual([
      ["statement", "INSERT INTO orders (customer)\nVALUES ('c-1')"],
      // The server appends ";" to every statement: only that one is removed.
      ["statement", "SELECT 1;"],
      ["prepare", ""],
      ["disconnection", ""],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ backendId: 12, user: "app", clientAddress: "10.0.0.7", database: "shop" });
    }
    expect(events[0]!.durationMs).toBe(1250);
    expect(events[2]).toMatchObject({ protocol: "extended" });
  });

  it("starts a statement at its # Time (the end) minus Query_time", () => {
    expect(events[0]!.time).toBe(at("2026-11-24T10:00:00.250Z"));
    expect(events[1]!.time).toBeCloseTo(at("2026-11-24T10:00:02Z") - 0.1, 6);
  });

  it("uses log_slow_extra's Start and reports Errno as an error", () => {
    const extra = parse(mysqlSlowFormat, [
      ...mysqlSlow({
        time: "2026-11-24T10:00:05.000900Z",
        userHost: "app[app] @  [10.0.0.7]",
        threadId: 12,
        queryTime: "0.000400",
        extra:
          " Thread_id: 12 Errno: 1064 Killed: 0 Bytes_received: 10 Bytes_sent: 170 Read_first: 0 Read_last: 0" +
          " Read_key: 0 Read_next: 0 Read_prev: 0 Read_rnd: 0 Read_rnd_next: 0 Sort_merge_passes: 0" +
          " Sort_range_count: 0 Sort_rows: 0 Sort_scan_count: 0 Created_tmp_disk_tables: 0 Created_tmp_tables: 0" +
          " Start: 2026-11-24T10:00:05.000123Z End: 2026-11-24T10:00:05.000523Z",
        set: "timestamp=1795514405",
        statement: "SELEC 1",
      }),
    ]);
    expect(extra.events.map((e) => [e.kind, e.time, e.errorCode])).toEqual([
      ["statement", at("2026-11-24T10:00:05.000Z") + 0.123, undefined],
      ["error", at("2026-11-24T10:00:05.000Z") + 0.123, "1064"],
    ]);
  });
});

describe("mysql-slow on records cut short", () => {
  it("counts a record that ends after SET timestamp and reads the next one", () => {
    const first = mysqlSlow({
      time: "2026-11-24T10:00:01Z",
      userHost: "app[app] @  [10.0.0.7]",
      threadId: 12,
      queryTime: "0.1",
      set: "timestamp=1795514400",
      statement: "SELECT 1",
    });
    const second = mysqlSlow({
      time: "2026-11-24T10:00:02Z",
      userHost: "app[app] @  [10.0.0.7]",
      threadId: 12,
      queryTime: "0.1",
      set: "timestamp=1795514401",
      statement: "SELECT 2",
    });
    const { events, stats } = parse(mysqlSlowFormat, [...first.slice(0, -1), ...second]);
    expect(events.map((e) => e.statement)).toEqual(["SELECT 2"]);
    expect(stats.problems).toEqual([{ line: 1, reason: "slow log record without a statement", text: "" }]);
  });
});

describe("mysql-slow on MySQL 5.6 and Percona Server layouts", () => {
  it("takes the start from SET timestamp when # Time has whole seconds and no zone (MySQL 5.6)", () => {
    const { events, stats } = parse(mysqlSlowFormat, [
      ...mysqlSlow({
        time: "261124 10:00:00",
        userHost: "root[root] @ localhost []",
        threadId: 42,
        queryTime: "0.500000",
        set: "timestamp=1795514400",
        statement: "SELECT SLEEP(0.5)",
      }),
      // Same second: no # Time line.
      ...mysqlSlow({
        userHost: "root[root] @ localhost []",
        threadId: 42,
        queryTime: "0.000100",
        set: "timestamp=1795514400",
        statement: "SELECT 2",
      }),
    ]);
    expect(stats.linesNotUnderstood).toBe(0);
    expect(events.map((e) => [e.statement, e.time, e.clientAddress])).toEqual([
      ["SELECT SLEEP(0.5)", 1795514400000, "localhost"],
      ["SELECT 2", 1795514400000, "localhost"],
    ]);
  });

  it("reads Percona's Schema line and extra statistics lines", () => {
    const { events, stats } = parse(mysqlSlowFormat, [
      ...mysqlSlow({
        time: "130601  8:01:06.058915",
        userHost: "root[root] @ localhost []",
        threadId: 42,
        headers: ["# Schema: imdb  Last_errno: 0  Killed: 0"],
        queryTime: "7.725616",
        extra: "  Rows_affected: 0",
        set: "timestamp=1370073666",
        statement: "SELECT id,title,production_year FROM title WHERE title = 'Bambi'",
      }).flatMap((line) =>
        line.startsWith("# Query_time")
          ? [
              line,
              "# Bytes_sent: 272  Tmp_tables: 0  Tmp_disk_tables: 0  Tmp_table_sizes: 0",
              "# Full_scan: Yes  Full_join: No  Tmp_table: No  Tmp_table_on_disk: No",
              "# Filesort: No  Filesort_on_disk: No  Merge_passes: 0",
            ]
          : [line],
      ),
    ]);
    expect(stats.linesNotUnderstood).toBe(0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      backendId: 42,
      database: "imdb",
      durationMs: 7725.616,
      time: 1370073666000,
      statement: "SELECT id,title,production_year FROM title WHERE title = 'Bambi'",
    });
  });
});

describe("detection", () => {
  it("tells the general log from the slow log, and neither claims a PostgreSQL log", () => {
    const general = [...SERVER_HEADER, mysql8General("2026-11-24T10:00:00.000001Z", 5, "Query", "SELECT 1")];
    const slow = [
      ...SERVER_HEADER,
      ...mysqlSlow({
        time: "2026-11-24T10:00:00Z",
        userHost: "a[a] @  [::1]",
        threadId: 5,
        queryTime: "0.1",
        set: "timestamp=1",
        statement: "SELECT 1",
      }),
    ];
    const postgres = ["2026-11-24 10:00:00.000 UTC [42] LOG:  connection received: host=[local]"];
    expect(mysqlGeneralFormat.detect(general)).toEqual({ format: "mysql-general", confidence: 1 });
    expect(mysqlSlowFormat.detect(general)).toBeNull();
    expect(mysqlSlowFormat.detect(slow)).toEqual({ format: "mysql-slow", confidence: 1 });
    expect(mysqlGeneralFormat.detect(slow)).toBeNull();
    expect(mysqlGeneralFormat.detect(postgres)).toBeNull();
    expect(mysqlSlowFormat.detect(postgres)).toBeNull();
    // A log with nothing but the start-up banner is no evidence either way.
    expect(mysqlGeneralFormat.detect(SERVER_HEADER)).toBeNull();
  });
});
