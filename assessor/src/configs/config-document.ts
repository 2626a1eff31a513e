import { findCodeSettings, objectAfterKey } from "./text/code.js";
import { LineIndex, type Setting } from "./text/lines.js";
import { looksLikeProperties, readProperties } from "./text/properties.js";
import { type ConnectionString, findConnectionStrings } from "./text/urls.js";
import { looksLikeYaml, readYaml, type YamlResult } from "./text/yaml.js";

/** One configuration file given with --config, with its readings computed once and shared by every family. */
export class ConfigDocument {
  readonly lines: LineIndex;
  #connections?: ConnectionString[];
  #structured?: { format: "properties" | "yaml" | "other"; settings: Setting[]; problems: YamlResult["problems"] };

  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    this.lines = new LineIndex(text);
  }

  get connections(): ConnectionString[] {
    this.#connections ??= findConnectionStrings(this.text, this.lines);
    return this.#connections;
  }

  /** Key/value settings when the file is a .properties or YAML file (by content; the extension only breaks ties). */
  get structured() {
    if (!this.#structured) {
      const yamlName = /\.ya?ml$/i.test(this.name);
      const propertiesName = /\.(properties|conf|ini|env)$/i.test(this.name) || /(^|\/)\.env[^/]*$/.test(this.name);
      if ((yamlName || !propertiesName) && looksLikeYaml(this.text)) {
        this.#structured = { format: "yaml", ...readYaml(this.text) };
      } else if (looksLikeProperties(this.text)) {
        this.#structured = { format: "properties", settings: readProperties(this.text), problems: [] };
      } else {
        this.#structured = { format: "other", settings: [], problems: [] };
      }
    }
    return this.#structured;
  }

  /** Settings named `name` written in code (kwargs, object keys, hash arrows). */
  code(name: string): Setting[] {
    return findCodeSettings(this.text, this.lines, name);
  }

  /** Settings named `name` inside the object literal written after `key:` (e.g. `pool: { min: 2 }`). */
  codeInObject(key: string, name: string): Setting[] {
    const block = objectAfterKey(this.text, key);
    if (!block) return [];
    return findCodeSettings(block.body, { lineAt: (i) => this.lines.lineAt(block.offset + i) }, name);
  }

  /** First line matching a pattern (for findings about a default, reported where the driver is configured). */
  lineOf(pattern: RegExp): number | undefined {
    const match = pattern.exec(this.text);
    return match ? this.lines.lineAt(match.index) : undefined;
  }
}
