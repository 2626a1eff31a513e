import { type Dialect, type Token, tokenize } from "./lexer.js";
import { isPunctuation, keyword } from "./token-statements.js";

/**
 * Lexical normalization in the style of pt-query-digest: literals and parameters become "?", lists of literals after
 * IN and VALUES collapse to "(?+)", keywords and unquoted identifiers fold to lower case, whitespace collapses and
 * comments go, except executable comments, which the server runs and which therefore stay. Two statements that differ
 * only in literal values, spacing, case or comments normalize to the same text.
 */
export function normalizeStatement(text: string, dialect: Dialect): string {
  return normalizeTokens(tokenize(text, dialect));
}

export function normalizeTokens(tokens: readonly Token[]): string {
  let end = tokens.length;
  while (isPunctuation(tokens[end - 1], ";")) end--;
  const parts: string[] = [];
  let previous: Token | undefined;
  for (let i = 0; i < end; i++) {
    const token = tokens[i]!;
    const list = literalListEnd(tokens, i);
    if (list !== undefined) {
      append(parts, previous, token, "(?+)");
      // The list stands for one literal-ish token from here on: nothing spaces around it differently.
      previous = { ...tokens[list]!, kind: "punctuation", text: ")" };
      i = list;
      continue;
    }
    if (isSignedNumber(tokens, i, previous)) {
      append(parts, previous, token, "?");
      previous = { ...tokens[i + 1]!, kind: "number" };
      i++;
      continue;
    }
    append(parts, previous, token, spell(token));
    previous = token;
  }
  return parts.join("");
}

function spell(token: Token): string {
  switch (token.kind) {
    case "string":
    case "number":
    case "parameter":
      return "?";
    case "word":
    case "user_variable":
    case "system_variable":
      return token.text.toLowerCase();
    default:
      return token.text;
  }
}

const NO_SPACE_BEFORE = new Set([",", ")", ".", "]", ";"]);
const NO_SPACE_AFTER = new Set(["(", ".", "["]);

function append(parts: string[], previous: Token | undefined, token: Token, text: string): void {
  if (previous !== undefined && needsSpace(previous, token)) parts.push(" ");
  parts.push(text);
}

function needsSpace(previous: Token, token: Token): boolean {
  if (previous.kind === "punctuation" && NO_SPACE_AFTER.has(previous.text)) return false;
  if (token.kind === "punctuation" && NO_SPACE_BEFORE.has(token.text)) return false;
  // Function calls and IN / VALUES lists: "count(*)", "in(?+)".
  if (isPunctuation(token, "(") && (previous.kind === "word" || previous.kind === "quoted_identifier")) return false;
  if (previous.text === "::" || token.text === "::") return false;
  return true;
}

function isLiteral(token: Token | undefined): boolean {
  return token?.kind === "string" || token?.kind === "number" || token?.kind === "parameter";
}

/** "-1" after an operator, a comma or an opening parenthesis is one literal, not a subtraction. */
function isSignedNumber(tokens: readonly Token[], i: number, previous: Token | undefined): boolean {
  const token = tokens[i]!;
  if (token.kind !== "operator" || (token.text !== "-" && token.text !== "+")) return false;
  if (tokens[i + 1]?.kind !== "number") return false;
  return (
    previous === undefined ||
    previous.kind === "operator" ||
    isPunctuation(previous, "(") ||
    isPunctuation(previous, ",")
  );
}

/**
 * At "(" following IN, or at the first "(" following VALUES: when everything up to the matching list end is literals
 * (rows of literals for VALUES), the index of the last token of the list; otherwise undefined.
 */
function literalListEnd(tokens: readonly Token[], i: number): number | undefined {
  if (!isPunctuation(tokens[i], "(")) return undefined;
  const before = keyword(tokens[i - 1]);
  if (before === "in") return literalRowEnd(tokens, i);
  if (before !== "values") return undefined;
  let end = literalRowEnd(tokens, i);
  while (end !== undefined && isPunctuation(tokens[end + 1], ",") && isPunctuation(tokens[end + 2], "(")) {
    const next = literalRowEnd(tokens, end + 2);
    if (next === undefined) return undefined;
    end = next;
  }
  return end;
}

/** At "(": the index of the matching ")" when the parentheses hold only comma-separated (signed) literals. */
function literalRowEnd(tokens: readonly Token[], open: number): number | undefined {
  let i = open + 1;
  for (;;) {
    const token = tokens[i];
    if (token?.kind === "operator" && (token.text === "-" || token.text === "+")) i++;
    if (!isLiteral(tokens[i])) return undefined;
    i++;
    if (isPunctuation(tokens[i], ")")) return i;
    if (!isPunctuation(tokens[i], ",")) return undefined;
    i++;
  }
}
