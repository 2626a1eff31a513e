import { POSTGRES_DIALECT } from "../statements/lexer.js";
import type {
  A_Const,
  DefElem,
  FuncCall,
  IntoClause,
  Node,
  PostgresParser,
  RangeVar,
  SelectStmt,
  VariableSetStmt,
} from "../statements/pg-parser.js";
import { MAX_PARSED_TEXT_LENGTH } from "../statements/pg-parser.js";
import type { EngineRules } from "./classifier.js";
import type { FastPath } from "./fast-path.js";
import { type FindingCollector, pinFinding } from "./findings.js";
import { analyzePostgresLexically } from "./postgres-lexical.js";
import { isTemporarySchema, isTrueText, recordFunctionCall } from "./postgres-functions.js";

/**
 * PostgreSQL rules over libpg-query's parse tree (the server's own grammar). Facts: AWS "Avoiding pinning an RDS
 * Proxy", section "Conditions that cause pinning for RDS for PostgreSQL".
 */

const FAST_PATH: FastPath = {
  harmlessLeadingKeywords: new Set([
    "select",
    "insert",
    "update",
    "delete",
    "merge",
    "with",
    "values",
    "table",
    "begin",
    "start",
    "commit",
    "end",
    "rollback",
    "abort",
    "savepoint",
    "release",
    "show",
  ]),
  // Pinning functions, and SELECT ... INTO TEMP. "temp" also matches "temperature": that only costs a parse. "u&"
  // starts a Unicode-escaped identifier or string, which can spell any name (U&"set\005fconfig"): the raw text says
  // nothing about it, so the parser, which decodes it, decides.
  mightPin: /nextval|setval|set_config|advisory_lock|temp|u&/i,
  dialect: POSTGRES_DIALECT,
};

type AstObject = Record<string, unknown>;

/**
 * Statements whose expressions are definitions, not executed now: CREATE FUNCTION ... RETURN nextval(...),
 * DEFAULT nextval(...) in a table, a view or rule body, PREPARE's query (it runs at EXECUTE). Function calls inside
 * them do not count; PL/pgSQL bodies and DO blocks are strings to the parser and never reach the walk.
 */
const DEFINITIONS = new Set([
  "CreateFunctionStmt",
  "AlterFunctionStmt",
  "DoStmt",
  "AlterTableStmt",
  "RuleStmt",
  "CreateTrigStmt",
  "CreateEventTrigStmt",
  "IndexStmt",
  "CreatePolicyStmt",
  "AlterPolicyStmt",
  "CreateDomainStmt",
  "AlterDomainStmt",
  "CreateStatsStmt",
  "CommentStmt",
]);

/** DeclareCursorStmt option bit for WITH HOLD (CURSOR_OPT_HOLD in parsenodes.h). */
const CURSOR_OPT_HOLD = 0x20;

export function postgresRules(parser: PostgresParser): EngineRules {
  return {
    engine: "postgresql",
    fastPath: FAST_PATH,
    analyze(text, findings) {
      if (text.length > MAX_PARSED_TEXT_LENGTH) {
        analyzePostgresLexically(text, findings);
        return "lexical";
      }
      let statements: Node[];
      try {
        statements = (parser.parse(text).stmts ?? []).flatMap((raw) => (raw.stmt ? [raw.stmt] : []));
      } catch {
        // Rejected by the parser (truncated in a log, another dialect, or too deeply nested for it).
        analyzePostgresLexically(text, findings);
        return "lexical";
      }
      for (const statement of statements) classifyStatement(statement, findings);
      return "parser";
    },
    protocolFinding(statement, profile) {
      return statement.via === "parse" && profile.postgresParsePins ? pinFinding("pg.extended_protocol") : undefined;
    },
  };
}

