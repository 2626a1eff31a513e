/**
 * log_line_prefix: compiling a prefix to one regular expression, and inferring the prefix from the lines themselves.
 *
 * A prefix is literal text and %-escapes (https://www.postgresql.org/docs/current/runtime-config-logging.html). After
 * the prefix PostgreSQL writes the severity, a colon and two spaces ("LOG:  "), which is what anchors both jobs.
 */

/** The escapes whose values proxyfit reads; the others are matched and skipped. */
export type PrefixField =
  | "time"
  | "epoch"
  | "pid"
  | "user"
  | "database"
  | "application"
  | "host"
  | "remote"
  | "session"
  | "sqlstate"
  | "skip";

const ESCAPE_FIELDS: Readonly<Record<string, PrefixField>> = {
  m: "time",
  t: "time",
  n: "epoch",
  p: "pid",
  u: "user",
  d: "database",
  a: "application",
  h: "host",
  r: "remote",
  c: "session",
  e: "sqlstate",
};

const ZONE = "(?: (?:[A-Za-z][A-Za-z0-9]*|[+-]\\d\\d(?::?\\d\\d)?))?";
const TIMESTAMP = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d";

/**
 * What each escape can print. Names (%u %d %a) are printed as given and may contain anything, so they match lazily up
 * to the literal text that follows them. Every escape may print nothing (background processes have no user, no
 * client, no virtual transaction).
 */
const ESCAPE_PATTERNS: Readonly<Record<string, string>> = {
  m: `(${TIMESTAMP}\\.\\d+${ZONE})`,
  t: `(${TIMESTAMP}${ZONE})`,
  s: `(${TIMESTAMP}${ZONE})`,
  n: "(\\d+\\.\\d+)",
  p: "(\\d+)",
  P: "(\\d*)",
  l: "(\\d+)",
  x: "(\\d*)",
  v: "([\\d/]*)",
  c: "([0-9a-f]+\\.[0-9a-f]+|)",
  e: "([0-9A-Z]{5}|)",
  Q: "(-?\\d*)",
  r: "(\\[local\\]|[^\\s(]+\\(\\d+\\)|[^\\s(]+|)",
  h: "(\\[local\\]|\\S*?)",
  u: "(.*?)",
  d: "(.*?)",
  a: "(.*?)",
  i: "(.*?)",
  b: "(.*?)",
};

export const SEVERITIES = [
  "LOG",
  "ERROR",
  "FATAL",
  "PANIC",
  "WARNING",
  "NOTICE",
  "INFO",
  "DEBUG1",
  "DEBUG2",
  "DEBUG3",
  "DEBUG4",
  "DEBUG5",
  "DETAIL",
  "HINT",
  "CONTEXT",
  "STATEMENT",
  "QUERY",
  "LOCATION",
] as const;

const SEVERITY_GROUP = `(${SEVERITIES.join("|")}):  `;
/** Where the prefix ends in a line whose prefix is not known yet. */
export const SEVERITY_MARKER = new RegExp(`(?:${SEVERITIES.join("|")}):  `);

export interface CompiledPrefix {
  readonly prefix: string;
  /** Anchored at the line start; group i+1 is fields[i], the group after them the severity; the message follows. */
  readonly regex: RegExp;
  readonly fields: readonly PrefixField[];
}

/** One escape or run of literal text of a log_line_prefix. */
type PrefixPart = { escape: string; padding: boolean } | { literal: string };

function parsePrefix(prefix: string): PrefixPart[] {
  const parts: PrefixPart[] = [];
  const escapes = /%(-?\d+)?(.)/gs;
  let last = 0;
  for (let match = escapes.exec(prefix); match; match = escapes.exec(prefix)) {
    if (match.index > last) parts.push({ literal: prefix.slice(last, match.index) });
    const letter = match[2]!;
    if (letter === "%") parts.push({ literal: "%" });
    else parts.push({ escape: letter, padding: match[1] !== undefined });
    last = escapes.lastIndex;
  }
  if (last < prefix.length) parts.push({ literal: prefix.slice(last) });
  return parts;
}

