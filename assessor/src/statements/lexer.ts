/**
 * A SQL lexer for PostgreSQL and MySQL/MariaDB text. It never throws and never needs a complete statement: text cut
 * off inside a string or comment (a truncated log line) yields a last token marked `unterminated`. Comments are
 * dropped, except MySQL executable comments, whose content is lexed like ordinary SQL (as the server does) between two
 * `executable_comment` marker tokens.
 */

export type TokenKind =
  /** Keyword or unquoted identifier. */
  | "word"
  /** "ident" (PostgreSQL), `ident` (MySQL). */
  | "quoted_identifier"
  /** Any string literal: '...', E'...', $tag$...$tag$, "..." in MySQL, X'..', B'..'. */
  | "string"
  | "number"
  /** $1 (PostgreSQL), ? (MySQL). */
  | "parameter"
  /** MySQL user variable: @name, @'name', @"name", @`name`. */
  | "user_variable"
  /** MySQL system variable: @@name, @@session.name, @@global.name ... */
  | "system_variable"
  | "operator"
  /** ( ) , ; . [ ] */
  | "punctuation"
  /** "/*!50001" or "/*M!100100" opening an executable comment, or the "*\/" closing it. */
  | "executable_comment";

export interface Token {
  kind: TokenKind;
  /** The token's source text, exactly as written. */
  text: string;
  start: number;
  end: number;
  /** A string, quoted identifier or comment ran to the end of the text without its closing quote. */
  unterminated?: boolean;
}

/** The lexical differences between the two SQL families proxyfit reads. */
export interface Dialect {
  /** "..." is a string (MySQL without ANSI_QUOTES) instead of an identifier. */
  doubleQuotedStrings: boolean;
  /** Backslash escapes inside every '...' string (MySQL); PostgreSQL has them only in E'...'. */
  backslashEscapes: boolean;
  /** $tag$...$tag$ strings and $1 parameters (PostgreSQL). */
  dollarQuotes: boolean;
  /** /* ... *\/ comments nest (PostgreSQL). */
  nestedBlockComments: boolean;
  /** # starts a line comment; "--" needs a following space or control character (MySQL). */
  mysqlComments: boolean;
  /** /*! ... *\/ and /*M! ... *\/ are code (MySQL/MariaDB). */
  executableComments: boolean;
  /** `ident` quoting and @user / @@system variables (MySQL). */
  mysqlIdentifiers: boolean;
}

export const POSTGRES_DIALECT: Dialect = {
  doubleQuotedStrings: false,
  backslashEscapes: false,
  dollarQuotes: true,
  nestedBlockComments: true,
  mysqlComments: false,
  executableComments: false,
  mysqlIdentifiers: false,
};

export const MYSQL_DIALECT: Dialect = {
  doubleQuotedStrings: true,
  backslashEscapes: true,
  dollarQuotes: false,
  nestedBlockComments: false,
  mysqlComments: true,
  executableComments: true,
  mysqlIdentifiers: true,
};

const PUNCTUATION = new Set(["(", ")", ",", ";", ".", "[", "]"]);
const OPERATOR_CHARS = new Set([..."+-*/<>=~!@#%^&|`?:"]);

function isWordStart(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 128 // a-z A-Z _ non-ASCII
  );
}

function isWordPart(code: number): boolean {
  return isWordStart(code) || isDigit(code) || code === 36; // $ continues identifiers in both dialects
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** End of a quoted run starting after its opening quote: doubled quotes escape, and backslashes when `backslash`. */
function quotedEnd(text: string, from: number, quote: string, backslash: boolean): { end: number; closed: boolean } {
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    if (backslash && ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return { end: i + 1, closed: true };
    }
    i++;
  }
  return { end: text.length, closed: false };
}