function classifyStatement(node: Node, findings: FindingCollector): void {
  const [type, body] = only(node);
  switch (type) {
    case "VariableSetStmt":
      variableSet(body as VariableSetStmt, findings);
      return;
    case "PrepareStmt":
      findings.add("pg.sql_prepare", `PREPARE ${String(body.name ?? "")}`.trim());
      return;
    case "ExecuteStmt":
      findings.add("pg.sql_prepare", `EXECUTE ${String(body.name ?? "")}`.trim());
      walkExecuted(body.params, findings);
      return;
    case "DeallocateStmt":
      findings.add("pg.sql_prepare", body.isall ? "DEALLOCATE ALL" : `DEALLOCATE ${String(body.name ?? "")}`.trim());
      return;
    case "DiscardStmt":
      findings.add("pg.discard", `DISCARD ${String(body.target ?? "").replace("DISCARD_", "")}`);
      return;
    case "ConstraintsSetStmt":
      // SET CONSTRAINTS lasts for the transaction, like SET LOCAL.
      findings.add("pg.set_local", "SET CONSTRAINTS");
      return;
    case "ListenStmt":
      findings.add("pg.listen", `LISTEN ${String(body.conditionname ?? "")}`);
      return;
    case "LoadStmt":
      findings.add("pg.load", `LOAD '${String(body.filename ?? "")}'`);
      return;
    case "DeclareCursorStmt": {
      const hold = typeof body.options === "number" && (body.options & CURSOR_OPT_HOLD) !== 0;
      findings.add("pg.cursor", `${String(body.portalname ?? "")}${hold ? " WITH HOLD" : ""}`);
      walkExecuted(body.query, findings);
      return;
    }
    case "CreateStmt":
      temporaryObject("TABLE", body.relation as RangeVar | undefined, findings);
      return;
    case "CreateSeqStmt":
      temporaryObject("SEQUENCE", body.sequence as RangeVar | undefined, findings);
      return;
    case "ViewStmt":
      temporaryObject("VIEW", body.view as RangeVar | undefined, findings);
      return;
    case "CreateTableAsStmt": {
      const into = body.into as IntoClause | undefined;
      temporaryObject("TABLE", into?.rel, findings);
      if (!into?.skipData) walkExecuted(body.query, findings);
      return;
    }
    case "CreateFunctionStmt":
      temporarySchemaObject(body.is_procedure ? "PROCEDURE" : "FUNCTION", body.funcname as Node[] | undefined, findings);
      return;
    case "DefineStmt":
      temporarySchemaObject(String(body.kind ?? "").replace("OBJECT_", ""), body.defnames as Node[] | undefined, findings);
      return;
    case "CreateEnumStmt":
    case "CreateRangeStmt":
      temporarySchemaObject("TYPE", body.typeName as Node[] | undefined, findings);
      return;
    case "CompositeTypeStmt": {
      const type = body.typevar as RangeVar | undefined;
      if (type && isTemporarySchema(type.schemaname)) findings.add("pg.temp_schema_object", `TYPE pg_temp.${type.relname ?? ""}`);
      return;
    }
    case "CreateDomainStmt":
      temporarySchemaObject("DOMAIN", body.domainname as Node[] | undefined, findings);
      return;
    case "CreateConversionStmt":
      temporarySchemaObject("CONVERSION", body.conversion_name as Node[] | undefined, findings);
      return;
    case "AlterObjectSchemaStmt":
      if (isTemporarySchema(body.newschema as string | undefined)) {
        findings.add("pg.temp_schema_object", `${String(body.objectType ?? "").replace("OBJECT_", "")} SET SCHEMA pg_temp`);
      }
      return;
    case "DoStmt":
      findings.notInspected("DO block");
      return;
    case "CallStmt": {
      const call = body.funccall as FuncCall | undefined;
      findings.notInspected(`CALL ${qualifiedName(call?.funcname)}`);
      walkExecuted(call?.args, findings);
      return;
    }
    case "ExplainStmt":
      // Plain EXPLAIN plans without running; EXPLAIN ANALYZE runs the statement.
      if (isExplainAnalyze(body.options as Node[] | undefined) && body.query) {
        classifyStatement(body.query as Node, findings);
      }
      return;
    default:
      if (!DEFINITIONS.has(type)) walkExecuted(node, findings);
  }
}