/**
 * Compiles a log_line_prefix to one regular expression. %q ("stop here in non-session processes") makes the rest of
 * the prefix optional; padding (%-10u) allows spaces around the value; escapes PostgreSQL does not know print nothing.
 */
export function compilePrefix(prefix: string): CompiledPrefix {
  const fields: PrefixField[] = [];
  let source = "^";
  let optionalGroups = 0;
  for (const part of parsePrefix(prefix)) {
    if ("literal" in part) {
      source += escapeRegex(part.literal);
      continue;
    }
    if (part.escape === "q") {
      source += "(?:";
      optionalGroups++;
      continue;
    }
    const pattern = ESCAPE_PATTERNS[part.escape];
    if (!pattern) continue;
    source += part.padding ? ` *${pattern} *` : pattern;
    fields.push(ESCAPE_FIELDS[part.escape] ?? "skip");
  }
  source += ")?".repeat(optionalGroups);
  source += SEVERITY_GROUP;
  return { prefix, regex: new RegExp(source), fields };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------------------------
// Inference

type TokenType = "time-ms" | "time" | "epoch" | "session" | "vxid" | "addr" | "number" | "word" | "literal";

interface Token {
  type: TokenType;
  text: string;
}

/** Tried in order at each position of a line's prefix: the most specific shapes first. */
const TOKEN_PATTERNS: readonly [TokenType, RegExp][] = [
  ["time-ms", new RegExp(`${TIMESTAMP}\\.\\d{3}${ZONE}`, "y")],
  ["time", new RegExp(`${TIMESTAMP}${ZONE}`, "y")],
  ["epoch", /\d{10}\.\d{3}(?!\d)/y],
  ["addr", /\[local\]|\d{1,3}(?:\.\d{1,3}){3}(?:\(\d+\))?|[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F.]*\(\d+\)/y],
  ["session", /[0-9a-f]{1,8}\.[0-9a-f]{1,8}(?![0-9A-Za-z])/y],
  ["vxid", /\d+\/\d+/y],
  ["number", /\d+(?![A-Za-z_$])/y],
  ["word", /\[unknown\]|[A-Za-z0-9_$]+(?:[.-][A-Za-z0-9_$]+)*/y],
];

function tokenize(prefix: string, mergeSpacedWords: boolean): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  outer: while (pos < prefix.length) {
    for (const [type, pattern] of TOKEN_PATTERNS) {
      pattern.lastIndex = pos;
      const match = pattern.exec(prefix);
      if (match) {
        tokens.push({ type, text: match[0] });
        pos = pattern.lastIndex;
        continue outer;
      }
    }
    tokens.push({ type: "literal", text: prefix[pos]! });
    pos++;
  }
  return mergeSpacedWords ? mergeWords(tokens) : tokens;
}

/** "my app", "client backend", "idle in transaction": one value with spaces, for prefixes that delimit otherwise. */
function mergeWords(tokens: Token[]): Token[] {
  const merged: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const previous = merged[merged.length - 1];
    const space = merged[merged.length - 2];
    if (
      (token.type === "word" || token.type === "number") &&
      previous?.type === "literal" &&
      previous.text === " " &&
      space?.type === "word"
    ) {
      merged.pop();
      space.text += ` ${token.text}`;
      continue;
    }
    merged.push({ ...token });
  }
  return merged;
}

function shapeKey(tokens: readonly Token[]): string {
  return tokens.map((t) => (t.type === "literal" ? `'${t.text}` : t.type)).join("\u0000");
}

interface SampleLine {
  prefix: string;
  message: string;
}

/** Names a line's message gives for its own session: what user and database columns must show. */
interface SessionNames {
  user?: string;
  database?: string;
  application?: string;
}

