import type { Token } from "./lexer.js";

/** The lower-cased keyword or identifier a token spells, or undefined for strings, operators and the like. */
export function keyword(token: Token | undefined): string | undefined {
  return token?.kind === "word" ? token.text.toLowerCase() : undefined;
}

/**
 * An identifier as the server resolves it: unquoted words fold to lower case, quoted ones lose their quotes, and
 * U&"..." ones are decoded (with `escapeChar`, the UESCAPE character, default backslash), so U&"set\005fconfig" is
 * set_config here as it is to the server.
 */
export function identifier(token: Token | undefined, escapeChar = "\\"): string | undefined {
  if (token?.kind === "word") return token.text.toLowerCase();
  if (token?.kind === "quoted_identifier") {
    const unicode = token.text[0] === "U" || token.text[0] === "u";
    const open = unicode ? 3 : 1;
    const quote = token.text[open - 1]!;
    const body = token.unterminated ? token.text.slice(open) : token.text.slice(open, -1);
    const unquoted = body.replaceAll(quote + quote, quote);
    return unicode ? decodeUnicodeEscapes(unquoted, escapeChar) : unquoted;
  }
  return undefined;
}

/** PostgreSQL's U& escapes: escape + 4 hex digits, escape + "+" + 6 hex digits, escape twice for itself. */
function decodeUnicodeEscapes(body: string, escapeChar: string): string {
  let decoded = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== escapeChar) {
      decoded += ch;
      continue;
    }
    if (body[i + 1] === escapeChar) {
      decoded += escapeChar;
      i++;
      continue;
    }
    const long = body[i + 1] === "+";
    const digits = body.slice(i + (long ? 2 : 1), i + (long ? 8 : 5));
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== (long ? 6 : 4)) {
      decoded += ch;
      continue;
    }
    const code = Number.parseInt(digits, 16);
    decoded += code <= 0x10ffff ? String.fromCodePoint(code) : "";
    i += long ? 7 : 4;
  }
  return decoded;
}

export function isPunctuation(token: Token | undefined, text: string): boolean {
  return token?.kind === "punctuation" && token.text === text;
}

/** Splits a token list at top-level semicolons; empty statements are dropped. */
export function splitStatements(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (isPunctuation(token, ";")) {
      if (current.length > 0) statements.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/** Splits tokens at commas outside parentheses (argument lists, SET assignment lists). */
export function splitTopLevel(tokens: readonly Token[], separator = ","): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (isPunctuation(token, "(")) depth++;
    else if (isPunctuation(token, ")")) depth--;
    if (depth === 0 && isPunctuation(token, separator)) parts.push([]);
    else parts[parts.length - 1]!.push(token);
  }
  return parts;
}

export interface FunctionCall {
  /** As the server resolves it (see identifier()). */
  name: string;
  /** Schema (or database) the name was qualified with. */
  qualifier?: string;
  /** Index of the token before the "(": the name, or the string of a UESCAPE after it. */
  at: number;
}

/** Every name directly followed by "(": function calls, and also things like "IN (" that callers simply ignore. */
export function functionCalls(tokens: readonly Token[]): FunctionCall[] {
  const calls: FunctionCall[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    // U&"name" UESCAPE '!' (...): the escape character comes after the name.
    const uescape = keyword(tokens[i + 1]) === "uescape" && tokens[i + 2]?.kind === "string";
    if (!isPunctuation(tokens[uescape ? i + 3 : i + 1], "(")) continue;
    const name = identifier(tokens[i], uescape ? tokens[i + 2]!.text.slice(1, 2) : undefined);
    if (name === undefined) continue;
    const call: FunctionCall = { name, at: uescape ? i + 2 : i };
    if (isPunctuation(tokens[i - 1], ".")) {
      const qualifier = identifier(tokens[i - 2]);
      if (qualifier !== undefined) call.qualifier = qualifier;
    }
    calls.push(call);
  }
  return calls;
}

/** The argument token lists of `call` (computed on demand: most callers only need the name). */
export function callArguments(tokens: readonly Token[], call: FunctionCall): Token[][] {
  const from = call.at + 2;
  let depth = 1;
  let end = from;
  while (end < tokens.length) {
    if (isPunctuation(tokens[end], "(")) depth++;
    else if (isPunctuation(tokens[end], ")") && --depth === 0) break;
    end++;
  }
  const inside = tokens.slice(from, end);
  return inside.length === 0 ? [] : splitTopLevel(inside);
}

/** No string, identifier or comment cut off, and balanced parentheses: the text looks whole, not truncated. */
export function isComplete(tokens: readonly Token[]): boolean {
  let depth = 0;
  let executable = 0;
  for (const token of tokens) {
    if (token.unterminated) return false;
    if (isPunctuation(token, "(")) depth++;
    else if (isPunctuation(token, ")")) depth--;
    else if (token.kind === "executable_comment") executable += token.text === "*/" ? -1 : 1;
  }
  return depth === 0 && executable === 0;
}
