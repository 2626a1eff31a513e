/**
 * The session values RDS Proxy tracks for MySQL instead of pinning (autocommit, sql_mode, time_zone, character set
 * and collation, transaction isolation and read-only, the timeouts, ...; AWS "Avoiding pinning an RDS Proxy", "What
 * RDS Proxy tracks for RDS for MariaDB and RDS for MySQL databases") and the default schema. A client keeps the
 * values it set; a connection knows the values in effect on it from the server's session-state tracking; on borrow
 * the proxy sets what differs.
 */

/** System variables by lowercase name, and the default schema ("" for none). */
export class SessionValues {
  readonly variables = new Map<string, string>();
  schema = "";

  clear(): void {
    this.variables.clear();
    this.schema = "";
  }

  copyFrom(other: SessionValues): void {
    this.variables.clear();
    for (const [name, value] of other.variables) this.variables.set(name, value);
    this.schema = other.schema;
  }
}

/** Set first, in this order: setting a character set resets the collation that goes with it. */
const FIRST = ["character_set_client", "character_set_results", "character_set_connection", "collation_connection"];

/**
 * The SET statement that gives a connection (`current`, with its starting values `neutral`) the values a client
 * expects: the client's own (`client`) where it set one, the starting value elsewhere. Undefined when nothing differs.
 */
export function sessionValuesSql(client: ReadonlyMap<string, string>, current: SessionValues, neutral: SessionValues): string | undefined {
  const names = new Set([...FIRST.filter((name) => neutral.variables.has(name)), ...neutral.variables.keys(), ...client.keys()]);
  const assignments: string[] = [];
  for (const name of names) {
    const wanted = client.get(name) ?? neutral.variables.get(name);
    if (wanted === undefined || current.variables.get(name) === wanted) continue;
    assignments.push(`${name} = ${literal(name, wanted)}`);
  }
  return assignments.length === 0 ? undefined : `SET SESSION ${assignments.join(", ")}`;
}

/** A value as the server reported it, written back: numbers bare, NULL for an empty character_set_results, else quoted. */
function literal(name: string, value: string): string {
  if (/^-?\d+$/.test(value)) return value;
  if (value === "" && name === "character_set_results") return "NULL";
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** Variables the server reports as changed that are not session state a client set (the last GTID written). */
export const NOT_SESSION_STATE: ReadonlySet<string> = new Set(["last_gtid"]);
