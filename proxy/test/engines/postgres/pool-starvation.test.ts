/**
 * Found by the protocol fuzzer: with the pool full, a login to a database that does not exist waited first; the
 * connection freed for it failed to open (3D000), and nothing opened one for the clients of other databases waiting
 * behind it, so they timed out (53300) with the pool empty.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { createScratchDatabases, startTestProxy, type TestProxy } from "./support/harness.js";
import { startupPacket, WireClient } from "./support/wire.js";

/** The other database: a scratch one, never template1, where a session of ours would stop anyone's CREATE DATABASE. */
const OTHER_DATABASE = `proxyfit_starvation_${process.pid}`;
let t: TestProxy;
let scratch: Awaited<ReturnType<typeof createScratchDatabases>>;
beforeAll(async () => {
  scratch = await createScratchDatabases([OTHER_DATABASE]);
  t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1", connection_borrow_timeout: "10" });
});
afterAll(async () => {
  await t?.close();
  await scratch?.drop();
});

test("a connection that cannot open for one database leaves its room to the clients of another", async () => {
  const holder = await t.client();
  await holder.query("begin");
  // Waits for the only connection first: its group is the first the freed room goes to.
  const lost = await WireClient.open(t.port);
  lost.send(startupPacket({ user: "postgres", database: "proxyfit_no_such_database" }));
  await expect.poll(() => t.proxy.pools().find((g) => g.database === "proxyfit_no_such_database")?.waiting).toBe(1);
  // Logging in to a database the proxy has not seen borrows a connection too (for the server's parameters).
  const other = await WireClient.open(t.port);
  other.send(startupPacket({ user: "postgres", database: OTHER_DATABASE }));
  await expect.poll(() => t.proxy.pools().find((g) => g.database === OTHER_DATABASE)?.waiting).toBe(1);
  await holder.query("commit");
  expect(await lost.fatalError()).toMatchObject({ C: "3D000" });
  const ready = (await other.readUntil((m) => m.type === "Z" || m.type === "E")).at(-1);
  expect(ready?.type).toBe("Z");
  other.destroy();
});
