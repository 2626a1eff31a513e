/**
 * A client's startup settings (application_name, DateStyle, TimeZone, options -c ...) travel with the client, not
 * the connection: when it borrows a connection opened for someone else, the differences are SET first, as
 * PgBouncer does for its tracked parameters.
 */
import { ProtocolError } from "../protocol/frontend.js";

/** Splits a startup "options" value the way PostgreSQL does: spaces separate, backslash escapes. */
function splitOptions(options: string): string[] {
  const words: string[] = [];
  let word = "";
  let escaped = false;
  for (const ch of options) {
    if (escaped) {
      word += ch;
      escaped = false;
    } else if (ch === "\\") escaped = true;
    else if (/\s/.test(ch)) {
      if (word) words.push(word);
      word = "";
    } else word += ch;
  }
  if (word) words.push(word);
  return words;
}

/** Reads "-c name=value" and "--name=value" options; anything else is refused, as the proxy cannot carry it. */
export function parseStartupOptions(options: string): Array<[string, string]> {
  const words = splitOptions(options);
  const settings: Array<[string, string]> = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let assignment: string | undefined;
    if (word === "-c") assignment = words[++i];
    else if (word.startsWith("-c")) assignment = word.slice(2);
    else if (word.startsWith("--")) assignment = word.slice(2);
    const eq = assignment?.indexOf("=") ?? -1;
    if (!assignment || eq <= 0) throw new ProtocolError(`unsupported startup option "${word}": only -c name=value is supported`);
    settings.push([assignment.slice(0, eq).replaceAll("-", "_"), assignment.slice(eq + 1)]);
  }
  return settings;
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** The SQL that turns a connection's settings into the client's, or undefined when they already match. */
export function sessionSettingsSql(wanted: ReadonlyMap<string, string>, current: ReadonlyMap<string, string>): string | undefined {
  if (sameSettings(wanted, current)) return undefined;
  const statements: string[] = [];
  for (const [name, value] of wanted) {
    if (current.get(name) !== value) statements.push(`SET ${quoteIdent(name)} TO ${quoteLiteral(value)}`);
  }
  for (const name of current.keys()) if (!wanted.has(name)) statements.push(`RESET ${quoteIdent(name)}`);
  return statements.length > 0 ? statements.join("; ") : undefined;
}

/** Runs when a borrow finds a connection set up for other settings: no allocation. */
function sameSettings(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (b.get(name) !== value) return false;
  return true;
}

/** Distinct settings remembered; past this many (clients that each send their own) the memory starts over. */
const MAX_SHARED_SETTINGS = 1000;
const shared = new Map<string, ReadonlyMap<string, string>>();

/**
 * One map for every client with the same settings, so a borrow can tell by identity that a connection already has
 * them (the usual case: a fleet of clients of one application, one driver). Startup strings cannot hold NUL, which
 * makes it a safe separator for the key.
 */
export function sharedSettings(settings: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  const key = [...settings].map(([name, value]) => `${name}\0${value}`).sort().join("\0");
  const known = shared.get(key);
  if (known) return known;
  if (shared.size >= MAX_SHARED_SETTINGS) shared.clear();
  shared.set(key, settings);
  return settings;
}
