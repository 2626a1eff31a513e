import type { LogEvent } from "@proxyfit/assessor";
import { LOG_FORMATS } from "@proxyfit/assessor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresInstance, type PostgresLogKind, startPostgres } from "../servers/postgres.js";
import { type PostgresWorkloadTruth, runPostgresWorkload, type SessionTruth } from "./postgres.js";

type LogFormat = (typeof LOG_FORMATS)[number];
type FormatDetection = NonNullable<ReturnType<LogFormat["detect"]>>;
type ParserStats = ReturnType<LogFormat["open"]>["stats"];

export function pgFormat(id: "pg-stderr" | "pg-csv" | "pg-json"): LogFormat {
  const format = LOG_FORMATS.find((f) => f.id === id);
  if (!format) throw new Error(`format ${id} is not registered`);
  return format;
}

export interface ParsedLog {
  detection: FormatDetection | null;
  events: LogEvent[];
  stats: ParserStats;
}

/** Splits a log into lines and runs the format's detection (on the first 400 lines) and parser over them. */
export function parseLog(format: LogFormat, content: string, options: { prefix?: string; file?: string } = {}): ParsedLog {
  const lines = content.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const detection = format.detect(lines.slice(0, 400));
  const parser = format.open({
    file: options.file ?? "postgresql.log",
    prefix: options.prefix ?? detection?.prefix,
    syslog: detection?.syslog,
  });
  const events: LogEvent[] = [];
  const emit = (event: LogEvent) => events.push(event);
  for (let i = 0; i < lines.length; i++) parser.line(lines[i]!, i + 1, emit);
  parser.end(emit);
  return { detection, events, stats: parser.stats };
}

/** A server configuration whose logs one format reads. */
export interface PgLogSetup {
  name: string;
  format: "pg-stderr" | "pg-csv" | "pg-json";
  settings: Record<string, string | number | boolean>;
  /** The log_line_prefix detection must find (stderr), when it is expected to find exactly the configured one. */
  expectPrefix?: string;
  /** Rewrites the server's log before parsing (e.g. into syslog form). */
  transform?: (content: string) => string;
}

const KIND: Record<PgLogSetup["format"], PostgresLogKind> = { "pg-stderr": "stderr", "pg-csv": "csvlog", "pg-json": "jsonlog" };
const DESTINATION: Record<PgLogSetup["format"], string> = { "pg-stderr": "stderr", "pg-csv": "csvlog", "pg-json": "jsonlog" };

function has(settings: PgLogSetup["settings"], name: string, value: string | number | boolean): boolean {
  return settings[name] === value;
}

/**
 * The conformance suite every PostgreSQL format runs: start a throwaway server with the setup's log settings, run
 * the workload, parse the server's log, and check that the events reproduce the truth of every session.
 */
