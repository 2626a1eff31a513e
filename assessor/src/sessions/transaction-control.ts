import type { Engine } from "../events/log-event.js";

/** What a statement does to the transaction state of its session. */
export type TransactionEffect = "begin" | "commit" | "rollback" | "autocommit-off" | "autocommit-on" | "none";

/**
 * Reads the transaction-control keywords of a statement without parsing it: the first words of each top-level
 * statement (a simple query may hold several, separated by semicolons outside quotes and comments).
 */
export function transactionEffects(sql: string, engine: Engine): readonly TransactionEffect[] {
  // Most statements are single (at most a trailing semicolon) and start with SELECT/INSERT/UPDATE/DELETE: no scan.
  if (isSingleStatement(sql)) {
    if (!TRANSACTION_CONTROL_START.test(sql)) return NONE;
    // BEGIN; ... END; around every transaction: known without splitting them into words.
    if (BARE_TRANSACTION_CONTROL.test(sql)) return bareEffect(sql);
  }
  const effects: TransactionEffect[] = [];
  for (const words of leadingWords(sql, 4, engine)) {
    const effect = effectOf(words, engine);
    if (effect !== "none") effects.push(effect);
  }
  return effects;
}

const NONE: readonly TransactionEffect[] = [];
const BEGIN: readonly TransactionEffect[] = ["begin"];
const COMMIT: readonly TransactionEffect[] = ["commit"];
const ROLLBACK: readonly TransactionEffect[] = ["rollback"];

/**
 * A transaction-control keyword alone ("BEGIN", "END;", "ROLLBACK WORK"); separators as leadingWords splits on, so
 * both read the same text the same way.
 */
const BARE_TRANSACTION_CONTROL =
  /^[ \t\n\r]*(?:begin|start[ \t\n\r]+transaction|commit|end|abort|rollback)(?:[ \t\n\r]+(?:work|transaction))?[ \t\n\r]*;?[ \t\n\r]*$/i;

/** The effect of a BARE_TRANSACTION_CONTROL statement, from its first letter. */
function bareEffect(sql: string): readonly TransactionEffect[] {
  let i = 0;
  while (sql.charCodeAt(i) <= 32) i++;
  switch (sql.charCodeAt(i) | 32 /* lower case */) {
    case 98 /* b */:
    case 115 /* s */:
      return BEGIN;
    case 99 /* c */:
    case 101 /* e */:
      return COMMIT;
    default:
      return ROLLBACK;
  }
}

/** No semicolon but perhaps one at the very end ("END;" as pgbench sends it). */
function isSingleStatement(sql: string): boolean {
  const semicolon = sql.indexOf(";");
  if (semicolon === -1) return true;
  for (let i = semicolon + 1; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}
const TRANSACTION_CONTROL_START = /^[\s(]*(?:begin|start|commit|end|abort|rollback|set|\/\*|--)/i;

function effectOf(words: string[], engine: Engine): TransactionEffect {
  const [first, second, third] = words;
  switch (first) {
    case "begin":
      // MySQL's BEGIN ... END blocks only occur inside routine bodies, never as top-level statements.
      return "begin";
    case "start":
      return second === "transaction" ? "begin" : "none";
    case "commit":
    case "end":
      return "commit";
    case "abort":
      return "rollback";
    case "rollback":
      // ROLLBACK TO [SAVEPOINT] x keeps the transaction open; ROLLBACK PREPARED ends nothing in this session.
      return second === "to" || third === "to" || second === "prepared" ? "none" : "rollback";
    case "set": {
      const [variable, value] = second === "session" ? [third, words[3]] : [second, third];
      if (engine === "mysql" && (variable === "autocommit" || variable === "@@autocommit")) {
        if (value === "0" || value === "off" || value === "false") return "autocommit-off";
        if (value === "1" || value === "on" || value === "true") return "autocommit-on";
      }
      return "none";
    }
    default:
      return "none";
  }
}

/**
 * The first `count` lower-cased words of every top-level statement in `sql`. "=" separates words, so
 * `SET autocommit=0` reads as set, autocommit, 0.
 */
export function leadingWords(sql: string, count: number, engine: Engine): string[][] {
  const statements: string[][] = [];
  let words: string[] = [];
  /** Where the word being read started, or -1 between words. */
  let wordStart = -1;
  const endWord = (at: number) => {
    if (wordStart !== -1 && words.length < count) words.push(sql.slice(wordStart, at).toLowerCase());
    wordStart = -1;
  };
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c === SINGLE_QUOTE || c === DOUBLE_QUOTE || c === BACKTICK) {
      endWord(i);
      i = skipQuoted(sql, i, sql[i]!, engine === "mysql");
      if (words.length < count) words.push("?");
    } else if (c === DASH && sql.charCodeAt(i + 1) === DASH) {
      endWord(i);
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? sql.length : nl;
    } else if (c === SLASH && sql.charCodeAt(i + 1) === STAR) {
      endWord(i);
      const close = sql.indexOf("*/", i + 2);
      i = close === -1 ? sql.length : close + 1;
    } else if (c === SEMICOLON) {
      endWord(i);
      if (words.length > 0) statements.push(words);
      words = [];
    } else if (c === 32 || c === 9 || c === 10 || c === 13 || c === EQUALS || c === 40 || c === 41 || c === COMMA) {
      endWord(i);
    } else if (wordStart === -1) {
      wordStart = i;
    }
  }
  endWord(sql.length);
  if (words.length > 0) statements.push(words);
  return statements;
}

const SINGLE_QUOTE = 39;
const DOUBLE_QUOTE = 34;
const BACKTICK = 96;
const DASH = 45;
const SLASH = 47;
const STAR = 42;
const SEMICOLON = 59;
const EQUALS = 61;
const COMMA = 44;

/** PostgreSQL strings take no backslash escapes (standard_conforming_strings); MySQL's do. */
function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (backslashEscapes && sql[i] === "\\") i++;
    else if (sql[i] === quote) {
      if (sql[i + 1] === quote) i++;
      else return i;
    }
  }
  return sql.length;
}

/** First words of statements that only read (transaction control and session settings change no data). */
const READ_ONLY_START =
  /^[\s(]*(?:select|show|with|explain|values|table|fetch|begin|start|commit|end|rollback|abort|set|reset|describe|desc|use|help)\b/i;
const WRITES_INSIDE = /\b(?:for\s+(?:no\s+key\s+)?update|for\s+(?:key\s+)?share|nextval|setval|into|insert|update|delete|merge)\b/i;

/**
 * Whether a statement could run on a read replica. Deliberately conservative: a data-modifying CTE, SELECT ... INTO,
 * row locks and sequence calls count as writes; functions that write are not visible and count as reads.
 */
export function isReadOnly(sql: string): boolean {
  return READ_ONLY_START.test(sql) && !WRITES_INSIDE.test(sql);
}
