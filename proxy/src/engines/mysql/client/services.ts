/** What a MySQL client connection needs from the proxy around it: the core's services and the engine's own. */
import type { CoreServices } from "../../../core/engine.js";
import type { BorrowRequest } from "../../../core/pool/pool.js";
import type { DatabaseConnection } from "../database/database-connection.js";

export interface MysqlClientServices extends CoreServices<DatabaseConnection> {
  /** The server version clients are greeted with (the target's). */
  readonly serverVersion: string;
  /** The collation id clients are greeted with. */
  readonly charset: number;
  /** The session values a handshake asks for: its collation's character set, and what its capability flags set. */
  loginValues(collationId: number, capabilities: number): ReadonlyMap<string, string>;
  /** Calls back once the (user, database) is known to log in: the first time by borrowing a connection. */
  verify(request: BorrowRequest, callback: (error: Error | undefined) => void): void;
}
