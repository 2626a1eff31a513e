import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresInstance, startPostgres, syslogAvailable } from "../../src/servers/postgres.js";
import { type ParsedLog, parseLog, pgFormat } from "../../src/workload/pg-conformance.js";
import { type PostgresWorkloadTruth, runPostgresWorkload } from "../../src/workload/postgres.js";

// A real PostgreSQL writing to a real rsyslogd (private socket, seen by the server as /dev/log): the long statement
// of the workload is split by syslog_split_messages, multi-line statements become "[N-2] #011..." parts.

const PREFIX = "%m [%p] %q%u@%d ";

describe.skipIf(!(await syslogAvailable()))("pg-stderr through syslog", () => {
  let server: PostgresInstance;
  let truth: PostgresWorkloadTruth;
  let raw: string;
  let parsed: ParsedLog;

  beforeAll(async () => {
    server = await startPostgres({
      syslog: true,
      settings: {
        log_destination: "syslog",
        log_line_prefix: PREFIX,
        log_statement: "all",
        log_connections: true,
        log_disconnections: true,
      },
    });
    truth = await runPostgresWorkload({ connectionString: server.connectionString(), seed: 11 });
    await server.shutdown();
    raw = await server.readLogs("syslog");
    parsed = parseLog(pgFormat("pg-stderr"), raw);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("detects the syslog wrapper and the prefix inside it", () => {
    expect(raw).toMatch(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ postgres\[\d+\]: \[\d+-1\] /m);
    expect(raw).toMatch(/\[\d+-2\] #011/);
    expect(parsed.detection).toMatchObject({ format: "pg-stderr", prefix: PREFIX, syslog: true });
    // The shared syslog file also has runuser's PAM messages (the harness starts postgres with runuser): counted as
    // not PostgreSQL's, nothing else.
    expect(parsed.stats.linesNotUnderstood).toBeGreaterThan(0);
    for (const problem of parsed.stats.problems) {
      expect(problem).toMatchObject({ reason: "syslog message without [pid]: not from PostgreSQL" });
      expect(problem.text).toMatch(/ runuser: /);
    }
  });

  it("reassembles split and multi-line statements of every session", () => {
    for (const session of truth.sessions) {
      const run = parsed.events.filter(
        (e) => e.backendId === session.pid && (e.kind === "statement" || e.kind === "execute"),
      );
      expect(
        run.map((e) => e.statement),
        session.scenario,
      ).toEqual(session.statements.map((s) => s.text));
      expect(parsed.events.filter((e) => e.backendId === session.pid && e.kind === "connection_authorized")).toEqual([
        expect.objectContaining({ user: session.user, database: session.database, application: session.application }),
      ]);
    }
  });
});
