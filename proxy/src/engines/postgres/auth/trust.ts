/** trust: any client that names a user is let in, as PostgreSQL's trust method does. For trials on private networks. */
import type { ClientAuthMethod } from "./client-auth.js";

export const trustClientAuth: ClientAuthMethod = {
  type: "trust",
  begin() {
    return {
      request: undefined,
      step() {
        return { kind: "failed", reason: "trust authentication expects no password message" };
      },
    };
  },
};
