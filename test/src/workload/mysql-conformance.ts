import { readFile } from "node:fs/promises";
import type { LogEvent } from "@proxyfit/assessor";
import { LOG_FORMATS } from "@proxyfit/assessor";
import { describe, expect, it } from "vitest";
import { type MariadbInstance, startMariadb } from "../servers/mariadb.js";
import { type MysqlSessionTruth, type MysqlWorkloadResult, runMysqlWorkload, type WorkloadCommand } from "./mysql.js";
import { type ParsedLog, parseLog } from "./pg-conformance.js";

/** One run of the MySQL workload against a throwaway MariaDB with both query logs on, restarted at the end. */
export interface MysqlLogRun {
  truth: MysqlWorkloadResult;
  generalLog: string;
  slowLog: string;
}

/**
 * Starts the server and runs the workload on first use; every suite of a test file shares the run. The server is
 * restarted after the workload so both logs end with the start-up header lines of a new server run, as real logs do.
 */
export function sharedMysqlLogRun(seed = 5): { get(): Promise<MysqlLogRun>; stop(): Promise<void> } {
  let server: MariadbInstance | undefined;
  let run: Promise<MysqlLogRun> | undefined;
  return {
    get: () => {
      run ??= (async () => {
        server = await startMariadb({ generalLog: true, slowLog: true });
        const truth = await runMysqlWorkload({ connection: server.connectionOptions(), seed });
        await server.restart();
        const [generalLog, slowLog] = await Promise.all([
          readFile(server.generalLogPath, "utf8"),
          readFile(server.slowLogPath, "utf8"),
        ]);
        return { truth, generalLog, slowLog };
      })();
      return run;
    },
    stop: async () => {
      await server?.stop();
    },
  };
}

/** What one MySQL format shows of the workload. */
export interface MysqlLogSetup {
  format: "mysql-general" | "mysql-slow";
  log: "generalLog" | "slowLog";
  /** The texts of the session's statement and execute events, in order. */
  statementsShown(session: MysqlSessionTruth): string[];
  /** Connect / Quit lines (and the refused login). */
  showsConnections: boolean;
  /** Binary-protocol prepares and closes. */
  showsPreparedStatementCommands: boolean;
  /** Every statement carries its server-side duration. */
  showsDurations: boolean;
}

/** The general log: every command as received; an Execute line shows the statement with its parameters in place. */
export const GENERAL_LOG_SETUP: MysqlLogSetup = {
  format: "mysql-general",
  log: "generalLog",
  statementsShown: (session) =>
    session.commands.flatMap((c) => {
      if (c.kind === "query") return [c.sql];
      if (c.kind === "execute") return [withParameters(c)];
      return [];
    }),
  showsConnections: true,
  showsPreparedStatementCommands: true,
  showsDurations: false,
};

/**
 * The slow log (long_query_time=0): every statement once it ran, with its duration. It shows a binary-protocol
 * execute as the statement with its parameters in place, and SQL `EXECUTE name` as the prepared statement's text.
 */
export const SLOW_LOG_SETUP: MysqlLogSetup = {
  format: "mysql-slow",
  log: "slowLog",
  statementsShown: (session) => {
    const prepared = new Map<string, string>();
    return session.commands.flatMap((c) => {
      if (c.kind === "execute") return [withParameters(c)];
      if (c.kind !== "query") return [];
      const prepare = /^PREPARE (\w+) FROM '([^']*)'$/.exec(c.sql);
      if (prepare) prepared.set(prepare[1]!, prepare[2]!);
      const execute = /^EXECUTE (\w+)$/.exec(c.sql);
      return [execute ? (prepared.get(execute[1]!) ?? c.sql) : c.sql];
    });
  },
  showsConnections: false,
  showsPreparedStatementCommands: false,
  showsDurations: true,
};

function withParameters(command: WorkloadCommand): string {
  const params = [...(command.params ?? [])];
  return command.sql.replace(/\?/g, () => {
    const value = params.shift();
    return typeof value === "number" ? String(value) : `'${String(value)}'`;
  });
}

function format(id: MysqlLogSetup["format"]) {
  const found = LOG_FORMATS.find((f) => f.id === id);
  if (!found) throw new Error(`format ${id} is not registered`);
  return found;
}

/**
 * The conformance suite both MySQL formats run: parse the format's log of the shared run and check that the events
 * reproduce the truth of every session, as far as that log shows it.
 */
