/**
 * What the proxy knows of a user's password. A plaintext password serves every method in both directions; a stored
 * SCRAM verifier or md5 hash (as in pg_authid or PgBouncer's userlist.txt) serves only the matching client method.
 */
export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export interface UserCredential {
  username: string;
  password?: string;
  scram?: ScramVerifier;
  /** "md5" followed by md5(password + username) in hex. */
  md5?: string;
}

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;
const MD5_HASH = /^md5[0-9a-f]{32}$/;

/**
 * Reads a secret the way PostgreSQL and PgBouncer store it: a SCRAM verifier, an md5 hash, or else plaintext.
 */
export function credentialFromSecret(username: string, secret: string): UserCredential {
  const scram = VERIFIER.exec(secret);
  if (scram) {
    return {
      username,
      scram: {
        iterations: Number(scram[1]),
        salt: Buffer.from(scram[2]!, "base64"),
        storedKey: Buffer.from(scram[3]!, "base64"),
        serverKey: Buffer.from(scram[4]!, "base64"),
      },
    };
  }
  if (MD5_HASH.test(secret)) return { username, md5: secret };
  return { username, password: secret };
}