/** End of a block comment whose "/*" ends at `from`. */
function blockCommentEnd(text: string, from: number, nested: boolean): { end: number; closed: boolean } {
  let depth = 1;
  let i = from;
  while (i < text.length) {
    if (text[i] === "*" && text[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return { end: i, closed: true };
      continue;
    }
    if (nested && text[i] === "/" && text[i + 1] === "*") {
      depth++;
      i += 2;
      continue;
    }
    i++;
  }
  return { end: text.length, closed: false };
}

/** A PostgreSQL dollar-quote tag ($$ or $tag$) starting at `at`, or null when the $ starts something else. */
function dollarTag(text: string, at: number): string | null {
  let i = at + 1;
  if (i < text.length && isDigit(text.charCodeAt(i))) return null;
  while (i < text.length && text[i] !== "$") {
    if (!isWordPart(text.charCodeAt(i))) return null;
    i++;
  }
  return i < text.length ? text.slice(at, i + 1) : null;
}

/** Splits `text` into tokens. Whitespace and ordinary comments are dropped. */
export function tokenize(text: string, dialect: Dialect): Token[] {
  const tokens: Token[] = [];
  let inExecutableComment = false;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, unterminated = false): void => {
    const token: Token = { kind, text: text.slice(start, end), start, end };
    if (unterminated) token.unterminated = true;
    tokens.push(token);
    i = end;
  };
  const pushQuoted = (kind: TokenKind, start: number, bodyStart: number, quote: string, backslash: boolean) => {
    const run = quotedEnd(text, bodyStart, quote, backslash);
    push(kind, start, run.end, !run.closed);
  };

  while (i < text.length) {
    const code = text.charCodeAt(i);
    const ch = text[i]!;
    const next = text[i + 1];

    if (isSpace(code)) {
      i++;
      continue;
    }

    // Comments.
    if (ch === "-" && next === "-" && (!dialect.mysqlComments || i + 2 >= text.length || text.charCodeAt(i + 2) <= 32)) {
      const eol = text.indexOf("\n", i);
      i = eol === -1 ? text.length : eol + 1;
      continue;
    }
    if (ch === "#" && dialect.mysqlComments) {
      const eol = text.indexOf("\n", i);
      i = eol === -1 ? text.length : eol + 1;
      continue;
    }
    if (ch === "*" && next === "/" && inExecutableComment) {
      inExecutableComment = false;
      push("executable_comment", i, i + 2);
      continue;
    }
    if (ch === "/" && next === "*") {
      const executable = dialect.executableComments && !inExecutableComment && executableCommentOpening(text, i);
      if (executable) {
        inExecutableComment = true;
        push("executable_comment", i, i + executable);
        continue;
      }
      const comment = blockCommentEnd(text, i + 2, dialect.nestedBlockComments);
      i = comment.end;
      continue;
    }

    // Strings with a prefix: E'..' (PostgreSQL escapes), B'..', X'..', N'..', U&'..'.
    if ((ch === "e" || ch === "E") && next === "'" && !dialect.backslashEscapes) {
      pushQuoted("string", i, i + 2, "'", true);
      continue;
    }
    if ((ch === "b" || ch === "B" || ch === "x" || ch === "X" || ch === "n" || ch === "N") && next === "'") {
      pushQuoted("string", i, i + 2, "'", dialect.backslashEscapes);
      continue;
    }
    if ((ch === "u" || ch === "U") && next === "&" && (text[i + 2] === "'" || text[i + 2] === '"')) {
      const quote = text[i + 2]!;
      pushQuoted(quote === "'" ? "string" : "quoted_identifier", i, i + 3, quote, false);
      continue;
    }

    if (ch === "'") {
      pushQuoted("string", i, i + 1, "'", dialect.backslashEscapes);
      continue;
    }
    if (ch === '"') {
      if (dialect.doubleQuotedStrings) pushQuoted("string", i, i + 1, '"', dialect.backslashEscapes);
      else pushQuoted("quoted_identifier", i, i + 1, '"', false);
      continue;
    }
    if (ch === "`" && dialect.mysqlIdentifiers) {
      pushQuoted("quoted_identifier", i, i + 1, "`", false);
      continue;
    }

    if (ch === "$" && dialect.dollarQuotes) {
      if (next !== undefined && isDigit(text.charCodeAt(i + 1))) {
        let end = i + 1;
        while (end < text.length && isDigit(text.charCodeAt(end))) end++;
        push("parameter", i, end);
        continue;
      }
      const tag = dollarTag(text, i);
      if (tag !== null) {
        const close = text.indexOf(tag, i + tag.length);
        if (close === -1) push("string", i, text.length, true);
        else push("string", i, close + tag.length);
        continue;
      }
    }

    if (ch === "@" && dialect.mysqlIdentifiers) {
      const variable = mysqlVariable(text, i, tokens[tokens.length - 1]);
      if (variable) {
        push(variable.kind, i, variable.end, variable.unterminated);
        continue;
      }
    }

    if (ch === "?" && dialect.mysqlIdentifiers) {
      push("parameter", i, i + 1);
      continue;
    }

    if (isDigit(code) || (ch === "." && next !== undefined && isDigit(text.charCodeAt(i + 1)))) {
      push("number", i, numberEnd(text, i));
      continue;
    }

    if (isWordStart(code)) {
      let end = i + 1;
      while (end < text.length && isWordPart(text.charCodeAt(end))) end++;
      push("word", i, end);
      continue;
    }

    if (PUNCTUATION.has(ch)) {
      push("punctuation", i, i + 1);
      continue;
    }

    if (OPERATOR_CHARS.has(ch)) {
      let end = i + 1;
      // Operators run together ("<=", "::", ":="), but a comment start ends them.
      while (
        end < text.length &&
        OPERATOR_CHARS.has(text[end]!) &&
        !(text[end] === "-" && text[end + 1] === "-") &&
        !(text[end] === "/" && text[end + 1] === "*") &&
        !(dialect.mysqlIdentifiers && (text[end] === "@" || text[end] === "`" || text[end] === "?" || text[end] === "#"))
      ) {
        end++;
      }
      push("operator", i, end);
      continue;
    }

    // Anything else (stray bytes in a damaged log line) is one operator-like token, so nothing is lost.
    push("operator", i, i + 1);
  }
  return tokens;
}