export function describePgFormatConformance(setup: PgLogSetup): void {
  describe(`${setup.format} conformance: ${setup.name}`, () => {
    let server: PostgresInstance;
    let truth: PostgresWorkloadTruth;
    let parsed: ParsedLog;
    const logsStatements = has(setup.settings, "log_statement", "all");
    const logsDurations = has(setup.settings, "log_min_duration_statement", 0);
    const prefix = String(setup.settings.log_line_prefix ?? "");
    const prefixHas = (letter: string) => setup.format !== "pg-stderr" || prefix.includes(letter);

    beforeAll(async () => {
      server = await startPostgres({
        settings: {
          log_destination: DESTINATION[setup.format],
          log_connections: true,
          log_disconnections: true,
          ...setup.settings,
        },
      });
      truth = await runPostgresWorkload({ connectionString: server.connectionString(), seed: 7 });
      await server.shutdown();
      const content = await server.readLogs(KIND[setup.format]);
      parsed = parseLog(pgFormat(setup.format), setup.transform ? setup.transform(content) : content);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("is detected as its format", () => {
      expect(parsed.detection?.format).toBe(setup.format);
      expect(parsed.detection?.confidence).toBeGreaterThan(0.95);
      if (setup.expectPrefix !== undefined) expect(parsed.detection?.prefix).toBe(setup.expectPrefix);
    });

    it("understands every line", () => {
      expect(parsed.stats.problems).toEqual([]);
      expect(parsed.stats.linesNotUnderstood).toBe(0);
    });

    it("gives every event a time and a backend", () => {
      for (const event of parsed.events) {
        expect(Number.isFinite(event.time), JSON.stringify(event)).toBe(true);
        expect(Number.isInteger(event.backendId), JSON.stringify(event)).toBe(true);
      }
    });

    it("reproduces each session's connection, statements, extended-protocol steps and errors", () => {
      expect(truth.sessions.length).toBeGreaterThan(20);
      for (const session of truth.sessions) checkSession(session, eventsOf(parsed.events, session.pid));
    });

    function checkSession(session: SessionTruth, events: LogEvent[]): void {
      const label = `${session.scenario} (pid ${session.pid})`;
      const kinds = (kind: LogEvent["kind"]) => events.filter((e) => e.kind === kind);

      const authorized = kinds("connection_authorized");
      expect(kinds("connection_received"), label).toHaveLength(1);
      expect(authorized, label).toHaveLength(1);
      expect(authorized[0], label).toMatchObject({
        user: session.user,
        database: session.database,
        application: session.application,
      });
      const disconnection = kinds("disconnection");
      expect(disconnection, label).toHaveLength(1);
      expect(disconnection[0], label).toMatchObject({ user: session.user, database: session.database });

      const run = events.filter((e) => e.kind === "statement" || e.kind === "execute");
      expect(
        run.map((e) => e.statement),
        label,
      ).toEqual(session.statements.map((s) => s.text));
      session.statements.forEach((sent, i) => {
        const event = run[i]!;
        if (sent.via === "extended") {
          expect(event, label).toMatchObject({ kind: "execute", protocol: "extended", statementName: sent.name });
        } else {
          expect(event.kind, label).toBe("statement");
        }
        if (logsDurations && !sent.fails) expect(event.durationMs, `${label}: ${sent.text}`).toBeGreaterThanOrEqual(0);
        if (prefixHas("%u")) expect(event.user, label).toBe(session.user);
        if (prefixHas("%d")) expect(event.database, label).toBe(session.database);
        if (prefixHas("%a")) expect(event.application, label).toBe(session.application);
      });

      // Parse and bind are logged only by log_min_duration_statement; log_statement=all shows the execute only.
      const parses = kinds("parse");
      if (logsDurations) {
        expect(parses, label).toHaveLength(session.parseCount);
        expect(kinds("bind"), label).toHaveLength(session.statements.filter((s) => s.via === "extended").length);
      } else {
        expect(parses, label).toHaveLength(0);
      }

      const errors = kinds("error");
      expect(errors, label).toHaveLength(session.errorCount);
      const failed = session.statements.filter((s) => s.fails).map((s) => s.text);
      expect(
        errors.map((e) => e.statement),
        label,
      ).toEqual(failed);
      if (prefixHas("%e")) for (const error of errors) expect(error.errorCode, label).toMatch(/^[0-9A-Z]{5}$/);

      if (logsStatements || logsDurations) {
        // %t has whole seconds: a start time computed from it (line time minus duration) may fall before the
        // connection's own truncated time by up to a second.
        const slack = setup.format === "pg-stderr" && !/%[mn]/.test(prefix) ? 1000 : 1;
        const first = events.find((e) => e.kind === "connection_received")!;
        const last = disconnection[0]!;
        for (const event of run) {
          expect(event.time, label).toBeGreaterThanOrEqual(first.time - slack);
          expect(event.time, label).toBeLessThanOrEqual(last.time + slack);
        }
      }
    }
  });
}

/** The events of one backend, in the order the parser emitted them. */
function eventsOf(events: readonly LogEvent[], pid: number): LogEvent[] {
  return events.filter((e) => e.backendId === pid);
}
