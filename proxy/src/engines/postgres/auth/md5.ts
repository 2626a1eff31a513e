/** PostgreSQL's md5 password method: "md5" + md5(md5(password + user) + salt), in hex. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { UserCredential } from "../../../core/auth/credentials.js";
import { parsePasswordMessage } from "../protocol/frontend.js";
import { authenticationMd5 } from "../protocol/serialize.js";
import type { ClientAuthMethod } from "./client-auth.js";

const md5hex = (data: string | Buffer): string => createHash("md5").update(data).digest("hex");

/** The stored form: "md5" + md5(password + username). */
export function md5StoredHash(username: string, password: string): string {
  return `md5${md5hex(password + username)}`;
}

/** What a client sends for a stored hash and salt. */
export function md5Response(storedHash: string, salt: Buffer): string {
  return `md5${md5hex(Buffer.concat([Buffer.from(storedHash.slice(3)), salt]))}`;
}

export class Md5ServerExchange {
  readonly salt = randomBytes(4);
  constructor(private readonly credential: UserCredential | undefined) {}

  /** True when the client's PasswordMessage matches. Unknown users and SCRAM-only users never match. */
  verify(response: string): boolean {
    const stored =
      this.credential?.md5 ??
      (this.credential?.password !== undefined ? md5StoredHash(this.credential.username, this.credential.password) : undefined);
    if (!stored) return false;
    const expected = Buffer.from(md5Response(stored, this.salt));
    const actual = Buffer.from(response);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

export const md5ClientAuth: ClientAuthMethod = {
  type: "md5",
  begin(_username, credential) {
    const exchange = new Md5ServerExchange(credential);
    return {
      request: authenticationMd5(exchange.salt),
      step(frame) {
        return exchange.verify(parsePasswordMessage(frame)) ? { kind: "ok" } : { kind: "failed", reason: "password does not match" };
      },
    };
  },
};
