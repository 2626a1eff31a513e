/** What a client connection needs from the proxy around it. */
import type { SecureContext } from "node:tls";
import type { Rulebook } from "@proxyfit/assessor/rules";
import type { ClientAuthMethod, UserCredential } from "../auth/index.js";
import type { ProxySettings } from "../../../core/config/index.js";
import type { ProxyLog } from "../../../core/logging/log.js";
import type { ProxyMetrics } from "../../../core/metrics/index.js";
import type { BorrowRequest, Pool } from "../../../core/pool/pool.js";
import type { StatementNames } from "../statements/prepared-statements.js";
import type { ClientConnection } from "./client-connection.js";
import type { FunctionCatalog } from "./function-calls.js";

/** Why the proxy refused a connection as RDS Proxy would (the trial report counts them). */
export type RefusalReason = "startup_options";

/** What runs code the rulebook cannot see into: a DO block, a CALL, a FunctionCall of a function it has no rule for. */
export type NotInspectedKind = "do_block" | "call" | "function_call";

/** Live traffic, for the trial report. */
export interface TrafficObserver {
  connected(client: ClientConnection): void;
  /** A Query, Parse or Execute (a Bind adds nothing the Execute after it does not say). */
  request(client: ClientConnection, kind: "statement" | "parse" | "execute", text: string, statementName?: string): void;
  disconnected(client: ClientConnection): void;
  /** A connection refused before login; `detail` is what the client sent (the options value). */
  refused(client: ClientConnection, reason: RefusalReason, detail: string): void;
  notInspected(client: ClientConnection, kind: NotInspectedKind, example: string): void;
}

export interface ClientServices {
  readonly settings: ProxySettings;
  readonly pool: Pool;
  readonly log: ProxyLog;
  readonly metrics: ProxyMetrics;
  readonly rulebook: Pick<Rulebook, "classify">;
  /** The built-in functions FunctionCall messages are decided by, by oid, read from the target at start. */
  readonly functions: FunctionCatalog;
  readonly authMethod: ClientAuthMethod;
  readonly users: ReadonlyMap<string, UserCredential>;
  readonly tls: SecureContext | undefined;
  readonly statementNames: StatementNames;
  readonly observer: TrafficObserver | undefined;
  /** Open client connections by id (the process id they were given in BackendKeyData). */
  readonly clients: Map<number, ClientConnection>;
  /** The server parameters a new client is greeted with, from a connection of its pool. */
  welcome(request: BorrowRequest, callback: (error: Error | undefined, parameters: ReadonlyMap<string, string> | undefined) => void): void;
  /** Forwards a CancelRequest to the database connection a client is using. */
  cancel(processId: number, secretKey: number): void;
  /** A clock updated a few times a second: cheap enough to read on every message. */
  readonly clock: { now: number };
}
