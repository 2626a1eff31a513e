import type { ConfigFinding } from "../../report/report.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { param } from "../text/urls.js";

/**
 * libpq and the drivers that pass its connection strings through (psycopg2, psycopg 3, SQLAlchemy and Django on
 * psycopg): postgresql:// URLs, keyword DSNs, `options=` keyword arguments and PGOPTIONS in environment files.
 */
/** A Python keyword argument or quoted dict key (Django OPTIONS, connect_args); JS object keys are node-postgres'. */
const OPTIONS_IN_CODE = /(?:["']options["']\s*:|(?<![\w.])options\s*=)\s*(["'])(\s*-c\b[^"']*)\1/g;

function libpqConnections(file: Parameters<ConfigFamily["detect"]>[0]) {
  return file.connections.filter((c) => c.engine === "postgresql" && !c.scheme.startsWith("jdbc:"));
}

export const libpq: ConfigFamily = {
  id: "libpq",
  title: "libpq connection strings (psycopg2, psycopg, SQLAlchemy, Django)",
  detect(file) {
    const optionsInCode = [...file.text.matchAll(OPTIONS_IN_CODE)].length > 0;
    if (libpqConnections(file).length > 0 || /^\s*(export\s+)?PGOPTIONS\s*=/m.test(file.text) || optionsInCode) {
      return 0.8;
    }
    return /\b(psycopg2?|libpq)\b/.test(file.text) ? 0.6 : 0;
  },
  analyze(file) {
    const findings: ConfigFinding[] = [];
    const reportedLines = new Set<number | undefined>();
    const report = (line: number | undefined, setting: string) => {
      // A keyword DSN written as a Python string is both a DSN and "options=" text: report it once.
      if (reportedLines.has(line)) return;
      reportedLines.add(line);
      findings.push(
        configFinding(
          "config.libpq.options",
          { file: file.name, line, setting },
          "break",
          `${setting} is sent as startup command-line options; RDS Proxy rejects the connection with "Feature not supported: RDS Proxy currently doesn't support command-line options"`,
        ),
      );
    };
    for (const connection of libpqConnections(file)) {
      const options = param(connection, "options");
      if (options && options.value.trim() !== "") report(options.line, `options=${options.value}`);
    }
    for (const match of file.text.matchAll(OPTIONS_IN_CODE)) {
      report(file.lines.lineAt(match.index), `options=${match[2]!.trim()}`);
    }
    for (const match of file.text.matchAll(/^\s*(?:export\s+)?PGOPTIONS\s*=\s*(.*)$/gm)) {
      report(file.lines.lineAt(match.index), `PGOPTIONS=${match[1]!.trim()}`);
    }
    return { findings };
  },
};