function namesInMessage(message: string): SessionNames | undefined {
  if (!message.startsWith("connection authorized: ") && !message.startsWith("disconnection: ")) return undefined;
  const value = (key: string) => new RegExp(` ${key}=(\\S*)`).exec(message)?.[1];
  const application = / application_name=(.*?)(?: SSL enabled \(| GSS \(|$)/.exec(message)?.[1];
  return { user: value("user"), database: value("database"), application };
}

/** Literal words in key=value prefixes ("user=%u,db=%d") name the escape that follows. */
const KEY_HINTS: Readonly<Record<string, string>> = {
  user: "u",
  usr: "u",
  u: "u",
  db: "d",
  database: "d",
  dbname: "d",
  d: "d",
  app: "a",
  application: "a",
  appname: "a",
  application_name: "a",
  a: "a",
  client: "h",
  host: "h",
  remote: "r",
  pid: "p",
  p: "p",
  session: "c",
  session_id: "c",
  sess: "c",
  line: "l",
  xid: "x",
  txid: "x",
  tx: "x",
  vxid: "v",
  sqlstate: "e",
  err: "e",
  state: "e",
};

const BACKEND_TYPES =
  /^(?:client backend|autovacuum (?:launcher|worker)|background (?:writer|worker)|checkpointer|walwriter|walreceiver|walsender|startup|postmaster|archiver|logger|not initialized|logical replication (?:launcher|worker)|parallel worker|standalone backend|[a-z]+ (?:worker|launcher))$/;
const COMMAND_TAGS = /^(?:[A-Z][A-Z ]*|idle|idle in transaction(?: \(aborted\))?|authentication|startup|)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

interface Column {
  token: number;
  type: TokenType;
  values: string[];
  messages: string[];
  escape?: string;
}

/**
 * Turns the tokens of one line shape into prefix parts (one per token), deciding which escape printed each variable
 * token.
 */
function prefixForShape(tokens: readonly Token[], rows: readonly { tokens: Token[]; message: string }[]): string[] {
  const literalAt = new Set<number>();
  const columns: Column[] = [];
  tokens.forEach((token, index) => {
    if (token.type === "literal") {
      literalAt.add(index);
      return;
    }
    const values = rows.map((r) => r.tokens[index]!.text);
    const next = tokens[index + 1];
    // "user=%u": a constant word before "=" or ":" is the prefix's own text.
    if (token.type === "word" && next?.type === "literal" && (next.text === "=" || next.text === ":")) {
      if (values.every((v) => v === values[0]) && KEY_HINTS[values[0]!.toLowerCase()] !== undefined) {
        literalAt.add(index);
        return;
      }
    }
    columns.push({ token: index, type: token.type, values, messages: rows.map((r) => r.message) });
  });

  const used = new Set<string>();
  const assign = (column: Column | undefined, letter: string) => {
    if (!column || column.escape || used.has(letter)) return;
    column.escape = letter;
    used.add(letter);
  };
  const free = (predicate: (c: Column) => boolean) => columns.filter((c) => !c.escape && predicate(c));

  // Keys written before the value ("pid=%p", "db=%d").
  for (const column of columns) {
    const key = tokens[column.token - 2];
    if (key && literalAt.has(column.token - 2) && literalAt.has(column.token - 1) && key.type === "word") {
      const hint = KEY_HINTS[key.text.toLowerCase()];
      if (hint === "h" && column.values.some((v) => v.includes("("))) assign(column, "r");
      else if (hint) assign(column, hint);
    }
  }

  // Shapes that only one escape prints.
  let times = 0;
  for (const column of columns) {
    if (column.escape) continue;
    if (column.type === "time-ms") assign(column, "m");
    else if (column.type === "time") assign(column, times++ === 0 && !used.has("m") ? "t" : "s");
    else if (column.type === "epoch") assign(column, "n");
    else if (column.type === "session") assign(column, "c");
    else if (column.type === "vxid") assign(column, "v");
    else if (column.type === "addr") assign(column, column.values.some((v) => v.endsWith(")")) ? "r" : "h");
  }

  // SQLSTATE: five characters, and LOG lines print 00000 (pids never start with 0).
  for (const column of free((c) => c.type === "number" || c.type === "word")) {
    if (column.values.every((v) => SQLSTATE.test(v)) && column.values.some((v) => v.startsWith("0") || /[A-Z]/.test(v)))
      assign(column, "e");
  }

  assignNumbers(columns, assign, free);
  assignNames(tokens, columns, literalAt, assign, free);

  return tokens.map((token, index) => {
    const column = columns.find((c) => c.token === index);
    // A value no rule could name is matched as free text (%i prints the command tag, any text).
    if (column) return `%${column.escape ?? "i"}`;
    return token.text.replaceAll("%", "%%");
  });
}

function assignNumbers(
  columns: Column[],
  assign: (column: Column | undefined, letter: string) => void,
  free: (predicate: (c: Column) => boolean) => Column[],
): void {
  const numbers = () => free((c) => c.type === "number");
  // %c is "<start time hex>.<pid hex>": the pid column is the one that agrees with it on every line.
  const session = columns.find((c) => c.escape === "c");
  if (session) {
    const pids = session.values.map((v) => String(Number.parseInt(v.split(".")[1] ?? "", 16)));
    assign(
      numbers().find((c) => c.values.every((v, i) => v === pids[i])),
      "p",
    );
  }
  // %l counts a process's lines: within one pid's consecutive lines it goes up by one.
  let best: { pid: Column; line: Column; score: number } | undefined;
  for (const pid of columns.filter((c) => c.type === "number" && (!c.escape || c.escape === "p"))) {
    for (const line of numbers()) {
      if (line === pid) continue;
      const lastLine = new Map<string, number>();
      let pairs = 0;
      let steps = 0;
      pid.values.forEach((p, i) => {
        const value = Number(line.values[i]);
        const last = lastLine.get(p);
        if (last !== undefined) {
          pairs++;
          if (value === last + 1) steps++;
        }
        lastLine.set(p, value);
      });
      const score = pairs > 0 ? steps / pairs : 0;
      if (steps >= 2 && score >= 0.6 && (!best || score > best.score)) best = { pid, line, score };
    }
  }
  if (best) {
    assign(best.pid, "p");
    assign(best.line, "l");
  }
  // Transaction ids are mostly 0 (read-only statements get none).
  for (const column of numbers()) {
    if (column.values.filter((v) => v === "0").length * 2 >= column.values.length) assign(column, "x");
  }
  assign(numbers()[0], "p");
  for (const column of numbers()) {
    assign(column, column.values.some((v) => v.length > 10) ? "Q" : "x");
    assign(column, "l");
  }
}

function assignNames(
  tokens: readonly Token[],
  columns: Column[],
  literalAt: Set<number>,
  assign: (column: Column | undefined, letter: string) => void,
  free: (predicate: (c: Column) => boolean) => Column[],
): void {
  const names = () => free((c) => c.type === "word" || c.type === "number" || c.type === "addr");
  // Connection and disconnection lines spell out user and database (and the application on connection), so the
  // column that shows the same names on those lines is that escape.
  const evidence = (name: "user" | "database" | "application") => {
    let best: { column: Column; hits: number } | undefined;
    for (const column of names()) {
      let hits = 0;
      column.messages.forEach((message, i) => {
        const expected = namesInMessage(message)?.[name];
        if (expected && expected === column.values[i]) hits++;
      });
      if (hits > 0 && (!best || hits > best.hits)) best = { column, hits };
    }
    return best?.column;
  };
  assign(evidence("user"), "u");
  assign(evidence("database"), "d");
  // %a is still "[unknown]" on the connection authorized line; later lines show the name it announced.
  const applications = new Set<string>();
  for (const message of columns[0]?.messages ?? []) {
    const name = namesInMessage(message)?.application;
    if (name) applications.add(name);
  }
  if (applications.size > 0) {
    assign(
      names().find((c) => c.values.some((v) => applications.has(v))),
      "a",
    );
  }
  // "%u@%d": the names either side of an "@".
  for (const column of names()) {
    const at = tokens[column.token + 1];
    if (at?.type === "literal" && at.text === "@" && literalAt.has(column.token + 1)) {
      assign(column, "u");
      assign(
        columns.find((c) => c.token === column.token + 2),
        "d",
      );
    }
  }
  for (const column of names()) {
    if (column.values.every((v) => BACKEND_TYPES.test(v))) assign(column, "b");
    else if (column.values.every((v) => COMMAND_TAGS.test(v)) && column.values.some((v) => v !== "")) assign(column, "i");
  }
  // Without evidence, the usual order of log_line_prefix examples: user, database, application, client.
  for (const letter of ["u", "d", "a", "h"]) assign(names()[0], letter);
}

/** Sample lines at most this long are used for inference; longer lines are statements and add nothing. */
const MAX_SAMPLE_PREFIX = 400;

/**
 * Infers log_line_prefix from sample lines: the prefix of each line (the text before "LOG:  ", "ERROR:  " ...) is cut
 * into typed tokens; the commonest token shapes become candidate prefixes (which escape printed each token is decided
 * from the values: pid agrees with %c, %l counts up per pid, user and database match the connection lines...); the
 * candidate whose compiled regex matches most lines wins. Returns undefined when no line has a severity marker.
 */
export function inferPrefix(lines: readonly string[]): string | undefined {
  const sample: SampleLine[] = [];
  for (const line of lines) {
    if (line === "" || line.charCodeAt(0) === 9 /* tab: continuation */) continue;
    const marker = SEVERITY_MARKER.exec(line.length > MAX_SAMPLE_PREFIX ? line.slice(0, MAX_SAMPLE_PREFIX) : line);
    if (!marker) continue;
    const end = line.indexOf("\n", marker.index);
    sample.push({ prefix: line.slice(0, marker.index), message: line.slice(marker.index + marker[0].length, end < 0 ? undefined : end) });
  }
  if (sample.length === 0) return undefined;

  const candidates = new Set<string>();
  for (const merge of [false, true]) {
    const tokenized = sample.map((s) => ({ tokens: tokenize(s.prefix, merge), message: s.message }));
    const shapes = new Map<string, { tokens: Token[]; message: string }[]>();
    for (const row of tokenized) {
      const key = shapeKey(row.tokens);
      let rows = shapes.get(key);
      if (!rows) shapes.set(key, (rows = []));
      rows.push(row);
    }
    const commonest = [...shapes.values()].sort((a, b) => b.length - a.length || b[0]!.tokens.length - a[0]!.tokens.length);
    for (const rows of commonest.slice(0, 4)) {
      const parts = prefixForShape(rows[0]!.tokens, rows);
      candidates.add(parts.join(""));
      const stop = stopPosition(rows[0]!.tokens, tokenized);
      if (stop !== undefined) candidates.add([...parts.slice(0, stop), "%q", ...parts.slice(stop)].join(""));
    }
  }

  let best: { prefix: string; matched: number; fields: number } | undefined;
  for (const prefix of candidates) {
    const compiled = compilePrefix(prefix);
    let matched = 0;
    for (const line of sample) if (compiled.regex.test(`${line.prefix}LOG:  `)) matched++;
    const fields = compiled.fields.length;
    if (!best || matched > best.matched || (matched === best.matched && fields > best.fields)) {
      best = { prefix, matched, fields };
    }
  }
  return best?.prefix;
}

/**
 * %q: lines of background processes stop where the session-only part of the prefix starts. Their tokens are then a
 * strict beginning of the session lines' tokens; the commonest such length is where %q stands.
 */
function stopPosition(tokens: readonly Token[], rows: readonly { tokens: Token[] }[]): number | undefined {
  const key = tokens.map((t) => (t.type === "literal" ? `'${t.text}` : t.type));
  const counts = new Map<number, number>();
  for (const row of rows) {
    const n = row.tokens.length;
    if (n === 0 || n >= key.length) continue;
    if (row.tokens.every((t, i) => (t.type === "literal" ? `'${t.text}` : t.type) === key[i])) {
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
  }
  let best: number | undefined;
  for (const [n, count] of counts) if (best === undefined || count > (counts.get(best) ?? 0)) best = n;
  return best;
}
