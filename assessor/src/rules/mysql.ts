import { MYSQL_DIALECT, type Token, tokenize } from "../statements/lexer.js";
import {
  functionCalls,
  identifier,
  isComplete,
  isPunctuation,
  keyword,
  splitStatements,
  splitTopLevel,
} from "../statements/token-statements.js";
import type { EngineRules } from "./classifier.js";
import type { FastPath } from "./fast-path.js";
import { type FindingCollector, pinFinding } from "./findings.js";

/**
 * MySQL / MariaDB rules over the lexer's tokens (there is no embeddable MySQL parser). Facts: AWS "Avoiding pinning
 * an RDS Proxy", sections "Conditions that cause pinning for RDS for MariaDB and RDS for MySQL" and "What RDS Proxy
 * tracks for RDS for MariaDB and RDS for MySQL databases".
 */

const FAST_PATH: FastPath = {
  harmlessLeadingKeywords: new Set([
    "select",
    "insert",
    "update",
    "delete",
    "replace",
    "with",
    "values",
    "table",
    "begin",
    "start",
    "commit",
    "rollback",
    "savepoint",
    "release",
    "show",
    "use",
    "describe",
    "desc",
  ]),
  // User variables (@x, also hit by e-mail addresses in strings: a parse, not a wrong answer), pinning functions,
  // executable comments.
  mightPin: /@|get_lock|found_rows|row_count|\/\*M?!/i,
  dialect: MYSQL_DIALECT,
};

/** Session variables RDS Proxy tracks: it reuses connections with matching values instead of pinning. */
const TRACKED_VARIABLES = new Set([
  "autocommit",
  "auto_increment_increment",
  "interactive_timeout",
  "net_write_timeout",
  "wait_timeout",
  "query_cache_type",
  "session_track_schema",
  "sql_mode",
  "time_zone",
  "transaction_isolation",
  "tx_isolation",
  "transaction_read_only",
  "tx_read_only",
]);
/** SET NAMES, SET CHARACTER SET / CHARSET / CHAR SET: tracked as well. */
const CHARACTER_SET_KEYWORDS = new Set(["names", "character", "charset", "char"]);
const GLOBAL_SCOPES = new Set(["global", "persist", "persist_only"]);
const SESSION_SCOPES = new Set(["session", "local"]);
const ROUTINES = new Set(["procedure", "function", "trigger", "event"]);

export function isTrackedVariable(name: string): boolean {
  return TRACKED_VARIABLES.has(name) || name.startsWith("character_set_") || name.startsWith("collation_");
}

export function mysqlRules(): EngineRules {
  return {
    engine: "mysql",
    fastPath: FAST_PATH,
    analyze(text, findings) {
      const tokens = tokenize(text, MYSQL_DIALECT);
      for (const token of tokens) {
        if (token.kind === "executable_comment" && token.text !== "*/") {
          findings.add("mysql.executable_comment", token.text);
        }
      }
      const code = tokens.filter((token) => token.kind !== "executable_comment");
      // A stored routine's body runs later, when called, and AWS says routines do not pin: its SETs and user
      // variables do not count, and its inner semicolons do not end the statement.
      if (!isRoutineDefinition(code)) {
        for (const statement of splitStatements(code)) analyzeStatement(statement, findings);
      }
      return isComplete(tokens) ? "parser" : "lexical";
    },
    protocolFinding(statement) {
      // No MySQL counterpart of PostgreSQL's 2023 change: a binary-protocol prepare pins in every profile.
      return statement.via === "parse" ? pinFinding("mysql.prepared_statement", ["COM_STMT_PREPARE"]) : undefined;
    },
  };
}

function analyzeStatement(tokens: Token[], findings: FindingCollector): void {
  const words = tokens.slice(0, 4).map(keyword);
  switch (words[0]) {
    case "set":
      setStatement(tokens, findings);
      break;
    case "lock":
      if (words[1] === "table" || words[1] === "tables") findings.add("mysql.lock_tables", "LOCK TABLES");
      break;
    case "flush":
      if (holdsTableLock(tokens)) findings.add("mysql.lock_tables", "FLUSH TABLES WITH READ LOCK");
      break;
    case "create":
      if (words.slice(1).includes("temporary")) findings.add("mysql.temp_table", "CREATE TEMPORARY TABLE");
      break;
    case "prepare":
    case "execute":
      findings.add("mysql.prepared_statement", words[0].toUpperCase());
      break;
    case "deallocate":
    case "drop":
      if (words[1] === "prepare") findings.add("mysql.prepared_statement", `${words[0].toUpperCase()} PREPARE`);
      break;
  }
  // Reading a user variable counts as well as setting one: the value only exists on one connection.
  for (const token of tokens) {
    if (token.kind === "user_variable") findings.add("mysql.user_variable", token.text.toLowerCase());
  }
  for (const call of functionCalls(tokens)) {
    // A qualified name (db.get_lock) is a stored function, not the built-in.
    if (call.qualifier !== undefined) continue;
    if (call.name === "get_lock") findings.add("mysql.get_lock", "GET_LOCK()");
    else if (call.name === "found_rows" || call.name === "row_count") {
      findings.add("mysql.found_rows_row_count", `${call.name.toUpperCase()}()`);
    }
  }
}

