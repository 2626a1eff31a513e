/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it: the server side toward clients and the client side
 * toward the database. No channel binding: the proxy never advertises SCRAM-SHA-256-PLUS.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import type { ScramVerifier, UserCredential } from "../../../core/auth/credentials.js";
import { parseSaslInitialResponse, parseSaslResponse, ProtocolError } from "../protocol/frontend.js";
import { authenticationSasl, authenticationSaslContinue, authenticationSaslFinal } from "../protocol/serialize.js";
import type { AuthStep, ClientAuthExchange, ClientAuthMethod } from "./client-auth.js";

export const SCRAM_MECHANISM = "SCRAM-SHA-256";
const DEFAULT_ITERATIONS = 4096;

const hmac = (key: Buffer, text: string): Buffer => createHmac("sha256", key).update(text).digest();
const sha256 = (data: Buffer): Buffer => createHash("sha256").update(data).digest();

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** PostgreSQL applies SASLprep and falls back to the raw bytes; NFKC covers what SASLprep maps in practice. */
function normalizePassword(password: string): string {
  return /^[\x00-\x7f]*$/.test(password) ? password : password.normalize("NFKC");
}

/** PBKDF2 costs milliseconds of CPU: remember results so backend reconnects and logins do not pay it again. */
const saltedCache = new Map<string, Buffer>();

function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  const key = `${iterations}:${salt.toString("base64")}:${password}`;
  let salted = saltedCache.get(key);
  if (!salted) {
    if (saltedCache.size >= 1000) saltedCache.clear();
    salted = pbkdf2Sync(normalizePassword(password), salt, iterations, 32, "sha256");
    saltedCache.set(key, salted);
  }
  return salted;
}

/** One verifier per credential with a plaintext password, made on first use. */
const verifiers = new WeakMap<UserCredential, ScramVerifier>();

function verifierOf(credential: UserCredential | undefined): ScramVerifier | undefined {
  if (!credential) return undefined;
  if (credential.scram) return credential.scram;
  if (credential.password === undefined) return undefined;
  let verifier = verifiers.get(credential);
  if (!verifier) {
    verifier = scramVerifierFor(credential.password);
    verifiers.set(credential, verifier);
  }
  return verifier;
}

/** A verifier no password matches, with a salt that stays the same for a user name, as PostgreSQL's mock does. */
const mockSecret = randomBytes(32);
function mockVerifier(username: string): ScramVerifier {
  return {
    iterations: DEFAULT_ITERATIONS,
    salt: createHmac("sha256", mockSecret).update(username).digest().subarray(0, 16),
    storedKey: randomBytes(32),
    serverKey: randomBytes(32),
  };
}

export function scramVerifierFor(password: string, salt = randomBytes(16), iterations = DEFAULT_ITERATIONS): ScramVerifier {
  const salted = saltedPassword(password, salt, iterations);
  return {
    iterations,
    salt,
    storedKey: sha256(hmac(salted, "Client Key")),
    serverKey: hmac(salted, "Server Key"),
  };
}

/** Parses "a=1,b=2" attribute lists. */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

const nonce = (): string => randomBytes(18).toString("base64");

export type ScramServerStep =
  | { kind: "continue"; serverFirst: string }
  | { kind: "final"; serverFinal: string }
  | { kind: "failed"; reason: string };

/**
 * The server side of one exchange. Without a verifier (unknown user, or a user known only by an md5 hash) it runs a
 * mock exchange, as PostgreSQL does, so a client cannot tell unknown users from wrong passwords.
 */
export class ScramServerExchange {
  private readonly verifier: ScramVerifier;
  private readonly genuine: boolean;
  private clientFirstBare = "";
  private serverFirst = "";
  private combinedNonce = "";

  constructor(username: string, credential: UserCredential | undefined) {
    const verifier = verifierOf(credential);
    this.genuine = verifier !== undefined;
    this.verifier = verifier ?? mockVerifier(username);
  }

