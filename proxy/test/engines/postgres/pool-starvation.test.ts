/**
 * Found by the protocol fuzzer: with the pool full, a login to a database that does not exist waited first; the
 * connection freed for it failed to open (3D000), and nothing opened one for the clients of other databases waiting
 * behind it, so they timed out (53300) with the pool empty.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "./support/harness.js";
import { startupPacket, WireClient } from "./support/wire.js";

let t: TestProxy;
beforeAll(async () => {
  t = await startTestProxy({ max_connections_percent: "1", max_idle_connections_percent: "1", connection_borrow_timeout: "10" });
});
afterAll(async () => t.close());

test("a connection that cannot open for one database leaves its room to the clients of another", async () => {
  const holder = await t.client();
  await holder.query("begin");
  // Waits for the only connection first: its group is the first the freed room goes to.
  const lost = await WireClient.open(t.port);
  lost.send(startupPacket({ user: "postgres", database: "proxyfit_no_such_database" }));
  await expect.poll(() => t.proxy.pools().find((g) => g.database === "proxyfit_no_such_database")?.waiting).toBe(1);
  // Logging in to a database the proxy has not seen borrows a connection too (for the server's parameters).
  const other = await WireClient.open(t.port);
  other.send(startupPacket({ user: "postgres", database: "template1" }));
  await expect.poll(() => t.proxy.pools().find((g) => g.database === "template1")?.waiting).toBe(1);
  await holder.query("commit");
  expect(await lost.fatalError()).toMatchObject({ C: "3D000" });
  const ready = (await other.readUntil((m) => m.type === "Z" || m.type === "E")).at(-1);
  expect(ready?.type).toBe("Z");
  other.destroy();
});