function setStatement(tokens: Token[], findings: FindingCollector): void {
  const first = keyword(tokens[1]);
  const second = keyword(tokens[2]);
  if (first === "statement") {
    // MariaDB SET STATEMENT var = value [, ...] FOR statement: the values last for that one statement only.
    const forAt = tokens.findIndex((token, i) => i > 1 && keyword(token) === "for");
    if (forAt !== -1) analyzeStatement(tokens.slice(forAt + 1), findings);
    return;
  }
  if (first === "transaction") {
    findings.add("mysql.next_transaction_setting", "SET TRANSACTION");
    return;
  }
  // SET SESSION TRANSACTION sets the tracked transaction_isolation / transaction_read_only; GLOBAL is not a session.
  if (second === "transaction" && first !== undefined && (GLOBAL_SCOPES.has(first) || SESSION_SCOPES.has(first))) {
    return;
  }
  // Account changes, not session state.
  if (first === "password" || (first === "default" && second === "role")) return;
  if (first === "role") {
    findings.add("mysql.system_variable", "ROLE");
    return;
  }
  // The most recent GLOBAL / SESSION keyword applies to later assignments without one (MySQL SET syntax).
  let scope: "global" | "session" = "session";
  for (const assignment of splitTopLevel(tokens.slice(1))) {
    let target = assignment;
    const scopeWord = keyword(assignment[0]);
    if (scopeWord !== undefined && GLOBAL_SCOPES.has(scopeWord)) scope = "global";
    else if (scopeWord !== undefined && SESSION_SCOPES.has(scopeWord)) scope = "session";
    if (scopeWord !== undefined && (GLOBAL_SCOPES.has(scopeWord) || SESSION_SCOPES.has(scopeWord))) {
      target = assignment.slice(1);
    }
    const head = target[0];
    if (!head || head.kind === "user_variable") continue;
    const variable = head.kind === "system_variable" ? systemVariable(head.text) : namedVariable(target, scope);
    if (variable === undefined || variable.scope === "global" || CHARACTER_SET_KEYWORDS.has(variable.name)) continue;
    if (!isTrackedVariable(variable.name)) findings.add("mysql.system_variable", variable.name);
  }
}

interface VariableTarget {
  name: string;
  scope: "global" | "session";
}

/** "@@sql_mode", "@@SESSION.sql_mode", "@@global.`x`": a bare @@name is the session variable. */
function systemVariable(text: string): VariableTarget {
  const body = text.slice(2);
  const dot = body.indexOf(".");
  const prefix = dot === -1 ? "" : body.slice(0, dot).toLowerCase();
  const scoped = GLOBAL_SCOPES.has(prefix) || SESSION_SCOPES.has(prefix);
  const name = (scoped ? body.slice(dot + 1) : body).replaceAll("`", "").toLowerCase();
  return { name, scope: GLOBAL_SCOPES.has(prefix) ? "global" : "session" };
}

/** name or component.name (validate_password.length) up to "=" / ":=". */
function namedVariable(tokens: Token[], scope: "global" | "session"): VariableTarget | undefined {
  let name = identifier(tokens[0]);
  if (name === undefined) return undefined;
  for (let i = 1; isPunctuation(tokens[i], ".") && identifier(tokens[i + 1]) !== undefined; i += 2) {
    name += `.${identifier(tokens[i + 1])}`;
  }
  return { name, scope };
}

/** FLUSH TABLE(S) [names] WITH READ LOCK, and FLUSH TABLES names FOR EXPORT (locked until UNLOCK TABLES). */
function holdsTableLock(tokens: Token[]): boolean {
  const words = tokens.map(keyword);
  if (words[1] !== "table" && words[1] !== "tables") return false;
  for (let i = 2; i < words.length; i++) {
    if (words[i] === "with" && words[i + 1] === "read" && words[i + 2] === "lock") return true;
    if (words[i] === "for" && words[i + 1] === "export") return true;
  }
  return false;
}

/** CREATE [OR REPLACE] [DEFINER = user] [SQL SECURITY ...] [AGGREGATE] {PROCEDURE | FUNCTION | TRIGGER | EVENT}. */
function isRoutineDefinition(tokens: Token[]): boolean {
  if (keyword(tokens[0]) !== "create") return false;
  let i = 1;
  for (;;) {
    const word = keyword(tokens[i]);
    if (word === "or" || word === "replace" || word === "aggregate") {
      i++;
    } else if (word === "definer") {
      i++;
      if (tokens[i]?.text === "=") i++;
      i++; // the user
      if (tokens[i]?.text === "@") i += 2; // 'user'@'host'
      if (isPunctuation(tokens[i], "(") && isPunctuation(tokens[i + 1], ")")) i += 2; // CURRENT_USER()
    } else if (word === "sql" && keyword(tokens[i + 1]) === "security") {
      i += 3;
    } else {
      return word !== undefined && ROUTINES.has(word);
    }
  }
}
