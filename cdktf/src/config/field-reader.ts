/** One thing wrong with an input file, located precisely enough to fix without reading the code. */
export interface ConfigProblem {
  file: string;
  /** Dotted path inside the file, e.g. `recommendedProxy.subnetIds[1]`; "" for the file as a whole. */
  field: string;
  message: string;
}

export class DeployConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid deployment inputs (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map(formatProblem).join("\n"),
    );
    this.name = "DeployConfigError";
  }
}

export function formatProblem(problem: ConfigProblem): string {
  return `  ${problem.file}: ${problem.field === "" ? "" : `${problem.field}: `}${problem.message}`;
}

/** A value inside a parsed JSON document, with the path that names it in error messages. */
export interface Field {
  readonly path: string;
  readonly value: unknown;
}

interface Presence {
  /** Absent (undefined) is fine: the reader returns undefined without a problem. */
  optional?: boolean;
}

/**
 * Reads typed values out of untrusted JSON. Every check records a problem instead of throwing, so a single run reports
 * everything wrong with a file, and returns undefined for what it could not accept.
 */
export class FieldReader {
  readonly problems: ConfigProblem[] = [];

  constructor(readonly file: string) {}

  root(value: unknown, path = ""): Field {
    return { path, value };
  }

  child(parent: Field, key: string | number): Field {
    const value = isObject(parent.value) || Array.isArray(parent.value) ? (parent.value as never)[key] : undefined;
    const path = typeof key === "number" ? `${parent.path}[${key}]` : parent.path === "" ? key : `${parent.path}.${key}`;
    return { path, value };
  }

  report(field: Field | string, message: string): void {
    this.problems.push({ file: this.file, field: typeof field === "string" ? field : field.path, message });
  }

  object(field: Field, options: Presence & { keys?: readonly string[] } = {}): Field | undefined {
    if (!this.present(field, options)) return undefined;
    if (!isObject(field.value)) return this.fail(field, `must be an object; got ${describe(field.value)}`);
    if (options.keys) {
      for (const key of Object.keys(field.value)) {
        if (!options.keys.includes(key) && !key.startsWith("$")) {
          this.report(this.child(field, key), `is not a known setting (known: ${options.keys.join(", ")})`);
        }
      }
    }
    return field;
  }

  string(field: Field, options: Presence & { pattern?: RegExp; hint?: string } = {}): string | undefined {
    if (!this.present(field, options)) return undefined;
    if (typeof field.value !== "string" || field.value.trim() === "") {
      return this.fail(field, `must be a non-empty string; got ${describe(field.value)}`);
    }
    if (options.pattern && !options.pattern.test(field.value)) {
      return this.fail(field, `${JSON.stringify(field.value)} is not ${options.hint ?? `like ${options.pattern}`}`);
    }
    return field.value;
  }

  integer(field: Field, options: Presence & { min: number; max: number; unit?: string }): number | undefined {
    if (!this.present(field, options)) return undefined;
    const unit = options.unit ? ` ${options.unit}` : "";
    if (typeof field.value !== "number" || !Number.isInteger(field.value)) {
      return this.fail(field, `must be a whole number${unit}; got ${describe(field.value)}`);
    }
    if (field.value < options.min || field.value > options.max) {
      return this.fail(field, `must be from ${options.min} to ${options.max}${unit}; got ${field.value}`);
    }
    return field.value;
  }

  /** Any finite number (thresholds, which need not be whole). */
  number(field: Field, options: Presence & { min: number; max: number; unit?: string }): number | undefined {
    if (!this.present(field, options)) return undefined;
    const unit = options.unit ? ` ${options.unit}` : "";
    if (typeof field.value !== "number" || !Number.isFinite(field.value)) {
      return this.fail(field, `must be a number${unit}; got ${describe(field.value)}`);
    }
    if (field.value < options.min || field.value > options.max) {
      return this.fail(field, `must be from ${options.min} to ${options.max}${unit}; got ${field.value}`);
    }
    return field.value;
  }

  boolean(field: Field, options: Presence = {}): boolean | undefined {
    if (!this.present(field, options)) return undefined;
    if (typeof field.value !== "boolean") return this.fail(field, `must be true or false; got ${describe(field.value)}`);
    return field.value;
  }

  oneOf<T extends string | number>(field: Field, allowed: readonly T[], options: Presence = {}): T | undefined {
    if (!this.present(field, options)) return undefined;
    if (!allowed.includes(field.value as T)) {
      return this.fail(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}; got ${describe(field.value)}`);
    }
    return field.value as T;
  }

  list(field: Field, options: Presence & { minItems?: number; what?: string } = {}): Field[] | undefined {
    if (!this.present(field, options)) return undefined;
    if (!Array.isArray(field.value)) return this.fail(field, `must be a list; got ${describe(field.value)}`);
    const minItems = options.minItems ?? 0;
    if (field.value.length < minItems) {
      return this.fail(field, `needs at least ${minItems} ${options.what ?? "item"}${minItems === 1 ? "" : "s"}; got ${field.value.length}`);
    }
    return field.value.map((_, index) => this.child(field, index));
  }

  /**
   * A list of distinct strings matching `pattern`; duplicates are reported, not silently merged. `check` runs on every
   * acceptable item, even when another item is wrong, so one run reports them all.
   */
  stringList(
    field: Field,
    options: Presence & { minItems?: number; what?: string; pattern?: RegExp; hint?: string; check?: (value: string, item: Field) => void } = {},
  ): string[] | undefined {
    const items = this.list(field, options);
    if (!items) return undefined;
    const strings: string[] = [];
    for (const item of items) {
      const value = this.string(item, options);
      if (value === undefined) continue;
      if (strings.includes(value)) this.report(item, `${JSON.stringify(value)} is listed twice`);
      else strings.push(value);
      options.check?.(value, item);
    }
    return strings.length === items.length ? strings : undefined;
  }

  /** A JSON object of string values (tags). */
  stringMap(field: Field, options: Presence = {}): Record<string, string> | undefined {
    if (!this.object(field, options)) return undefined;
    const map: Record<string, string> = {};
    for (const key of Object.keys(field.value as Record<string, unknown>)) {
      const entry = this.string(this.child(field, key));
      if (entry !== undefined) map[key] = entry;
    }
    return map;
  }

  private present(field: Field, options: Presence): boolean {
    if (field.value !== undefined) return true;
    if (!options.optional) this.report(field, "is required");
    return false;
  }

  private fail(field: Field, message: string): undefined {
    this.report(field, message);
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}
