/**
 * Startup packets that are not one: where PostgreSQL 15 logs and closes without a word (ProcessStartupPacket's
 * COMMERROR cases), the proxy does the same; where PostgreSQL answers with an error, the proxy answers too. Each case
 * is sent to the shared PostgreSQL directly as well, so the test states PostgreSQL's behaviour rather than recalls it.
 */
import { connect } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";
import { cstr, errorFields, hex, int32 } from "./support/wire.js";

let t: TestProxy;
beforeAll(async () => {
  t = await startTestProxy();
});
afterAll(async () => t.close());

/** Sends `bytes` (then half-closes when `end`), returns everything received until the server closes. */
function exchange(port: number, bytes: Buffer, end: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: "127.0.0.1", port }, () => (end ? socket.end(bytes) : socket.write(bytes)));
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks)));
    setTimeout(() => socket.destroy(new Error("the server neither answered nor closed")), 10_000).unref();
  });
}

const startupWith = (body: Buffer) => Buffer.concat([int32(body.length + 8), int32(196608), body]);

const silent = [
  { name: "Terminate as the first bytes (node-postgres connect(); end())", bytes: hex("58 00000004"), end: false },
  { name: "a length below 8", bytes: hex("00000004"), end: false },
  { name: "a length above 10,000", bytes: hex("7fffffff 00030000"), end: false },
  { name: "a partial length word, then end of file", bytes: hex("0000"), end: true },
  { name: "a packet shorter than its length, then end of file", bytes: hex("00000028 00030000"), end: true },
  { name: "a CancelRequest of 12 bytes", bytes: hex("0000000c 04d2162e 00000001"), end: false },
];

describe("packets PostgreSQL drops silently are dropped silently, with one log line", () => {
  test.each(silent)("$name", async ({ bytes, end }) => {
    expect(await exchange(5432, bytes, end)).toEqual(Buffer.alloc(0));
    const logged = t.logs.length;
    expect(await exchange(t.port, bytes, end)).toEqual(Buffer.alloc(0));
    await expect.poll(() => t.logs.slice(logged).join("\n")).toMatch(/(invalid length of (startup|cancel request) packet|incomplete startup packet)/);
  });
});

const answered = [
  { name: "protocol 2.0", bytes: hex("00000008 00020000"), code: "0A000", message: /unsupported frontend protocol 2\.0/ },
  { name: "no user name", bytes: startupWith(Buffer.concat([cstr("database"), cstr("postgres"), Buffer.from([0])])), code: "28000", message: /no PostgreSQL user name/ },
  { name: "no terminator after the last pair", bytes: startupWith(Buffer.concat([cstr("user"), cstr("postgres")])), code: "08P01", message: /invalid startup packet layout/ },
  { name: "a name without its value", bytes: startupWith(Buffer.concat([cstr("user"), Buffer.from("postgres")])), code: "08P01", message: /invalid startup packet layout/ },
];

describe("packets PostgreSQL answers are answered, with PostgreSQL's SQLSTATE", () => {
  test.each(answered)("$name", async ({ bytes, code, message }) => {
    const direct = await exchange(5432, bytes, false);
    expect(direct.length).toBeGreaterThan(0);
    const reply = await exchange(t.port, bytes, false);
    expect(reply[0]).toBe(0x45);
    const fields = errorFields(reply.subarray(5));
    expect(fields).toMatchObject({ S: "FATAL", C: code });
    expect(fields.M).toMatch(message);
    // PostgreSQL answers protocol 2 in protocol 2's format; the others in the same fields.
    if (code !== "0A000") expect(errorFields(direct.subarray(5))).toMatchObject({ C: code, M: fields.M });
  });
});

test("node-postgres connect(); end() through the proxy emits no error event", async () => {
  const errors: Error[] = [];
  const client = new pg.Client({ host: "127.0.0.1", port: t.port, user: "postgres", database: "postgres" });
  client.on("error", (error) => errors.push(error));
  // Its connect() never settles, directly against PostgreSQL too: only end() and the error event tell.
  void client.connect().catch((error: Error) => errors.push(error));
  const logged = t.logs.length;
  await client.end();
  await expect.poll(() => t.logs.slice(logged).join("\n")).toMatch(/invalid length of startup packet/);
  await new Promise((r) => setTimeout(r, 200));
  expect(errors).toEqual([]);
});
