/** What a PostgreSQL client connection needs from the proxy around it: the core's services and the engine's own. */
import type { CoreServices } from "../../../core/engine.js";
import type { BorrowRequest } from "../../../core/pool/pool.js";
import type { ClientAuthMethod } from "../auth/index.js";
import type { DatabaseConnection } from "../database/database-connection.js";
import type { StatementNames } from "../statements/prepared-statements.js";
import type { FunctionCatalog } from "./function-calls.js";

export interface ClientServices extends CoreServices<DatabaseConnection> {
  /** The built-in functions FunctionCall messages are decided by, by oid, read from the target at start. */
  readonly functions: FunctionCatalog;
  readonly authMethod: ClientAuthMethod;
  readonly statementNames: StatementNames;
  /** The server parameters a new client is greeted with, from a connection of its pool. */
  welcome(request: BorrowRequest, callback: (error: Error | undefined, parameters: ReadonlyMap<string, string> | undefined) => void): void;
  /** Forwards a CancelRequest to the database connection a client is using. */
  cancel(processId: number, secretKey: number): void;
}
