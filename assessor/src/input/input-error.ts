/**
 * Bad input the user can fix: an unknown format, an empty or binary file, a bad option value. The message always
 * names the file (and the line or the option) so the CLI and the API can show it as is.
 */
export class InputError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;
  /** Set when the input passed a size limit (the API answers 413). */
  readonly limitBytes?: number;

  constructor(message: string, where: { file?: string; line?: number; field?: string; limitBytes?: number } = {}) {
    const place =
      where.file === undefined
        ? where.field
        : [where.file, where.line === undefined ? undefined : `line ${where.line}`].filter(Boolean).join(":");
    super(place ? `${place}: ${message}` : message);
    this.name = "InputError";
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
    this.limitBytes = where.limitBytes;
  }
}
