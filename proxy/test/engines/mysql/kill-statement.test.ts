/** KILL statements in a client's text: the form the proxy maps, the forms it refuses, and text that only looks like one. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { mayHoldKill, parseKillStatement } from "../../../src/engines/mysql/client/kill-statement.js";

describe("parseKillStatement", () => {
  test.each([
    ["KILL 12", "connection", 12],
    ["kill connection 12;", "connection", 12],
    ["Kill Query 7", "query", 7],
    ["/* why */ KILL  -- because\n QUERY # now\n 7 ;", "query", 7],
  ])("%s is mapped", (text, scope, id) => {
    expect(parseKillStatement(text)).toEqual({ kind: "kill", scope, id });
  });

  test.each([
    "kill 1; select 1",
    "select 1; kill 1",
    "/*!kill 1*/",
    "/*M!100000 kill 1*/",
    "kill /*!50000 query */ 1",
    "kill hard 1",
    "kill query id 1",
    "kill user root",
    "kill -1",
    "kill 1.5",
    "kill 0x10",
    "kill connection_id()",
    "kill",
    "prepare s from 'kill 1'",
    "PREPARE s FROM \"KILL QUERY 1\"",
    "create procedure p() kill 1",
  ])("%s is refused", (text) => {
    expect(parseKillStatement(text)).toEqual({ kind: "unsupported" });
  });

  test.each(["select 'kill 1'", "select `kill` from t", "select t.kill from t", "select 1 -- kill 1", "/* kill 1 */ select 1", "select 'skill'"])(
    "%s holds no KILL",
    (text) => {
      expect(parseKillStatement(text)).toBeUndefined();
    },
  );

  test("mayHoldKill finds the word in any case and never misses one parseKillStatement sees", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom("kill", "KILL", "kIlL"), fc.string(), (before, word, after) => {
        const bytes = Buffer.from(before + word + after);
        expect(mayHoldKill(bytes, 0, bytes.length)).toBe(true);
      }),
      { seed: 17 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const bytes = Buffer.from(text);
        if (!mayHoldKill(bytes, 0, bytes.length)) expect(parseKillStatement(text)).toBeUndefined();
      }),
      { seed: 17, numRuns: 2000 },
    );
  });
});
