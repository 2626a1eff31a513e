/**
 * Client authentication (clients toward the proxy) as strategy modules: each method opens an exchange with an
 * Authentication request and consumes the client's password messages until it succeeds or fails.
 */
import type { ClientAuthType } from "../../../core/config/settings.js";
import type { UserCredential } from "../../../core/auth/credentials.js";

export type AuthStep =
  | { kind: "continue"; reply: Buffer }
  | { kind: "ok"; reply?: Buffer }
  | { kind: "failed"; reason: string };

export interface ClientAuthExchange {
  /** The Authentication request that opens the exchange; undefined when the method needs no exchange (trust). */
  readonly request: Buffer | undefined;
  /** Handles one password-type ('p') message. */
  step(frame: Buffer): AuthStep;
}

export interface ClientAuthMethod {
  readonly type: ClientAuthType;
  /** `credential` is undefined for an unknown user: the exchange then runs and fails like a wrong password. */
  begin(username: string, credential: UserCredential | undefined): ClientAuthExchange;
}
