/**
 * Binding the proxy's listeners. A listener that cannot bind stops start-up with one line naming the address and what
 * it is for; the CLI turns it into exit status 2, as for a bad setting.
 */
import type { Server } from "node:net";
import { systemErrorReason } from "@proxyfit/assessor";
import type { HostPort } from "./config/index.js";

/** What a listener serves, as the error line names it. */
export type ListenerRole = "clients" | "admin";

export class ListenError extends Error {
  constructor(
    readonly address: HostPort,
    readonly role: ListenerRole,
    cause: NodeJS.ErrnoException,
  ) {
    super(`cannot listen on ${address.host}:${address.port} (${role}): ${reasonOf(cause)}`);
    this.name = "ListenError";
  }
}

function reasonOf(error: NodeJS.ErrnoException): string {
  return systemErrorReason(error) ?? error.message;
}

/** Binds `server`; resolves with the address bound (the real port when 0 was asked for), or rejects with a ListenError. */
export function listen(server: Server, address: HostPort, role: ListenerRole, backlog?: number): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(new ListenError(address, role, error));
    server.once("error", failed);
    server.listen({ host: address.host, port: address.port, ...(backlog !== undefined ? { backlog } : {}) }, () => {
      server.off("error", failed);
      const bound = server.address();
      resolve(typeof bound === "object" && bound ? { host: address.host, port: bound.port } : address);
    });
  });
}
