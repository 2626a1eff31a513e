/**
 * Log lines in RDS Proxy's shape ("[WARN] [proxyEndpoint=default] [clientConnection=N] ..."), so what people grep
 * for in RDS Proxy's enhanced logs works here too.
 */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export type LogSink = (line: string) => void;

export class ProxyLog {
  constructor(
    private readonly sink: LogSink,
    private readonly debug: boolean,
    private readonly endpoint = "default",
  ) {}

  write(level: LogLevel, message: string): void {
    if (level === "DEBUG" && !this.debug) return;
    this.sink(`${new Date().toISOString()} [${level}] [proxyEndpoint=${this.endpoint}] ${message}`);
  }

  /** RDS Proxy's pinning line, with the rulebook's reason. */
  pinned(clientId: number, databaseConnectionId: number, reason: string): void {
    this.write(
      "WARN",
      `[clientConnection=${clientId}] The client session was pinned to the database connection [dbConnection=${databaseConnectionId}] for the remainder of the session. The proxy can't reuse this connection until the session ends. Reason: ${reason}`,
    );
  }
}
