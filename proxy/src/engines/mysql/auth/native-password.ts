/**
 * mysql_native_password: the client proves it knows SHA1(password) without sending it:
 * SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))). The server needs only SHA1(SHA1(password)).
 */
import type { ClientAuthPlugin, Credential, ServerAuthPlugin, ServerAuthStep } from "./auth-plugin.js";
import { nonce, sameBytes, sha1, xor } from "./scramble.js";

export const NATIVE_PASSWORD = "mysql_native_password";

export function nativePasswordToken(password: string, scramble: Buffer): Buffer {
  if (password === "") return Buffer.alloc(0);
  const stage1 = sha1(Buffer.from(password, "utf8"));
  return xor(stage1, sha1(nonce(scramble), sha1(stage1)));
}

/** SHA1(SHA1(password)): what the server keeps. */
export function nativePasswordHash(password: string): Buffer {
  return sha1(sha1(Buffer.from(password, "utf8")));
}

/** mysql.user's form of the hash ("*" and 40 hex digits) as bytes; undefined when it is not that form. */
export function parseNativePasswordHash(text: string): Buffer | undefined {
  return /^\*[0-9A-Fa-f]{40}$/.test(text) ? Buffer.from(text.slice(1), "hex") : undefined;
}

export function nativePasswordClient(password: string): ClientAuthPlugin {
  return {
    name: NATIVE_PASSWORD,
    initialResponse: (scramble) => nativePasswordToken(password, scramble),
    // The plugin has one round; the server's OK or ERR follows.
    moreData: () => undefined,
  };
}

export function nativePasswordServer(scramble: Buffer, credential: Credential): ServerAuthPlugin {
  return {
    name: NATIVE_PASSWORD,
    step(response): ServerAuthStep {
      let stored: Buffer;
      if ("password" in credential) {
        if (credential.password === "") return response.length === 0 ? { kind: "accept" } : { kind: "reject", reason: "password given for a user without one" };
        stored = nativePasswordHash(credential.password);
      } else if ("nativeHash" in credential) stored = credential.nativeHash;
      else return { kind: "reject", reason: "the user's stored credential cannot verify mysql_native_password" };
      if (response.length !== 20) return { kind: "reject", reason: response.length === 0 ? "no password given" : `auth response of ${response.length} bytes, expected 20` };
      // The response XOR SHA1(scramble + stored) is the client's SHA1(password), whose SHA1 must be the stored hash.
      const stage1 = xor(response, sha1(nonce(scramble), stored));
      return sameBytes(sha1(stage1), stored) ? { kind: "accept" } : { kind: "reject", reason: "wrong password" };
    },
  };
}
