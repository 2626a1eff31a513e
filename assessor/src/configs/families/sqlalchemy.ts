import type { ConfigFinding } from "../../report/report.js";
import { engineOf, idleMessage, outlivesProxy } from "../checks.js";
import type { ConfigFamily } from "../config-family.js";
import { configFinding } from "../config-rules.js";
import { numberValue } from "../text/code.js";
import { isTruthy } from "../text/lines.js";

const CREATE_ENGINE = /\bcreate_(async_)?engine\(/;

/** SQLAlchemy: create_engine() pool arguments and execution options. */
export const sqlalchemy: ConfigFamily = {
  id: "sqlalchemy",
  title: "SQLAlchemy",
  detect(file) {
    if (CREATE_ENGINE.test(file.text) || /^\s*(import|from)\s+sqlalchemy\b/m.test(file.text)) return 0.9;
    return /\b(postgresql|mysql)\+[a-z0-9_]+:\/\//.test(file.text) ? 0.6 : 0;
  },
  analyze(file, context) {
    const findings: ConfigFinding[] = [];
    const engineCall = CREATE_ENGINE.exec(file.text);
    const engine = engineOf(file.connections.filter((c) => !c.scheme.startsWith("jdbc:")), context, "postgresql");
    const nullPool = /\bpoolclass\s*=\s*(\w+\.)*NullPool\b/.test(file.text);
    if (engineCall && !nullPool) {
      const prePing = file.code("pool_pre_ping").pop();
      const recycle = file.code("pool_recycle").pop();
      const recycleSeconds = numberValue(recycle?.value) ?? -1;
      const idle = recycleSeconds < 0 ? Infinity : recycleSeconds;
      if (!isTruthy(prePing?.value) && outlivesProxy(idle, context)) {
        findings.push(
          configFinding(
            "config.sqlalchemy.pool_recycle",
            {
              file: file.name,
              line: recycle?.line ?? file.lines.lineAt(engineCall.index),
              setting: `pool_recycle=${recycle?.value ?? "-1 (default)"}`,
            },
            "break",
            idleMessage(`pool_recycle ${recycleSeconds < 0 ? "-1 (never)" : recycleSeconds} without pool_pre_ping`, idle, context),
          ),
        );
      }
      const size = file.code("pool_size").pop();
      if (size) {
        const overflow = file.code("max_overflow").pop();
        findings.push(
          configFinding(
            "config.sqlalchemy.pool_size",
            { file: file.name, line: size.line, setting: `pool_size=${size.value}` },
            "info",
            `each process opens up to ${size.value} + ${overflow?.value ?? "10 (default max_overflow)"} connections`,
          ),
        );
      }
    }
    if (engine === "postgresql") {
      const streaming = [...file.code("stream_results"), ...file.code("server_side_cursors")].find((s) => isTruthy(s.value));
      const yieldPer = /\.yield_per\(/.exec(file.text);
      const line = streaming?.line ?? (yieldPer ? file.lines.lineAt(yieldPer.index) : undefined);
      if (line !== undefined) {
        findings.push(
          configFinding(
            "config.sqlalchemy.stream_results",
            { file: file.name, line, setting: streaming ? `${streaming.key}=${streaming.value}` : "yield_per()" },
            "pin",
            "streaming results on PostgreSQL uses a named (server-side) cursor, DECLARE ... CURSOR: the session pins",
          ),
        );
      }
    }
    return { findings };
  },
};