export function describeMysqlFormatConformance(setup: MysqlLogSetup, loadRun: () => Promise<MysqlLogRun>): void {
  describe(`${setup.format} conformance on MariaDB`, () => {
    let truth: MysqlWorkloadResult;
    let parsed: ParsedLog;
    const load = async () => {
      const run = await loadRun();
      truth = run.truth;
      parsed ??= parseLog(format(setup.format), run[setup.log], { file: `${setup.log}.log` });
    };

    it("is detected as its format by the registry", async () => {
      const run = await loadRun();
      const sample = run[setup.log].split("\n").slice(0, 400);
      const detections = LOG_FORMATS.map((f) => f.detect(sample)).filter((d) => d !== null);
      const best = detections.reduce((a, b) => (b.confidence > a.confidence ? b : a));
      expect(best.format).toBe(setup.format);
      expect(best.confidence).toBeGreaterThan(0.95);
    });

    it("understands every line", async () => {
      await load();
      expect(parsed.stats.problems).toEqual([]);
      expect(parsed.stats.linesNotUnderstood).toBe(0);
    });

    it("times every event within the run and gives it a thread id", async () => {
      await load();
      // MariaDB writes whole seconds: an event may carry the second the run started in.
      for (const event of parsed.events) {
        expect(event.time, JSON.stringify(event)).toBeGreaterThanOrEqual(truth.startedAt - 1000);
        expect(event.time, JSON.stringify(event)).toBeLessThanOrEqual(truth.finishedAt + 1000);
        expect(Number.isInteger(event.backendId), JSON.stringify(event)).toBe(true);
      }
    });

    it("reproduces each session's statements, user and database", async () => {
      await load();
      expect(truth.sessions.length).toBeGreaterThan(20);
      for (const session of truth.sessions) {
        const label = `${session.scenario} (thread ${session.threadId})`;
        const events = parsed.events.filter((e) => e.backendId === session.threadId);
        const run = events.filter((e) => e.kind === "statement" || e.kind === "execute");
        expect(
          run.map((e) => e.statement),
          label,
        ).toEqual(setup.statementsShown(session));
        for (const event of events) {
          if (event.user !== undefined) expect(event.user, label).toBe(session.user);
          if (event.database !== undefined) expect(event.database, label).toBe(session.database);
          if (event.clientAddress !== undefined) expect(event.clientAddress, label).toBe("127.0.0.1");
        }
        if (setup.showsDurations) {
          for (const event of run) expect(event.durationMs, `${label}: ${event.statement}`).toBeGreaterThanOrEqual(0);
        }
        for (let i = 1; i < events.length; i++)
          expect(events[i]!.time, label).toBeGreaterThanOrEqual(events[i - 1]!.time);
      }
    });

    it("reproduces connections, disconnections and binary-protocol commands where the log has them", async () => {
      await load();
      for (const session of truth.sessions) {
        const label = `${session.scenario} (thread ${session.threadId})`;
        const events = parsed.events.filter((e) => e.backendId === session.threadId);
        const kinds = (kind: LogEvent["kind"]) => events.filter((e) => e.kind === kind);
        const client = { user: session.user, database: session.database, clientAddress: "127.0.0.1" };
        if (setup.showsConnections) {
          expect(kinds("connection_received"), label).toMatchObject([client]);
          expect(kinds("connection_authorized"), label).toMatchObject([client]);
          // A client that dropped its socket leaves no Quit line; the server restart closes its session.
          expect(
            kinds("disconnection").map((e) => e.message),
            label,
          ).toEqual([session.quit ? undefined : "server restart"]);
        } else {
          for (const kind of ["connection_received", "connection_authorized", "disconnection"] as const) {
            expect(kinds(kind), label).toEqual([]);
          }
        }
        const prepares = kinds("prepare");
        const closes = kinds("close_statement");
        if (setup.showsPreparedStatementCommands) {
          expect(
            prepares.map((e) => [e.statement, e.protocol]),
            label,
          ).toEqual(session.commands.filter((c) => c.kind === "prepare").map((c) => [c.sql, "extended"]));
          expect(closes, label).toHaveLength(session.closes);
          for (const execute of kinds("execute")) expect(execute.protocol, label).toBe("extended");
        } else {
          expect([...prepares, ...closes, ...kinds("execute")], label).toEqual([]);
        }
      }
    });

    it("shows the refused login where the log has connections, and no session the workload did not run", async () => {
      await load();
      const known = new Set([...truth.sessions.map((s) => s.threadId), ...truth.setupThreadIds]);
      const others = parsed.events.filter((e) => !known.has(e.backendId));
      if (!setup.showsConnections) {
        expect(others).toEqual([]);
        return;
      }
      expect(others.map((e) => e.kind)).toEqual(["connection_received", "error", "disconnection"]);
      expect(others[1]).toMatchObject({ user: truth.failedLogins[0], errorCode: "1045" });
      expect(others[1]!.message).toMatch(/^Access denied for user 'app_rw'@'127\.0\.0\.1'/);
    });
  });
}
