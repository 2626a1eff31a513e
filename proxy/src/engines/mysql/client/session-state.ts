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
export const CHARACTER_SET_VARIABLES: readonly string[] = ["character_set_client", "character_set_results", "character_set_connection", "collation_connection"];

/**
 * The SET statement that gives a connection (`current`, with its starting values `neutral`) the values a client
 * expects: the client's own (`client`) where it set one, the starting value elsewhere, and the values it sets.
 * Undefined when nothing differs.
 */
export function sessionValuesSql(
  client: ReadonlyMap<string, string>,
  current: SessionValues,
  neutral: SessionValues,
): { sql: string; values: Map<string, string> } | undefined {
  const names = new Set([...CHARACTER_SET_VARIABLES.filter((name) => neutral.variables.has(name)), ...neutral.variables.keys(), ...client.keys()]);
  const assignments: string[] = [];
  const values = new Map<string, string>();
  // Setting one of the character set variables changes the collation without the server reporting it: all four go.
  const charsetDiffers = CHARACTER_SET_VARIABLES.some((name) => differs(name, client, current, neutral));
  for (const name of names) {
    const wanted = client.get(name) ?? neutral.variables.get(name);
    if (wanted === undefined) continue;
    if (!(charsetDiffers && CHARACTER_SET_VARIABLES.includes(name)) && !differs(name, client, current, neutral)) continue;
    assignments.push(`${name} = ${literal(name, wanted)}`);
    values.set(name, wanted);
  }
  return assignments.length === 0 ? undefined : { sql: `SET SESSION ${assignments.join(", ")}`, values };
}

function differs(name: string, client: ReadonlyMap<string, string>, current: SessionValues, neutral: SessionValues): boolean {
  const wanted = client.get(name) ?? neutral.variables.get(name);
  return wanted !== undefined && !sameValue(name, current.variables.get(name), wanted);
}

/** sql_mode is a set: the server reports its flags in an order of its own. */
function sameValue(name: string, a: string | undefined, b: string): boolean {
  if (a === b) return true;
  if (a === undefined || name !== "sql_mode") return false;
  const flags = (value: string) => value.toUpperCase().split(",").filter(Boolean).sort().join(",");
  return flags(a) === flags(b);
}

/** A value as the server reported it, written back: numbers bare, NULL for an empty character_set_results, else quoted. */
function literal(name: string, value: string): string {
  if (/^-?\d+$/.test(value)) return value;
  if (value === "" && name === "character_set_results") return "NULL";
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** Variables the server reports as changed that are not session state a client set (the last GTID written). */
export const NOT_SESSION_STATE: ReadonlySet<string> = new Set(["last_gtid"]);
