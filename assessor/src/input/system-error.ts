/**
 * The system's words for the failures a user can fix (a path, a port, an address), without Node's prefixes such as
 * "open ENOENT: ..." or "listen EADDRINUSE: ...", so every command says them the same way on one line.
 */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory",
  ENOTDIR: "a part of the path is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EEXIST: "already exists",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this host",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the peer",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** The reason of a system error (one with a known `code`, or whose cause has one); undefined for anything else. */
export function systemErrorReason(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && e.code in REASONS) return REASONS[e.code];
  }
  return undefined;
}
