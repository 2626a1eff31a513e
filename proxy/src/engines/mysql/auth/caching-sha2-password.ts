/**
 * caching_sha2_password (MySQL 8's default). The fast path proves knowledge of SHA256(password) like
 * mysql_native_password does with SHA1: SHA256(password) XOR SHA256(SHA256(SHA256(password)) + scramble); the
 * server answers AuthMoreData 0x03 and OK. Without a cached digest it answers 0x04 (perform full authentication):
 * over TLS the client sends the password in clear; otherwise it sends (password + NUL) XOR scramble encrypted with
 * the server's RSA public key (OAEP padding), asking for the key first (0x02) when it does not have it.
 */
import { constants, createPublicKey, KeyObject, privateDecrypt, publicEncrypt } from "node:crypto";
import { CachingSha2 } from "../protocol/constants.js";
import { ProtocolError } from "../protocol/protocol-error.js";
import type { ClientAuthOptions, ClientAuthPlugin, Credential, ServerAuthOptions, ServerAuthPlugin, ServerAuthStep } from "./auth-plugin.js";
import { nativePasswordHash } from "./native-password.js";
import { nonce, sameBytes, sha256, xor } from "./scramble.js";

export const CACHING_SHA2_PASSWORD = "caching_sha2_password";

export function cachingSha2Token(password: string, scramble: Buffer): Buffer {
  if (password === "") return Buffer.alloc(0);
  const stage1 = sha256(Buffer.from(password, "utf8"));
  return xor(stage1, sha256(sha256(stage1), nonce(scramble)));
}

/** SHA256(SHA256(password)): what the server's cache keeps for the fast path. */
export function cachingSha2Digest(password: string): Buffer {
  return sha256(sha256(Buffer.from(password, "utf8")));
}

/** (password + NUL) XOR the scramble (repeated), the plaintext RSA-encrypted in full authentication. */
export function saltedPassword(password: string, scramble: Buffer): Buffer {
  return xor(Buffer.from(`${password}\0`, "utf8"), nonce(scramble));
}

export function encryptPassword(password: string, scramble: Buffer, publicKey: string | KeyObject | Buffer): Buffer {
  try {
    const key = publicKey instanceof KeyObject ? publicKey : createPublicKey(publicKey);
    if (key.asymmetricKeyType !== "rsa") throw new Error(`a ${key.asymmetricKeyType} key, not RSA`);
    return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING }, saltedPassword(password, scramble));
  } catch (error) {
    throw new ProtocolError(`caching_sha2_password: cannot encrypt the password with the server's public key: ${(error as Error).message}`);
  }
}

export function cachingSha2Client(options: ClientAuthOptions): ClientAuthPlugin {
  let scramble = Buffer.alloc(0);
  let askedForKey = false;
  return {
    name: CACHING_SHA2_PASSWORD,
    initialResponse(s) {
      scramble = Buffer.from(s);
      return cachingSha2Token(options.password, s);
    },
    moreData(data) {
      if (askedForKey) {
        askedForKey = false;
        return encryptPassword(options.password, scramble, data);
      }
      if (data.length === 1 && data[0] === CachingSha2.FAST_AUTH_SUCCESS) return undefined;
      if (data.length === 1 && data[0] === CachingSha2.PERFORM_FULL_AUTHENTICATION) {
        if (options.secureTransport) return Buffer.from(`${options.password}\0`, "utf8");
        if (options.serverPublicKey !== undefined) return encryptPassword(options.password, scramble, options.serverPublicKey);
        askedForKey = true;
        return Buffer.from([CachingSha2.REQUEST_PUBLIC_KEY]);
      }
      throw new ProtocolError(`caching_sha2_password: unexpected AuthMoreData of ${data.length} bytes starting ${data[0]}`);
    },
  };
}

/** The digest the fast path can check against, when the credential gives one. */
function fastDigest(credential: Credential): Buffer | undefined {
  if ("password" in credential) return cachingSha2Digest(credential.password);
  if ("sha2Digest" in credential) return credential.sha2Digest;
  return undefined;
}

function passwordMatches(credential: Credential, password: Buffer): boolean {
  if ("password" in credential) return sameBytes(Buffer.from(credential.password, "utf8"), password);
  if ("sha2Digest" in credential) return sameBytes(sha256(sha256(password)), credential.sha2Digest);
  return sameBytes(nativePasswordHash(password.toString("utf8")), credential.nativeHash);
}

export function cachingSha2Server(scramble: Buffer, credential: Credential, options: ServerAuthOptions): ServerAuthPlugin {
  let phase: "token" | "full" = "token";
  const fullAuth: ServerAuthStep = { kind: "more", data: Buffer.from([CachingSha2.PERFORM_FULL_AUTHENTICATION]) };
  const verify = (password: Buffer): ServerAuthStep =>
    passwordMatches(credential, password) ? { kind: "accept" } : { kind: "reject", reason: "wrong password" };
  return {
    name: CACHING_SHA2_PASSWORD,
    step(response) {
      if (phase === "token") {
        phase = "full";
        // An empty response claims an empty password.
        if (response.length === 0) return verify(Buffer.alloc(0));
        const digest = options.fastAuth === false ? undefined : fastDigest(credential);
        if (digest !== undefined && response.length === 32) {
          const stage1 = xor(response, sha256(digest, nonce(scramble)));
          if (sameBytes(sha256(stage1), digest)) return { kind: "accept", data: Buffer.from([CachingSha2.FAST_AUTH_SUCCESS]) };
        }
        // As MySQL does on a cache miss or mismatch: the client must prove it with the password itself.
        return fullAuth;
      }
      if (options.secureTransport) {
        if (response[response.length - 1] !== 0) return { kind: "reject", reason: "cleartext password without its terminating NUL" };
        return verify(response.subarray(0, response.length - 1));
      }
      const key = options.rsaPrivateKey;
      if (key === undefined) return { kind: "reject", reason: "full authentication needs TLS or an RSA key pair, and neither is configured" };
      if (response.length === 1 && response[0] === CachingSha2.REQUEST_PUBLIC_KEY) {
        return { kind: "more", data: Buffer.from(createPublicKey(key).export({ type: "spki", format: "pem" })) };
      }
      let salted: Buffer;
      try {
        salted = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING }, response);
      } catch {
        return { kind: "reject", reason: "the encrypted password does not decrypt with the server's key" };
      }
      const plain = xor(salted, nonce(scramble));
      if (plain[plain.length - 1] !== 0) return { kind: "reject", reason: "the decrypted password has no terminating NUL" };
      return verify(plain.subarray(0, plain.length - 1));
    },
  };
}
