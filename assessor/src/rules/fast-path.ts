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
  return startsHarmlessly(text, fastPath) && !hasSecondStatement(text) && !fastPath.mightPin.test(text);
}

/**
 * leadingKeyword(text) is one of the harmless keywords, decided without cutting the word out: its letters, read
 * case-insensitively as digits in base 27, make a number looked up among the keywords' numbers.
 */
function startsHarmlessly(text: string, fastPath: FastPath): boolean {
  const start = keywordStart(text, fastPath.dialect);
  if (start === -1) return false;
  const end = keywordEnd(text, start);
  if (end === -1) return false;
  if (end - start > MAX_PACKED_LETTERS) return fastPath.harmlessLeadingKeywords.has(text.slice(start, end).toLowerCase());
  let packed = 0;
  for (let i = start; i < end; i++) packed = packed * 27 + ((text.charCodeAt(i) | 32) - 96);
  return packedKeywords(fastPath).has(packed);
}

/** 27^11 < 2^53: up to 11 letters pack exactly into a number. */
const MAX_PACKED_LETTERS = 11;
const packedByFastPath = new WeakMap<FastPath, ReadonlySet<number>>();

function packedKeywords(fastPath: FastPath): ReadonlySet<number> {
  let packed = packedByFastPath.get(fastPath);
  if (!packed) {
    packed = new Set(
      [...fastPath.harmlessLeadingKeywords]
        .filter((word) => word.length <= MAX_PACKED_LETTERS && /^[a-z]+$/.test(word))
        .map((word) => [...word].reduce((value, letter) => value * 27 + (letter.charCodeAt(0) - 96), 0)),
    );
    packedByFastPath.set(fastPath, packed);
  }
  return packed;
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
  const start = keywordStart(text, dialect);
  const end = start === -1 ? -1 : keywordEnd(text, start);
  return end === -1 ? undefined : text.slice(start, end).toLowerCase();
}

/** Where the first keyword starts, past whitespace, opening parentheses and ordinary comments; -1 if nowhere. */
function keywordStart(text: string, dialect: Dialect): number {
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 40 || (code >= 9 && code <= 13)) {
      i++;
    } else if (text.startsWith("--", i) || (code === 35 && dialect.mysqlComments)) {
      const eol = text.indexOf("\n", i);
      if (eol === -1) return -1;
      i = eol + 1;
    } else if (text.startsWith("/*", i)) {
      if (dialect.executableComments && (text[i + 2] === "!" || text.startsWith("M!", i + 2))) return -1;
      // Nested comments (PostgreSQL) are rare at the start of a statement: let the full path handle them.
      const end = text.indexOf("*/", i + 2);
      if (end === -1 || (dialect.nestedBlockComments && text.lastIndexOf("/*", end) !== i)) return -1;
      i = end + 2;
    } else {
      break;
    }
  }
  return i;
}

/** The end of the run of ASCII letters at `start`; -1 if there is none or it runs on into an identifier. */
function keywordEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length && isAsciiLetter(text.charCodeAt(end))) end++;
  if (end === start || (end < text.length && isWordContinuation(text.charCodeAt(end)))) return -1;
  return end;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}

/** Keywords are all letters; "select_x" or "select1" are identifiers, not keywords. */
function isWordContinuation(code: number): boolean {
  return code === 95 || code === 36 || (code >= 48 && code <= 57) || code >= 128;
}
