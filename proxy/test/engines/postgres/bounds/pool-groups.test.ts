/** Pool groups for users or databases that do not exist are removed once empty: logins cannot grow the pool's maps. */
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestProxy, type TestProxy } from "../support/harness.js";

let t: TestProxy;
beforeAll(async () => {
  t = await startTestProxy();
});
afterAll(async () => t.close());

async function login(config: pg.ClientConfig): Promise<string | undefined> {
  const client = new pg.Client({ host: "127.0.0.1", port: t.port, user: "postgres", database: "postgres", ...config });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

test("many logins to databases and users that do not exist leave no groups behind; the real group serves on", async () => {
  const codes: Array<string | undefined> = [];
  for (let i = 0; i < 40; i++) {
    codes.push(await login({ database: `proxyfit_no_such_database_${process.pid}_${i}` }));
    codes.push(await login({ user: `proxyfit_no_such_user_${process.pid}_${i}` }));
  }
  expect(new Set(codes)).toEqual(new Set(["3D000", "28000"]));
  const client = await t.client();
  expect((await client.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
  // Empty groups go within a second; this bound is for a proxy that never removes them.
  for (let i = 0; i < 50 && t.proxy.pools().length > 1; i++) await sleep(100);
  expect(t.proxy.pools().map((group) => `${group.user}/${group.database}`)).toEqual(["postgres/postgres"]);
  expect((await client.query("select 2 as two")).rows).toEqual([{ two: 2 }]);
});
