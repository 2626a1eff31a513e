import { assess, bufferInput } from "@proxyfit/assessor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * The pin-ratio range contains the truth whatever the logging settings: random workloads of known truth are written
 * as PostgreSQL would log them under random settings (log_min_duration_statement, log_statement, connection lines),
 * and the report's range must hold the true ratio, its coverage must name the settings, and a complete log must give
 * the point it gave before coverage existed.
 */

const PINNING = ["SET statement_timeout = 0", "SELECT nextval('invoice_seq')", "LISTEN order_events", "SELECT pg_advisory_lock(7)"];
const MODIFICATIONS = ["INSERT INTO orders (status) VALUES ('new')", "UPDATE orders SET status = 'paid' WHERE id = 3"];
const READS = ["SELECT * FROM orders WHERE id = 1", "SELECT count(*) FROM orders"];
const DDL = ["CREATE TABLE IF NOT EXISTS audit (x int)"];

interface Statement {
  text: string;
  durationMs: number;
  level: "all" | "mod" | "ddl";
}
interface Session {
  statements: Statement[];
}
interface Settings {
  logMinDuration: number;
  logStatement: "none" | "ddl" | "mod" | "all";
  connections: boolean;
}

const statement: fc.Arbitrary<Statement> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...PINNING).map((text) => ({ text, level: "all" as const })),
      fc.constantFrom(...MODIFICATIONS).map((text) => ({ text, level: "mod" as const })),
      fc.constantFrom(...READS).map((text) => ({ text, level: "all" as const })),
      fc.constantFrom(...DDL).map((text) => ({ text, level: "ddl" as const })),
    ),
    // Durations as real ones spread: most statements microseconds to a few ms, a few slow ones.
    fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 5, max: 3000 }).map((us) => us / 1000) },
      { weight: 1, arbitrary: fc.integer({ min: 3, max: 400 }) },
    ),
  )
  .map(([s, durationMs]) => ({ ...s, durationMs }));

const workload = fc.array(fc.record({ statements: fc.array(statement, { minLength: 1, maxLength: 6 }) }), {
  minLength: 1,
  maxLength: 30,
});
const settings: fc.Arbitrary<Settings> = fc.record({
  logMinDuration: fc.constantFrom(-1, 0, 1, 5, 100),
  logStatement: fc.constantFrom("none", "ddl", "mod", "all"),
  connections: fc.boolean(),
});

const START = Date.parse("2026-11-24T10:00:00.000Z");

function stamp(ms: number): string {
  return `${new Date(ms).toISOString().replace("T", " ").replace("Z", "")} UTC`;
}

/** What PostgreSQL 15 writes for the workload under the settings (prefix "%m [%p] %q%u@%d "). */
function writeLog(sessions: Session[], s: Settings): string {
  let clock = START;
  const lines = [`${stamp(clock)} [900] LOG:  database system is ready to accept connections`];
  sessions.forEach((session, index) => {
    const pid = 1000 + index;
    const line = (text: string, who = "app@shop") => lines.push(`${stamp(clock)} [${pid}] ${who} LOG:  ${text}`);
    if (s.connections) {
      line("connection received: host=10.0.0.5 port=5000", "[unknown]@[unknown]");
      line("connection authorized: user=app database=shop application_name=api");
    }
    for (const st of session.statements) {
      clock += 1;
      const logged = loggedAtStart(st, s);
      if (logged) line(`statement: ${st.text}`);
      clock += Math.ceil(st.durationMs);
      if (logged && slow(st, s)) line(`duration: ${st.durationMs.toFixed(3)} ms`);
      else if (slow(st, s)) line(`duration: ${st.durationMs.toFixed(3)} ms  statement: ${st.text}`);
    }
    clock += 1;
    if (s.connections) line("disconnection: session time: 0:00:00.010 user=app database=shop host=10.0.0.5 port=5000");
  });
  return `${lines.join("\n")}\n`;
}

/** What the log shows of statement logging: the levels of the statements it logged as they started, or a threshold. */
function expectedStatements(sessions: Session[], s: Settings): string {
  const all = sessions.flatMap((x) => x.statements);
  const atStart = all.filter((st) => loggedAtStart(st, s));
  if (atStart.some((st) => st.level === "all")) return "all";
  const atCompletion = all.filter((st) => !loggedAtStart(st, s) && slow(st, s));
  // log_min_duration_statement = 0 is told from a threshold only by the fastest 5% of the statements logged at
  // completion taking under 0.5 ms: a log of a few slow statements cannot be told from a thresholded one, and is read
  // as thresholded (the safe side).
  const durations = atCompletion.map((st) => st.durationMs).sort((a, b) => a - b);
  const noThreshold = durations.length > 0 && durations[Math.floor(durations.length * 0.05)]! < 0.5;
  if (noThreshold) return "all";
  if (atStart.some((st) => st.level === "mod")) return "mod";
  if (atStart.length > 0) return "ddl";
  return atCompletion.length > 0 ? "above-threshold" : "none";
}

function loggedAtStart(st: Statement, s: Settings): boolean {
  return s.logStatement === "all" || (s.logStatement === "mod" && st.level !== "all") || (s.logStatement === "ddl" && st.level === "ddl");
}

function slow(st: Statement, s: Settings): boolean {
  return s.logMinDuration >= 0 && Math.floor(st.durationMs) >= s.logMinDuration;
}

describe("the pin-ratio range", () => {
  it("contains the true ratio under any logging settings, and names the settings", async () => {
    await fc.assert(
      fc.asyncProperty(workload, settings, async (sessions, s) => {
        const truth = sessions.filter((x) => x.statements.some((st) => PINNING.includes(st.text))).length / sessions.length;
        // Format detection is not under test: a log of one unlogged statement has no line to detect from.
        const report = await assess([bufferInput("generated.log", writeLog(sessions, s))], {
          logFormat: "pg-stderr",
          prefix: "%m [%p] %q%u@%d ",
        });
        const { pinRatioRange, coverage } = report.summary;
        if (report.summary.sessions > 0 || coverage.complete) {
          expect(pinRatioRange.min).toBeLessThanOrEqual(truth + 1e-9);
          expect(pinRatioRange.max).toBeGreaterThanOrEqual(truth - 1e-9);
        }
        const input = report.inputs[0]!.coverage;
        expect(input.statements).toBe(expectedStatements(sessions, s));
        expect(input.sessionsFrom).toBe(s.connections ? "connection-lines" : "backend-ids");
        const complete = input.statements === "all" && s.connections;
        expect(coverage.complete).toBe(complete);
        expect(report.recommendation!.thin_evidence.some((t) => t.cause === "partial-logging")).toBe(!complete);
        if (complete) {
          // Exactly what the report said before coverage existed.
          expect(report.summary.pinRatio).toBeCloseTo(truth, 9);
          expect(pinRatioRange).toEqual({ min: report.summary.pinRatio, max: report.summary.pinRatio });
        }
        const threshold = input.durationThreshold;
        if (input.statements === "above-threshold") expect(threshold!.estimateMs).toBeGreaterThanOrEqual(s.logMinDuration);
      }),
      { seed: 13, numRuns: 60 },
    );
  }, 120_000);
});
