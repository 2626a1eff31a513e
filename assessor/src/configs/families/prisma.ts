import type { ConfigFinding } from "../../report/report.js";
import { parsePins } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { isTruthy } from "../text/lines.js";
import { param } from "../text/urls.js";

const DATASOURCE = /^\s*datasource\s+\w+\s*\{[^}]*provider\s*=\s*"(postgresql|postgres|mysql|cockroachdb)"/m;

/** Prisma: schema.prisma datasource blocks and DATABASE_URL connection strings (pgbouncer, connection_limit). */
export const prisma: ConfigFamily = {
  id: "prisma",
  title: "Prisma",
  detect(file) {
    if (DATASOURCE.test(file.text) || /@prisma\/client/.test(file.text)) return 0.9;
    return file.connections.some((c) => param(c, "pgbouncer") || param(c, "connection_limit")) ? 0.8 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const datasource = DATASOURCE.exec(file.text);
    const urls = file.connections.filter((c) => !c.scheme.startsWith("jdbc:") && c.scheme !== "keyword-dsn");
    const postgres = datasource ? /postg/.test(datasource[1]!) : urls.some((c) => c.engine === "postgresql");
    if (postgres && parsePins(context)) {
      findings.push(
        configFinding(
          "config.prisma.extended_protocol",
          { file: file.name, line: datasource ? file.lines.lineAt(datasource.index) : urls[0]?.line },
          "pin",
          `Prisma's query engine sends every query with Parse/Bind/Execute (pgbouncer=true only stops naming them); under ${context.profile} each Parse pins the session`,
        ),
      );
    }
    for (const url of urls) {
      const bouncer = param(url, "pgbouncer");
      if (bouncer && isTruthy(bouncer.value) && !parsePins(context)) {
        findings.push(
          configFinding(
            "config.prisma.pgbouncer",
            { file: file.name, line: bouncer.line, setting: "pgbouncer=true" },
            "info",
            "pgbouncer=true turns off Prisma's prepared statement cache; RDS Proxy does not need it",
          ),
        );
      }
      const limit = param(url, "connection_limit");
      if (limit) {
        findings.push(
          configFinding(
            "config.prisma.connection_limit",
            { file: file.name, line: limit.line, setting: `connection_limit=${limit.value}` },
            "info",
            `each Prisma Client instance opens up to ${limit.value} connections`,
          ),
        );
      }
    }
    return { findings };
  },
};
