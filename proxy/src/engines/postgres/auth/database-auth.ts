/**
 * The proxy's side of authentication toward the database: answers whatever the server asks for (trust, cleartext,
 * md5, SCRAM-SHA-256) with the user's credential.
 */
import type { AuthenticationRequest } from "../protocol/backend.js";
import { passwordMessage, saslInitialResponse, saslResponse } from "../protocol/serialize.js";
import type { UserCredential } from "../../../core/auth/credentials.js";
import { md5Response, md5StoredHash } from "./md5.js";
import { SCRAM_MECHANISM, ScramClientExchange } from "./scram-sha-256.js";

export class DatabaseAuthenticator {
  private scram: ScramClientExchange | undefined;

  constructor(private readonly credential: UserCredential | undefined) {}

  /** The reply to one Authentication request; undefined when none is due (ok, SASL final). Throws when it cannot. */
  answer(request: AuthenticationRequest): Buffer | undefined {
    const username = this.credential?.username ?? "";
    switch (request.kind) {
      case "ok":
        return undefined;
      case "cleartext":
        return passwordMessage(this.password("password"));
      case "md5": {
        const stored = this.credential?.md5 ?? md5StoredHash(username, this.password("md5"));
        return passwordMessage(md5Response(stored, request.salt));
      }
      case "sasl": {
        if (!request.mechanisms.includes(SCRAM_MECHANISM)) {
          throw new Error(`the database offers SASL mechanisms ${request.mechanisms.join(", ")}; the proxy speaks ${SCRAM_MECHANISM}`);
        }
        this.scram = new ScramClientExchange(this.password("SCRAM-SHA-256"));
        return saslInitialResponse(SCRAM_MECHANISM, this.scram.clientFirst());
      }
      case "sasl-continue":
        if (!this.scram) throw new Error("the database sent SASLContinue before SASL");
        return saslResponse(this.scram.clientFinal(request.data.toString("utf8")));
      case "sasl-final":
        if (!this.scram) throw new Error("the database sent SASLFinal before SASL");
        this.scram.verifyServerFinal(request.data.toString("utf8"));
        return undefined;
      case "unsupported":
        throw new Error(`the database asks for authentication method ${request.code}, which the proxy does not support`);
    }
  }

  private password(method: string): string {
    const password = this.credential?.password;
    if (password === undefined) {
      throw new Error(
        `the database asks user "${this.credential?.username ?? ""}" for ${method} authentication and the proxy has no plaintext password for it`,
      );
    }
    return password;
  }
}
