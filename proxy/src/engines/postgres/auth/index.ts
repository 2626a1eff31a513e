import type { ClientAuthType } from "../../../core/config/settings.js";
import type { ClientAuthMethod } from "./client-auth.js";
import { md5ClientAuth } from "./md5.js";
import { scramClientAuth } from "./scram-sha-256.js";
import { trustClientAuth } from "./trust.js";

export type { AuthStep, ClientAuthExchange, ClientAuthMethod } from "./client-auth.js";
export { DatabaseAuthenticator } from "./database-auth.js";

export const CLIENT_AUTH_METHODS: Readonly<Record<ClientAuthType, ClientAuthMethod>> = {
  "scram-sha-256": scramClientAuth,
  md5: md5ClientAuth,
  trust: trustClientAuth,
};
