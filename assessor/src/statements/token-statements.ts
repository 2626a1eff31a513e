import type { Token } from "./lexer.js";

/** The lower-cased keyword or identifier a token spells, or undefined for strings, operators and the like. */
export function keyword(token: Token | undefined): string | undefined {
  return token?.kind === "word" ? token.text.toLowerCase() : undefined;
}

/** An identifier as the server resolves it: unquoted words fold to lower case, quoted ones lose their quotes. */
export function identifier(token: Token | undefined): string | undefined {
  if (token?.kind === "word") return token.text.toLowerCase();
  if (token?.kind === "quoted_identifier") {
    const quote = token.text[0]!;
    const body = token.unterminated ? token.text.slice(1) : token.text.slice(1, -1);
    return body.replaceAll(quote + quote, quote);
  }
  return undefined;
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
  /** Index of the name token. */
  at: number;
}

/** Every name directly followed by "(": function calls, and also things like "IN (" that callers simply ignore. */
export function functionCalls(tokens: readonly Token[]): FunctionCall[] {
  const calls: FunctionCall[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (!isPunctuation(tokens[i + 1], "(")) continue;
    const name = identifier(tokens[i]);
    if (name === undefined) continue;
    const call: FunctionCall = { name, at: i };
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