function variableSet(set: VariableSetStmt, findings: FindingCollector): void {
  const name = set.name ?? "";
  if (set.kind === "VAR_RESET_ALL") findings.add("pg.reset", "RESET ALL");
  else if (set.kind === "VAR_RESET") findings.add("pg.reset", name);
  // SET TRANSACTION (and SET TRANSACTION SNAPSHOT) lasts for the transaction, exactly like SET LOCAL.
  else if (name === "TRANSACTION" || name === "TRANSACTION SNAPSHOT") findings.add("pg.set_local", `SET ${name}`);
  else if (set.is_local) findings.add("pg.set_local", name);
  else findings.add("pg.set", name);
}

function temporaryObject(kind: string, relation: RangeVar | undefined, findings: FindingCollector): void {
  if (!relation) return;
  // CREATE TABLE pg_temp.t is as temporary as CREATE TEMP TABLE t.
  if (relation.relpersistence === "t" || isTemporarySchema(relation.schemaname)) {
    findings.add("pg.temp_object", `TEMP ${kind} ${relation.relname ?? ""}`.trim());
  }
}

/**
 * A function, type, domain ... created in pg_temp: it lives as long as the session, like a temporary table, and a
 * later client on the same connection could call it (and pg_temp is searched first for types and relations).
 */
function temporarySchemaObject(kind: string, names: Node[] | undefined, findings: FindingCollector): void {
  const parts = nameParts(names);
  if (parts.length >= 2 && isTemporarySchema(parts[parts.length - 2])) {
    findings.add("pg.temp_schema_object", `${kind} pg_temp.${parts[parts.length - 1]}`);
  }
}

function nameParts(names: Node[] | undefined): string[] {
  return (names ?? []).map((part) => (part as { String?: { sval?: string } }).String?.sval ?? "");
}

function qualifiedName(names: Node[] | undefined): string {
  return nameParts(names).join(".");
}

function isExplainAnalyze(options: Node[] | undefined): boolean {
  return (options ?? []).some((option) => {
    const element = (option as { DefElem?: DefElem }).DefElem;
    if (element?.defname !== "analyze") return false;
    const value = constantText(element.arg);
    return value === undefined || isTrueText(value);
  });
}

/** Every function call and SELECT ... INTO TEMP under `root`, depth-first without recursion (deep trees exist). */
function walkExecuted(root: unknown, findings: FindingCollector): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    for (const [key, child] of Object.entries(value as AstObject)) {
      if (key === "FuncCall") functionCall(child as FuncCall, findings);
      else if (key === "SelectStmt") temporaryObject("TABLE", (child as SelectStmt).intoClause?.rel, findings);
      if (child !== null && typeof child === "object") stack.push(child);
    }
  }
}

function functionCall(call: FuncCall, findings: FindingCollector): void {
  const names = nameParts(call.funcname);
  const name = names[names.length - 1];
  if (name === undefined) return;
  const args = call.args ?? [];
  const parameter = constantText(args[0]);
  const local = constantText(args[2]);
  recordFunctionCall(
    {
      name,
      ...(names.length > 1 ? { schema: names[names.length - 2]! } : {}),
      ...(parameter === undefined ? {} : { parameter }),
      transactionLocal: local !== undefined && isTrueText(local),
    },
    findings,
  );
}

/** The text of a constant argument ('x', true, 1, 'x'::type), or undefined when it is not a constant. */
function constantText(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const [type, body] = only(node);
  if (type === "TypeCast") return constantText(body.arg as Node | undefined);
  if (type === "String") return String(body.sval ?? "");
  if (type === "Boolean") return body.boolval ? "true" : "false";
  if (type !== "A_Const") return undefined;
  const constant = body as A_Const;
  if (constant.sval) return constant.sval.sval ?? "";
  if (constant.boolval) return constant.boolval.boolval ? "true" : "false";
  if (constant.ival) return String(constant.ival.ival ?? 0);
  return undefined;
}

/** A parse-tree node is an object with exactly one key, the node type. */
function only(node: Node): [string, AstObject] {
  for (const key in node) return [key, (node as unknown as Record<string, AstObject>)[key] ?? {}];
  return ["", {}];
}
