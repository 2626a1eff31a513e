/** The hashing both sides of each plugin share. */
import { createHash, timingSafeEqual } from "node:crypto";

export function sha1(...parts: Buffer[]): Buffer {
  const h = createHash("sha1");
  for (const part of parts) h.update(part);
  return h.digest();
}

export function sha256(...parts: Buffer[]): Buffer {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return h.digest();
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!;
  return out;
}

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The first 20 bytes of a scramble: MySQL and MariaDB send 20, some servers append a NUL. */
export function nonce(scramble: Buffer): Buffer {
  return scramble.subarray(0, 20);
}
