import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decideFunctionCall, FUNCTION_CATALOG_QUERY, type FunctionCatalog, parseFunctionCatalog } from "../../../../src/engines/postgres/client/function-calls.js";
import { ProtocolError, parseFunctionCall } from "../../../../src/engines/postgres/protocol/frontend.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** FunctionCall of `oid` with text arguments (one format code for all), text result. */
function functionCall(oid: number, args: Array<string | null>, format = 0): Buffer {
  const parts: Buffer[] = [Buffer.from("F"), Buffer.alloc(4), hex(oid.toString(16).padStart(8, "0")), hex("0001"), hex(format === 0 ? "0000" : "0001")];
  const count = Buffer.alloc(2);
  count.writeInt16BE(args.length);
  parts.push(count);
  for (const arg of args) {
    const length = Buffer.alloc(4);
    if (arg === null) length.writeInt32BE(-1);
    else length.writeInt32BE(Buffer.byteLength(arg));
    parts.push(length);
    if (arg !== null) parts.push(Buffer.from(arg));
  }
  parts.push(hex("0000"));
  const message = Buffer.concat(parts);
  message.writeInt32BE(message.length - 1, 1);
  return message;
}

describe("FunctionCall messages", () => {
  test("parse: oid, arguments (NULL included) and their formats", () => {
    expect(parseFunctionCall(functionCall(2078, ["work_mem", "7MB", null]))).toEqual({
      functionOid: 2078,
      args: [Buffer.from("work_mem"), Buffer.from("7MB"), null],
      formats: [0, 0, 0],
    });
    // Per-argument formats: text, binary.
    const bytes = hex("46 0000001c 00000b50 0002 0000 0001 0002 00000001 61 00000001 01 0000");
    expect(parseFunctionCall(bytes)).toEqual({ functionOid: 2896, args: [Buffer.from("a"), hex("01")], formats: [0, 1] });
  });

  test.each([
    ["cut off in the oid", hex("46 00000007 000008")],
    ["an argument longer than the message", hex("46 00000014 0000081e 0000 0001 000000ff 61 0000")],
    ["a negative length other than -1", hex("46 00000012 0000081e 0000 0001 fffffffe 0000")],
    ["two formats for one argument", hex("46 00000017 0000081e 0002 0000 0000 0001 00000000 0000")],
    ["bytes after the result format", hex("46 0000000f 0000081e 0000 0000 0000 00")],
  ])("malformed: %s", (_name, bytes) => {
    expect(() => parseFunctionCall(bytes)).toThrow(ProtocolError);
  });

  describe("decided against the target's pg_proc", () => {
    let catalog: FunctionCatalog;
    const oid = (name: string) => [...catalog].find(([, known]) => known === name)![0];
    const decide = (name: string, args: Array<string | null>, format = 0) =>
      decideFunctionCall(catalog, parseFunctionCall(functionCall(oid(name), args, format)));
    let client: pg.Client;
    beforeAll(async () => {
      client = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
      await client.connect();
      catalog = parseFunctionCatalog((await client.query({ text: FUNCTION_CATALOG_QUERY, rowMode: "array" })).rows[0]![0]);
    });
    afterAll(async () => client.end());

    test("the catalog holds every overload of the functions the rulebook decides", () => {
      const names = [...catalog.values()];
      expect(names.filter((name) => name === "pg_advisory_lock")).toHaveLength(2);
      expect(names).toEqual(expect.arrayContaining(["set_config", "nextval", "setval", "currval", "lastval", "lo_open", "loread"]));
    });

    test("pinning calls get the findings of the same call in SQL", () => {
      expect(decide("set_config", ["search_path", "x", "false"]).findings.map((f) => f.reason)).toEqual([
        "set_config() changed session settings that the proxy doesn't track: set_config('search_path')",
      ]);
      expect(decide("set_config", ["search_path", "x", "on"]).findings.map((f) => f.rule)).toEqual(["pg.set_local"]);
      expect(decide("set_config", ["search_path", "x", null]).findings.map((f) => f.rule)).toEqual(["pg.set_config"]);
      expect(decide("pg_advisory_lock", ["1"]).findings.map((f) => f.rule)).toEqual(["pg.advisory_lock"]);
      expect(decide("nextval", ["s"]).findings.map((f) => f.rule)).toEqual(["pg.sequence_fn"]);
      expect(decide("setval", ["s", "1"]).findings.map((f) => f.rule)).toEqual(["pg.sequence_fn"]);
    });

    test("set_config's is_local in binary format", () => {
      const local = decideFunctionCall(catalog, {
        functionOid: oid("set_config"),
        args: [Buffer.from("a.b"), Buffer.from("c"), hex("01")],
        formats: [1, 1, 1],
      });
      expect(local.findings.map((f) => f.rule)).toEqual(["pg.set_local"]);
    });

    test("known harmless calls neither pin nor count as not inspected; others are not inspected", () => {
      for (const name of ["currval", "lastval", "pg_advisory_xact_lock", "pg_advisory_unlock_all", "lo_open", "loread", "lo_creat"]) {
        expect(decide(name, []), name).toEqual({ findings: [], notInspected: false, description: `${name}()` });
      }
      expect(decideFunctionCall(catalog, { functionOid: 987654, args: [], formats: [] })).toEqual({
        findings: [],
        notInspected: true,
        description: "function oid 987654",
      });
    });
  });
});