  first(clientFirst: string): ScramServerStep {
    const gs2 = /^([nyp])(=[^,]*)?,[^,]*,(.*)$/.exec(clientFirst);
    if (!gs2) return { kind: "failed", reason: "malformed SCRAM client-first-message" };
    if (gs2[1] === "p") return { kind: "failed", reason: "channel binding is not supported by the proxy" };
    this.clientFirstBare = gs2[3]!;
    const clientNonce = attributes(this.clientFirstBare).get("r");
    if (!clientNonce) return { kind: "failed", reason: "SCRAM client-first-message has no nonce" };
    this.combinedNonce = clientNonce + nonce();
    this.serverFirst = `r=${this.combinedNonce},s=${this.verifier.salt.toString("base64")},i=${this.verifier.iterations}`;
    return { kind: "continue", serverFirst: this.serverFirst };
  }

  final(clientFinal: string): ScramServerStep {
    const proofAt = clientFinal.lastIndexOf(",p=");
    if (proofAt < 0) return { kind: "failed", reason: "SCRAM client-final-message has no proof" };
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get("r") !== this.combinedNonce) return { kind: "failed", reason: "SCRAM nonce mismatch" };
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), "base64");
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.verifier.storedKey, authMessage);
    if (proof.length !== clientSignature.length) return { kind: "failed", reason: "SCRAM proof has the wrong length" };
    const clientKey = xor(proof, clientSignature);
    if (!this.genuine || !timingSafeEqual(sha256(clientKey), this.verifier.storedKey)) {
      return { kind: "failed", reason: "password does not match" };
    }
    return { kind: "final", serverFinal: `v=${hmac(this.verifier.serverKey, authMessage).toString("base64")}` };
  }
}

/** The client side toward the database. */
export class ScramClientExchange {
  private readonly clientFirstBare: string;
  private expectedServerSignature: Buffer | undefined;

  constructor(
    private readonly password: string,
    private readonly clientNonce = nonce(),
    username = "*",
  ) {
    // PostgreSQL ignores the SCRAM user name (the startup packet's counts); "*" is what the proxy sends.
    this.clientFirstBare = `n=${username},r=${clientNonce}`;
  }

  clientFirst(): string {
    return `n,,${this.clientFirstBare}`;
  }

  clientFinal(serverFirst: string): string {
    const attrs = attributes(serverFirst);
    const combinedNonce = attrs.get("r");
    const salt = attrs.get("s");
    const iterations = Number(attrs.get("i"));
    if (!combinedNonce?.startsWith(this.clientNonce) || !salt || !Number.isInteger(iterations) || iterations < 1) {
      throw new Error("the database sent a malformed SCRAM server-first-message");
    }
    const salted = saltedPassword(this.password, Buffer.from(salt, "base64"), iterations);
    const clientKey = hmac(salted, "Client Key");
    const withoutProof = `c=biws,r=${combinedNonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const proof = xor(clientKey, hmac(sha256(clientKey), authMessage));
    this.expectedServerSignature = hmac(hmac(salted, "Server Key"), authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  verifyServerFinal(serverFinal: string): void {
    const signature = attributes(serverFinal).get("v");
    if (!signature || !this.expectedServerSignature?.equals(Buffer.from(signature, "base64"))) {
      throw new Error("the database's SCRAM server signature does not match: it does not know the password");
    }
  }
}

export const scramClientAuth: ClientAuthMethod = {
  type: "scram-sha-256",
  begin(username, credential): ClientAuthExchange {
    const exchange = new ScramServerExchange(username, credential);
    let started = false;
    return {
      request: authenticationSasl([SCRAM_MECHANISM]),
      step(frame): AuthStep {
        if (!started) {
          started = true;
          const initial = parseSaslInitialResponse(frame);
          if (initial.mechanism !== SCRAM_MECHANISM) {
            throw new ProtocolError(`client selected an invalid SASL authentication mechanism "${initial.mechanism}"`, "28000");
          }
          const first = exchange.first(initial.data.toString("utf8"));
          if (first.kind !== "continue") return { kind: "failed", reason: first.kind === "failed" ? first.reason : "" };
          return { kind: "continue", reply: authenticationSaslContinue(first.serverFirst) };
        }
        const final = exchange.final(parseSaslResponse(frame).toString("utf8"));
        if (final.kind !== "final") return { kind: "failed", reason: final.kind === "failed" ? final.reason : "" };
        return { kind: "ok", reply: authenticationSaslFinal(final.serverFinal) };
      },
    };
  },
};