/** Length of "/*!12345" or "/*M!123456" at `at`, or 0 when the comment is an ordinary one. */
function executableCommentOpening(text: string, at: number): number {
  let i = at + 2;
  if (text[i] === "M" && text[i + 1] === "!") i += 2;
  else if (text[i] === "!") i += 1;
  else return 0;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i - at;
}

function numberEnd(text: string, at: number): number {
  let i = at;
  if (text[i] === "0" && (text[i + 1] === "x" || text[i + 1] === "X" || text[i + 1] === "b" || text[i + 1] === "B")) {
    i += 2;
    while (i < text.length && isWordPart(text.charCodeAt(i))) i++;
    return i;
  }
  while (i < text.length && (isDigit(text.charCodeAt(i)) || text[i] === "_")) i++;
  if (text[i] === "." && text[i + 1] !== ".") {
    i++;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  }
  if ((text[i] === "e" || text[i] === "E") && /[0-9]|[+-][0-9]/.test(text.slice(i + 1, i + 3))) {
    i += text[i + 1] === "+" || text[i + 1] === "-" ? 2 : 1;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  }
  return i;
}

const SYSTEM_VARIABLE_SCOPE = /^(global|session|local|persist|persist_only)\./i;

/**
 * A MySQL variable starting at the "@" at `at`. An "@" glued to the previous word or string is the host part of an
 * account name ('bob'@'localhost', DEFINER=root@localhost), not a variable: null then.
 */
function mysqlVariable(
  text: string,
  at: number,
  previous: Token | undefined,
): { kind: TokenKind; end: number; unterminated?: boolean } | null {
  if (previous && previous.end === at && (previous.kind === "word" || previous.kind === "string" || previous.kind === "quoted_identifier")) {
    return null;
  }
  if (text[at + 1] === "@") {
    let i = at + 2;
    const scope = SYSTEM_VARIABLE_SCOPE.exec(text.slice(i, i + 13));
    if (scope) i += scope[0].length;
    if (text[i] === "`") {
      const run = quotedEnd(text, i + 1, "`", false);
      return { kind: "system_variable", end: run.end, unterminated: !run.closed };
    }
    while (i < text.length && (isWordPart(text.charCodeAt(i)) || text[i] === ".")) i++;
    return i > at + 2 ? { kind: "system_variable", end: i } : null;
  }
  const quote = text[at + 1];
  if (quote === "'" || quote === '"' || quote === "`") {
    const run = quotedEnd(text, at + 2, quote, quote !== "`");
    return { kind: "user_variable", end: run.end, unterminated: !run.closed };
  }
  let i = at + 1;
  while (i < text.length && (isWordPart(text.charCodeAt(i)) || text[i] === ".")) i++;
  return i > at + 1 ? { kind: "user_variable", end: i } : null;
}
