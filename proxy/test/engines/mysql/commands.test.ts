/**
 * Command parse functions and commandError on exact bytes. The real clients' commands are checked in
 * mysql2-wire.test.ts; here each layout rule, and the query attributes of MySQL 8.0.23+ (which MariaDB does not
 * have, so these bytes are built from MySQL's documented layout).
 */
import { describe, expect, test } from "vitest";
import {
  Capability,
  Command,
  commandError,
  parseChangeUser,
  parseFieldList,
  parseProcessKill,
  parseQuery,
  parseQueryCommand,
  parseStatementId,
  parseStmtExecute,
  parseStmtFetch,
  parseStmtSendLongData,
  ProtocolError,
} from "../../../src/engines/mysql/protocol/index.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const CAPS = Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH | Capability.CONNECT_ATTRS;
const QA = CAPS | Capability.QUERY_ATTRIBUTES;
const check = (bytes: Buffer, caps = CAPS) => commandError(bytes, 0, bytes.length, caps);

describe("commands", () => {
  test("COM_QUERY, plain and with query attributes", () => {
    expect(parseQuery(hex("03 73656c6563742031"))).toBe("select 1");
    // One attribute "n" = TINY 7: count 1, one set, NULL bitmap 00, bound 01, type 0100 and name, value 07.
    const attributed = hex("03 01 01 00 01 0100 016e 07 73656c6563742031");
    expect(parseQuery(attributed, 0, attributed.length, QA)).toBe("select 1");
    expect(parseQueryCommand(attributed, 0, attributed.length, QA).attributes).toEqual([{ type: 1, name: "n", value: hex("07") }]);
    expect(parseQuery(hex("03 00 01 73656c6563742031"), 0, 11, QA)).toBe("select 1");
    expect(check(attributed, QA)).toBeUndefined();
    expect(check(hex("03 01 02 00 01 0100 016e 07"), QA)).toBe("COM_QUERY: parameter set count is not 1");
    expect(check(hex("03 01 01 00 01 0100 05"), QA)).toBe("COM_QUERY: parameter name needs 5 bytes, 0 left");
  });

  test("COM_STMT_EXECUTE: checked to its last value when the statement is known", () => {
    // Statement 1, no cursor, one iteration, two parameters: NULL bitmap 02 (second NULL), bound, LONGLONG and VAR_STRING.
    const bytes = hex("17 01000000 00 01000000 02 01 0800 fd00 2a00000000000000");
    expect(parseStmtExecute(bytes, 0, bytes.length, CAPS, { paramCount: 2 }).parameters).toEqual([
      { type: 8, name: undefined, value: hex("2a00000000000000") },
      { type: 0xfd, name: undefined, value: null },
    ]);
    expect(parseStmtExecute(bytes).parameters).toBeUndefined();
    expect(commandError(bytes, 0, bytes.length, CAPS, () => ({ paramCount: 2 }))).toBeUndefined();
    expect(commandError(bytes, 0, bytes.length - 1, CAPS, () => ({ paramCount: 2 }))).toBe("COM_STMT_EXECUTE: LONGLONG value needs 8 bytes, 7 left");
    expect(commandError(bytes, 0, bytes.length, CAPS, () => ({ paramCount: 1 }))).toMatch(/left over/);
    // Not rebound: the types of the last execution are used.
    const again = hex("17 01000000 00 01000000 00 00 2a00000000000000 0178");
    expect(parseStmtExecute(again, 0, again.length, CAPS, { paramCount: 2, lastTypes: [8, 0xfd] }).parameters![1]!.value).toEqual(hex("78"));
    expect(() => parseStmtExecute(again, 0, again.length, CAPS, { paramCount: 2 })).toThrow("COM_STMT_EXECUTE: parameter values without types (no earlier execution bound them)");
    expect(check(hex("17 010000"))).toBe("COM_STMT_EXECUTE: statement id needs 4 bytes, 3 left");
  });

  test("fixed-size commands: exact lengths", () => {
    expect(parseStatementId(hex("19 07000000"))).toBe(7);
    expect(parseStatementId(hex("1a 07000000"))).toBe(7);
    expect(parseStmtFetch(hex("1c 07000000 0a000000"))).toEqual({ statementId: 7, rowCount: 10 });
    expect(parseProcessKill(hex("0c 2a000000"))).toBe(42);
    expect(parseStmtSendLongData(hex("18 07000000 0100 616263"))).toEqual({ statementId: 7, paramId: 1, data: Buffer.from("abc") });
    expect(check(hex("19 07000000 00"))).toBe("COM_STMT_CLOSE: 1 bytes left over after its last field");
    expect(check(hex("1b 0100"))).toBeUndefined();
    expect(check(hex("1b 01"))).toBe("COM_SET_OPTION: option needs 2 bytes, 1 left");
    for (const bare of [Command.PING, Command.QUIT, Command.STATISTICS, Command.RESET_CONNECTION]) {
      expect(check(Buffer.from([bare]))).toBeUndefined();
      expect(check(Buffer.from([bare, 0]))).toMatch(/1 bytes after the command byte/);
    }
  });

  test("COM_FIELD_LIST and COM_CHANGE_USER", () => {
    expect(parseFieldList(hex("04 7400 25"))).toEqual({ table: "t", wildcard: "%" });
    expect(check(hex("04 74"))).toBe("COM_FIELD_LIST: table has no terminating NUL");
    const change = hex("11 617070 00 02 abcd 6462 00 2d00 6d7973716c5f6e61746976655f70617373776f726400 04 0161 0162");
    expect(parseChangeUser(change, 0, change.length, CAPS)).toEqual({
      username: "app",
      authResponse: hex("abcd"),
      database: "db",
      charset: 45,
      authPluginName: "mysql_native_password",
      connectAttributes: new Map([["a", "b"]]),
    });
    expect(check(change.subarray(0, 7))).toBe("COM_CHANGE_USER: auth response needs 2 bytes, 1 left");
  });

  test("unknown and empty commands are refused, and parse functions throw only ProtocolError", () => {
    expect(check(hex("12"))).toBe("unsupported command 0x12");
    expect(check(Buffer.alloc(0))).toBe("an empty packet where a command was expected");
    expect(() => parseProcessKill(hex("0c 01"))).toThrow(ProtocolError);
    expect(() => parseStatementId(hex("03 01000000"))).toThrow(ProtocolError);
  });
});
