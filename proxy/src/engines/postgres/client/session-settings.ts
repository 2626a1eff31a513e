/**
 * A client's startup settings (application_name, DateStyle, TimeZone, search_path ...) travel with the client, not
 * the connection: database connections are opened with user and database only, and when a client borrows one the
 * differences between its settings and the ones in effect are SET first (as PgBouncer does for its tracked
 * parameters), inside the proxy's own request, whose ParameterStatus replies the client never sees.
 */
import { NO_SETTINGS } from "../database/database-connection.js";
import { ProtocolError } from "../protocol/frontend.js";

/**
 * RDS Proxy's answer to a startup packet with an `options` parameter (FATAL), as drivers report it (psycopg2 issue
 * #1577, pgstac issue #156).
 */
export const STARTUP_OPTIONS_REFUSED = "Feature not supported: RDS Proxy currently doesn’t support command-line options.";

/** Startup parameters that are not settings, or are the protocol's own (`_pq_.` extensions). */
const NOT_SETTINGS = new Set(["user", "database", "options", "replication"]);

/** The settings a startup packet carries, by lower-cased name (the server's names are case-insensitive). */
export function startupSettings(parameters: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  const settings = new Map<string, string>();
  for (const [name, value] of parameters) {
    if (NOT_SETTINGS.has(name) || name.startsWith("_pq_.")) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new ProtocolError(`invalid startup parameter name "${name}"`);
    const lower = name.toLowerCase();
    // "auto" asks libpq's side to pick from the locale; the database's own default serves the same purpose here.
    if (lower === "client_encoding" && value.toLowerCase() === "auto") continue;
    settings.set(lower, value);
  }
  return settings;
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * The SQL that turns a connection's settings into the client's, or undefined when they already match. It is one
 * explicit transaction: a value the server refuses (the server checks startup parameters only here, not at the
 * proxy's login) rolls the whole change back and leaves the session in an aborted transaction, so the statements the
 * client pipelined behind it fail instead of running with someone else's settings.
 */
export function sessionSettingsSql(wanted: ReadonlyMap<string, string>, current: ReadonlyMap<string, string>): string | undefined {
  if (sameSettings(wanted, current)) return undefined;
  const statements: string[] = [];
  for (const [name, value] of wanted) {
    if (current.get(name) !== value) statements.push(`SET ${quoteIdent(name)} TO ${quoteLiteral(value)}`);
  }
  for (const name of current.keys()) if (!wanted.has(name)) statements.push(`RESET ${quoteIdent(name)}`);
  return statements.length > 0 ? `BEGIN; ${statements.join("; ")}; COMMIT` : undefined;
}

/** Runs when a borrow finds a connection set up for other settings: no allocation. */
function sameSettings(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (b.get(name) !== value) return false;
  return true;
}

/**
 * Distinct settings remembered, and their keys' summed length; past either (clients that each send their own) the
 * memory starts over. A startup packet is at most 10,000 bytes, so no one entry is large.
 */
const MAX_SHARED_SETTINGS = 1000;
const MAX_SHARED_CHARS = 1024 * 1024;
const shared = new Map<string, ReadonlyMap<string, string>>();
let sharedChars = 0;

/**
 * One map for every client with the same settings, so a borrow can tell by identity that a connection already has
 * them (the usual case: a fleet of clients of one application, one driver). Startup strings cannot hold NUL, which
 * makes it a safe separator for the key.
 */
export function sharedSettings(settings: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  if (settings.size === 0) return NO_SETTINGS;
  const key = [...settings].map(([name, value]) => `${name}\0${value}`).sort().join("\0");
  const known = shared.get(key);
  if (known) return known;
  if (shared.size >= MAX_SHARED_SETTINGS || sharedChars + key.length > MAX_SHARED_CHARS) {
    shared.clear();
    sharedChars = 0;
  }
  shared.set(key, settings);
  sharedChars += key.length;
  return settings;
}
