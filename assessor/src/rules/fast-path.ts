import type { Dialect } from "../statements/lexer.js";

/**
 * The cheap check in front of the parser. A statement is decided without parsing when it starts with one of the
 * engine's harmless keywords (SELECT, INSERT, UPDATE ... ; never SET) and its text holds none of the words that could
 * make such a statement pin (a pinning function's name, a second statement after ";"). The word test runs over the
 * raw text, strings and comments included: a false "might pin" only costs a parse, never a wrong answer.
 */
export interface FastPath {
  harmlessLeadingKeywords: ReadonlySet<string>;
  /** Matches text that might pin even though it starts with a harmless keyword. */
  mightPin: RegExp;
  dialect: Dialect;
}

export function certainlyDoesNotPin(text: string, fastPath: FastPath): boolean {
  if (fastPath.mightPin.test(text) || hasSecondStatement(text)) return false;
  const word = leadingKeyword(text, fastPath.dialect);
  return word !== undefined && fastPath.harmlessLeadingKeywords.has(word);
}

/** A ";" followed by anything but whitespace and more semicolons. */
function hasSecondStatement(text: string): boolean {
  const semicolon = text.indexOf(";");
  if (semicolon === -1) return false;
  for (let i = semicolon + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 59 && code !== 32 && (code < 9 || code > 13)) return true;
  }
  return false;
}

/**
 * The first keyword, lower-cased, after leading whitespace, opening parentheses and ordinary comments; undefined when
 * the text starts with anything else (an executable comment, a string, a truncated comment).
 */
export function leadingKeyword(text: string, dialect: Dialect): string | undefined {
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 40 || (code >= 9 && code <= 13)) {
      i++;
    } else if (text.startsWith("--", i) || (code === 35 && dialect.mysqlComments)) {
      const eol = text.indexOf("\n", i);
      if (eol === -1) return undefined;
      i = eol + 1;
    } else if (text.startsWith("/*", i)) {
      if (dialect.executableComments && (text[i + 2] === "!" || text.startsWith("M!", i + 2))) return undefined;
      // Nested comments (PostgreSQL) are rare at the start of a statement: let the full path handle them.
      const end = text.indexOf("*/", i + 2);
      if (end === -1 || (dialect.nestedBlockComments && text.lastIndexOf("/*", end) !== i)) return undefined;
      i = end + 2;
    } else {
      break;
    }
  }
  let end = i;
  while (end < text.length && isAsciiLetter(text.charCodeAt(end))) end++;
  if (end === i || (end < text.length && isWordContinuation(text.charCodeAt(end)))) return undefined;
  return text.slice(i, end).toLowerCase();
}

function isAsciiLetter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}

/** Keywords are all letters; "select_x" or "select1" are identifiers, not keywords. */
function isWordContinuation(code: number): boolean {
  return code === 95 || code === 36 || (code >= 48 && code <= 57) || code >= 128;
}
