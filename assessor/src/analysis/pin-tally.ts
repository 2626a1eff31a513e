import type { LogEvent } from "../events/log-event.js";
import type { PinningStatement, PinReasonSummary } from "../report/report.js";
import type { PinFinding, RuleDoc, RuleId } from "../rules/rulebook.js";
import type { OpenSession, PinListener } from "../sessions/session-tracker.js";
import type { StatementFingerprint } from "./statement-cache.js";

interface RuleTally {
  ambiguous: boolean;
  count: number;
  sessions: number;
  firstPinSessions: number;
  fingerprints: string[];
}

interface StatementTally extends PinningStatement {
  lastSessionSerial: number;
}

const EXAMPLE_FINGERPRINTS = 3;
/** Distinct setting statements remembered for init_query; more are rare and never a majority. */
const MAX_SETTINGS = 1000;
/** Longer setting statements are not remembered: init_query is for short settings, and 1000 huge ones would be GBs. */
const MAX_SETTING_LENGTH = 4096;
/**
 * Distinct (rule, fingerprint) pairs tallied exactly. Past twice this many (a log of endless distinct pinning
 * statements, say temp tables of ever new shapes) the rarest are forgotten down to this many, so memory follows
 * this bound, not the number of statements: the top statements a report lists are the most counted and survive.
 */
const MAX_STATEMENT_TALLIES = 10_000;
/** Their normalized texts together (each at most 16 kB): 20,000 long ones would be 320 MB. */
const MAX_STATEMENT_TALLY_CHARS = 32 * 1024 * 1024;
/** Rules whose statements could move to the target group's init_query instead. */
const SETTING_RULES = new Set<RuleId>(["pg.set", "mysql.system_variable"]);

/** A session-setting statement and how many sessions ran it, exactly as sent (values included). */
export interface RepeatedSetting {
  statement: string;
  sessions: number;
}

/** Counts pin findings per rule and per (fingerprint, rule) across all sessions. */
export class PinTally implements PinListener {
  private readonly rules = new Map<RuleId, RuleTally>();
  private readonly statements = new Map<string, StatementTally>();
  private statementChars = 0;
  private readonly settings = new Map<string, { sessions: number; lastSessionSerial: number }>();

  constructor(private readonly fingerprint: (sql: string) => StatementFingerprint) {}

  finding(finding: PinFinding, event: LogEvent, session: OpenSession, firstOfRuleInSession: boolean): void {
    const print = this.fingerprint(event.statement ?? "");
    let rule = this.rules.get(finding.rule);
    if (!rule) {
      rule = { ambiguous: finding.ambiguous, count: 0, sessions: 0, firstPinSessions: 0, fingerprints: [] };
      this.rules.set(finding.rule, rule);
    }
    rule.count++;
    if (firstOfRuleInSession) rule.sessions++;
    if (session.pinnedAt === undefined) rule.firstPinSessions++;
    if (rule.fingerprints.length < EXAMPLE_FINGERPRINTS && !rule.fingerprints.includes(print.fingerprint)) {
      rule.fingerprints.push(print.fingerprint);
    }

    const key = `${finding.rule}\u0000${print.fingerprint}`;
    let statement = this.statements.get(key);
    if (!statement) {
      statement = {
        fingerprint: print.fingerprint,
        rule: finding.rule,
        statement: print.normalized,
        count: 0,
        sessions: 0,
        lastSessionSerial: -1,
      };
      if (this.statements.size >= 2 * MAX_STATEMENT_TALLIES || this.statementChars > MAX_STATEMENT_TALLY_CHARS) {
        this.forgetRarestStatements();
      }
      this.statements.set(key, statement);
      this.statementChars += statement.statement.length;
    }
    statement.count++;
    if (statement.lastSessionSerial !== session.serial) {
      statement.lastSessionSerial = session.serial;
      statement.sessions++;
    }
    if (SETTING_RULES.has(finding.rule)) this.countSetting((event.statement ?? "").trim(), session.serial);
  }

  /** Distinct pinning statements tallied now (at most twice MAX_STATEMENT_TALLIES). */
  get statementTallies(): number {
    return this.statements.size;
  }

  /** Keeps the most counted statements: at most MAX_STATEMENT_TALLIES, with half the bound on their texts. */
  private forgetRarestStatements(): void {
    const byCount = [...this.statements.entries()].sort(
      ([, a], [, b]) => b.count - a.count || b.sessions - a.sessions,
    );
    this.statements.clear();
    this.statementChars = 0;
    for (const [key, statement] of byCount) {
      if (this.statements.size === MAX_STATEMENT_TALLIES) break;
      if (this.statementChars + statement.statement.length > MAX_STATEMENT_TALLY_CHARS / 2) break;
      this.statements.set(key, statement);
      this.statementChars += statement.statement.length;
    }
  }

  private countSetting(text: string, serial: number): void {
    let setting = this.settings.get(text);
    if (!setting) {
      if (this.settings.size >= MAX_SETTINGS || text.length > MAX_SETTING_LENGTH) return;
      setting = { sessions: 0, lastSessionSerial: -1 };
      this.settings.set(text, setting);
    }
    if (setting.lastSessionSerial !== serial) {
      setting.lastSessionSerial = serial;
      setting.sessions++;
    }
  }

  /** Session settings (SET ...) by how many sessions ran them, most first. */
  repeatedSettings(): RepeatedSetting[] {
    return [...this.settings.entries()]
      .map(([statement, { sessions }]) => ({ statement, sessions }))
      .sort((a, b) => b.sessions - a.sessions || a.statement.localeCompare(b.statement));
  }

  pinReasons(docOf: (id: RuleId) => RuleDoc): PinReasonSummary[] {
    return [...this.rules.entries()]
      .map(([id, tally]) => {
        const doc = docOf(id);
        return {
          rule: id,
          title: doc.title,
          ambiguous: tally.ambiguous,
          count: tally.count,
          sessions: tally.sessions,
          firstPinSessions: tally.firstPinSessions,
          remediation: doc.remediation,
          exampleFingerprints: tally.fingerprints,
        };
      })
      .sort((a, b) => b.sessions - a.sessions || b.count - a.count || a.rule.localeCompare(b.rule));
  }

  topStatements(limit: number): PinningStatement[] {
    return [...this.statements.values()]
      .sort((a, b) => b.count - a.count || b.sessions - a.sessions || a.fingerprint.localeCompare(b.fingerprint))
      .slice(0, limit)
      .map(({ lastSessionSerial: _, ...statement }) => statement);
  }
}
