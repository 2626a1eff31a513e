/**
 * The two sides of a MySQL authentication plugin. A client plugin answers a server (the proxy logging in to the
 * database); a server plugin verifies a client (the proxy accepting an application). Each plugin module implements
 * both; the conformance suite runs every server side against every client side.
 */
import type { KeyObject } from "node:crypto";

export interface ClientAuthPlugin {
  readonly name: string;
  /** The first auth response for the server's scramble (in HandshakeResponse41 or an AuthSwitchResponse). */
  initialResponse(scramble: Buffer): Buffer;
  /** The answer to an AuthMoreData's data; undefined when nothing is to be sent (the server's OK or ERR follows). */
  moreData(data: Buffer): Buffer | undefined;
}

export interface ClientAuthOptions {
  password: string;
  /** The connection is TLS (or a Unix socket): a cleartext password may be sent. */
  secureTransport: boolean;
  /** The server's RSA public key (PEM), known in advance; otherwise it is asked for when needed. */
  serverPublicKey?: string | KeyObject;
}

/** What the proxy knows of a user's password: the password itself, or a hash the server side can verify against. */
export type Credential =
  | { password: string }
  /** SHA1(SHA1(password)), as mysql.user keeps it for mysql_native_password ("*" and 40 hex digits). */
  | { nativeHash: Buffer }
  /** SHA256(SHA256(password)), what caching_sha2_password's cache keeps for its fast path. */
  | { sha2Digest: Buffer };

/** One step of verifying a client. */
export type ServerAuthStep =
  /** Send AuthMoreData with `data` and wait for the client's next packet. */
  | { kind: "more"; data: Buffer }
  /** The client is who it says: send AuthMoreData with `data` first if given (fast-auth success), then OK. */
  | { kind: "accept"; data?: Buffer }
  | { kind: "reject"; reason: string };

export interface ServerAuthPlugin {
  readonly name: string;
  /** The client's auth response (from HandshakeResponse41 or AuthSwitchResponse), then each later answer. */
  step(response: Buffer): ServerAuthStep;
}

export interface ServerAuthOptions {
  /** The connection is TLS: caching_sha2_password may take the password in clear. */
  secureTransport: boolean;
  /** caching_sha2_password's RSA key pair, for full authentication without TLS. */
  rsaPrivateKey?: KeyObject;
  /** Take caching_sha2_password's fast path when the credential allows it (as MySQL does once its cache is warm). */
  fastAuth?: boolean;
}
