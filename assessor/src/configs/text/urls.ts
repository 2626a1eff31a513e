import type { Engine } from "../../events/log-event.js";
import type { LineIndex, Setting } from "./lines.js";

/**
 * Connection strings found anywhere in a text: JDBC URLs, libpq / SQLAlchemy / Prisma style URLs
 * (postgresql://, postgres://, postgresql+psycopg2://, mysql+pymysql://, mysql://, mariadb://) and libpq keyword
 * DSNs ("host=db dbname=app options='-c search_path=x'"). Parameters keep their written key; values are decoded.
 */
export interface ConnectionString {
  text: string;
  /** "jdbc:postgresql", "postgresql+psycopg2", "keyword-dsn", ... */
  scheme: string;
  engine: Engine;
  line: number;
  params: Setting[];
}

const URL_PATTERN =
  /\b(?:(jdbc:(?:postgresql|mysql|mariadb|aws-wrapper:postgresql|aws-wrapper:mysql)):|((?:postgres|postgresql|mysql|mariadb)(?:\+[a-z0-9_]+)?):\/\/)[^\s"`<>)]*/gi;
/** Two or more libpq keywords in a row, one of them naming the database or host. */
const KEYWORD_DSN =
  /\b(?:host|hostaddr|port|dbname|user|password|sslmode|options|application_name|connect_timeout|target_session_attrs|pool_[a-z_]+|default_query_exec_mode|statement_cache_capacity)\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s'"`]+)(?:[ \t]+[a-z_]+\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s'"`]+))+/g;

function engineOf(scheme: string): Engine {
  return /postgres/i.test(scheme) ? "postgresql" : "mysql";
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

export function findConnectionStrings(text: string, lines: LineIndex): ConnectionString[] {
  const found: ConnectionString[] = [];
  for (const match of text.matchAll(URL_PATTERN)) {
    // Inside a '...' string literal the URL ends at the closing quote; unquoted (YAML, .properties) it may hold quotes.
    const quoted = text[match.index - 1] === "'";
    const url = (quoted ? match[0].split("'")[0]! : match[0]).replace(/[.,;]+$/, "");
    // "postgres://..." in prose names the scheme only: nothing there to connect to, nor to check.
    if (url.length <= (match[1] ? match[1].length + 1 : match[2]!.length + 3)) continue;
    const line = lines.lineAt(match.index);
    const query = url.indexOf("?");
    const params: Setting[] = [];
    if (query !== -1) {
      for (const pair of url.slice(query + 1).split(/[&;]/)) {
        if (pair === "") continue;
        const eq = pair.indexOf("=");
        params.push({ key: decode(eq === -1 ? pair : pair.slice(0, eq)), value: eq === -1 ? "" : decode(pair.slice(eq + 1)), line });
      }
    }
    const scheme = (match[1] ?? match[2]!).toLowerCase();
    found.push({ text: url, scheme, engine: engineOf(scheme), line, params });
  }
  for (const match of text.matchAll(KEYWORD_DSN)) {
    if (!/\b(dbname|host)\s*=/.test(match[0])) continue;
    const line = lines.lineAt(match.index);
    const params: Setting[] = [];
    for (const kv of match[0].matchAll(/([a-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
      const raw = kv[2]!;
      params.push({ key: kv[1]!, value: raw.startsWith("'") ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw, line });
    }
    found.push({ text: match[0], scheme: "keyword-dsn", engine: "postgresql", line, params });
  }
  return found;
}

export function param(connection: ConnectionString, name: string): Setting | undefined {
  const lower = name.toLowerCase();
  for (let i = connection.params.length - 1; i >= 0; i--) {
    if (connection.params[i]!.key.toLowerCase() === lower) return connection.params[i];
  }
  return undefined;
}
