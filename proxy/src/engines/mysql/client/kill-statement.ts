/**
 * KILL statements in a client's text. Clients see the proxy's connection ids, not the database's, so a KILL must never
 * reach the server as written: the one form the proxy maps (`KILL [CONNECTION | QUERY] id`, alone in its text) is
 * answered by the proxy, and any other text holding a KILL statement is refused rather than forwarded.
 *
 * KILL is a reserved word in MySQL and MariaDB: unquoted, and not after a dot (`t.kill`), it can only start a KILL
 * statement (or be a syntax error), wherever it stands: after another statement, in an executable comment, in a
 * routine's body, or in the text of PREPARE ... FROM '...'.
 */
import { MYSQL_DIALECT, type Token, tokenize } from "@proxyfit/assessor/rules";

export type KillStatement =
  /** The form the proxy maps: `KILL [CONNECTION | QUERY] id`. */
  | { readonly kind: "kill"; readonly scope: "connection" | "query"; readonly id: number }
  /** Any other text with a KILL statement in it (KILL USER, KILL QUERY ID, HARD / SOFT, with other statements ...). */
  | { readonly kind: "unsupported" };

const UNSUPPORTED: KillStatement = { kind: "unsupported" };

/**
 * True when the bytes hold "kill" in any case: the cheap test every COM_QUERY gets before its text is looked at.
 * UTF-8 continuation bytes are never ASCII, so no multibyte character can fake it.
 */
export function mayHoldKill(chunk: Buffer, start: number, end: number): boolean {
  for (let i = start; i + 3 < end; i++) {
    if ((chunk[i]! | 0x20) === 0x6b && (chunk[i + 1]! | 0x20) === 0x69 && (chunk[i + 2]! | 0x20) === 0x6c && (chunk[i + 3]! | 0x20) === 0x6c) return true;
  }
  return false;
}

/** What `text` holds: undefined when no KILL statement. */
export function parseKillStatement(text: string): KillStatement | undefined {
  const tokens = tokenize(text, MYSQL_DIALECT);
  if (!holdsKill(tokens)) return undefined;
  const words = tokens.at(-1)?.kind === "punctuation" && tokens.at(-1)!.text === ";" ? tokens.slice(0, -1) : tokens;
  const [kill, second, third, extra] = words;
  if (extra !== undefined || !isWord(kill, "KILL")) return UNSUPPORTED;
  if (isId(second) && third === undefined) return { kind: "kill", scope: "connection", id: Number(second!.text) };
  if (isId(third) && (isWord(second, "CONNECTION") || isWord(second, "QUERY"))) {
    return { kind: "kill", scope: second!.text.toUpperCase() === "QUERY" ? "query" : "connection", id: Number(third!.text) };
  }
  return UNSUPPORTED;
}

function holdsKill(tokens: readonly Token[]): boolean {
  let inPrepare = false;
  let statementStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "word" && token.text.toUpperCase() === "KILL" && tokens[i - 1]?.text !== ".") return true;
    if (statementStart && token.kind !== "executable_comment") inPrepare = isWord(token, "PREPARE");
    statementStart = token.kind === "punctuation" && token.text === ";";
    // PREPARE s FROM '...': the server parses the string as a statement. Unknown escapes drop their backslash.
    if (inPrepare && token.kind === "string" && mayHoldKillText(token.text)) {
      if (holdsKill(tokenize(token.text.slice(1, -1).replaceAll("\\", ""), MYSQL_DIALECT))) return true;
    }
  }
  return false;
}

const KILL_TEXT = /kill/i;
const mayHoldKillText = (text: string): boolean => KILL_TEXT.test(text);

const isWord = (token: Token | undefined, word: string): boolean => token?.kind === "word" && token.text.toUpperCase() === word;

/** A thread id as MySQL reads one in KILL: decimal digits, within 64 bits (the proxy's ids are far smaller). */
const isId = (token: Token | undefined): boolean => token?.kind === "number" && /^[0-9]{1,15}$/.test(token.text);
