/**
 * What an engine supplies to the shared conformance suite (suite.ts): its real client library behind one small
 * client interface, a throwaway server the suite may restart, and the few statements and errors that differ between
 * engines. Everything else the suite asks of the proxy is the same for every engine.
 */

/** A client of the engine's usual driver, connected through the proxy or straight to a server. */
export interface EngineClient {
  /** Runs one statement; resolves with its rows as plain objects, rejects with the driver's error. */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Drops the socket without a goodbye: a client that crashed. */
  destroy(): void;
  /** Closes politely. */
  end(): Promise<void>;
  /** Settles with the error the connection reports when the server or the proxy ends it between statements. */
  readonly lost: Promise<Error>;
}

/** A server of the engine's own, started for one suite: the restart case needs one. */
export interface ThrowawayServer {
  /** The proxy's --target for it. */
  readonly target: string;
  /** Stops the server (a fast shutdown: sessions are ended with the server's own error) and starts it again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** A client straight to the server, for setting up and checking. */
  direct(): Promise<EngineClient>;
}

/** What a driver's error says: the SQLSTATE and the message, as the application would read them. */
export interface ErrorFacts {
  code: string | undefined;
  message: string;
}

export interface EngineFixture {
  /** In the suite's title. */
  readonly name: string;
  /** The proxy's --target for the shared server, whose max_connections the suite shares with everyone. */
  readonly sharedTarget: string;
  /**
   * A client through the proxy listening on `port`: `tracked` gives it its own value of the tracked setting,
   * `application` its application name as the driver sends it.
   */
  connect(port: number, options?: { tracked?: string; application?: string }): Promise<EngineClient>;
  /** A client straight to the shared server. */
  direct(): Promise<EngineClient>;
  startServer(): Promise<ThrowawayServer>;
  /** Reads the SQLSTATE and message of an error the driver raised. */
  errorFacts(error: unknown): ErrorFacts;
  readonly sql: {
    /** One row, column `id`: the database's id of the connection the statement runs on. */
    readonly backendId: string;
    /** One row, column `outside`: true (or 1) when the session is not inside a transaction. */
    readonly outsideTransaction: string;
    /** A statement that runs for `seconds`. */
    sleep(seconds: number): string;
    /** One row, column `n`: how many statements run `sleep` on the server now (read on a direct connection). */
    readonly sleepersRunning: string;
  };
  /** A statement that pins (the rulebook's `rule`), and how to see what it changed. */
  readonly pinning: {
    readonly sql: string;
    readonly rule: string;
    /** One row, column `value`: the setting the pinning statement changes. */
    readonly probe: string;
    /** `probe` after `sql`, and in a session nobody changed. */
    readonly pinnedValue: string;
    readonly defaultValue: string;
  };
  /** A setting the proxy keeps per client without pinning (connect's `tracked`), and how to read it. */
  readonly tracked: {
    /** One row, column `value`. */
    readonly probe: string;
    /** Two values a client may ask for, and what probe shows for each. */
    readonly values: readonly [{ set: string; shows: string }, { set: string; shows: string }];
    readonly defaultValue: string;
  };
  /** What a client gets when its borrow waits past connection_borrow_timeout. */
  readonly borrowTimeout: { code: string; message: RegExp };
  /** What a client in a transaction or running a statement gets when the server shuts down (fast). */
  readonly serverShutdown: { code: string; message: string };
}
