import { describe, expect, test } from "vitest";
import { frontendMessageError } from "../../../../src/engines/postgres/protocol/frontend.js";
import { cstr, frame, hex, int16, int32 } from "../support/wire.js";

const check = (message: Buffer) => frontendMessageError(message[0]!, message, 0, message.length);

describe("frontend message validation: each type's exact layout", () => {
  test("well-formed messages of every type pass", () => {
    for (const message of [
      frame("Q", cstr("select 1")),
      frame("P", cstr("s1"), cstr("select $1"), int16(1), int32(23)),
      frame("P", cstr(""), cstr("select 1"), int16(0)),
      frame("B", cstr("p"), cstr("s1"), int16(1), int16(1), int16(2), int32(2), Buffer.from("42"), int32(-1), int16(0)),
      frame("D", Buffer.from("S"), cstr("s1")),
      frame("C", Buffer.from("P"), cstr("")),
      frame("E", cstr(""), int32(0)),
      frame("S"),
      frame("H"),
      frame("X"),
      frame("c"),
      frame("f", cstr("no thanks")),
      frame("F", int32(1598), int16(1), int16(0), int16(1), int32(3), Buffer.from("abc"), int16(0)),
      frame("d", Buffer.from([0, 1, 2, 0xff])),
    ]) {
      expect(check(message), message.toString("hex")).toBeUndefined();
    }
  });

  test("a long query is searched past its first bytes", () => {
    expect(check(frame("Q", cstr("select 1 -- ".padEnd(10_000, "x"))))).toBeUndefined();
    expect(check(frame("Q", Buffer.from("select 1 -- ".padEnd(10_000, "x"))))).toMatch(/terminating NUL/);
  });

  test.each([
    ["Parse whose strings lack their NUL", hex("50 00000008 61626364"), "invalid Parse message: string without its terminating NUL"],
    ["Bind without its NUL", hex("42 00000007 616263"), "invalid Bind message: string without its terminating NUL"],
    ["Describe with target byte 'X'", hex("44 00000006 58 00"), "invalid Describe message: target must be 'S' or 'P', got byte 88"],
    ["Close without a target", hex("43 00000004"), "invalid Close message: insufficient data left in message"],
    ["Query with a NUL inside", frame("Q", Buffer.from("select 1\0; drop table t\0")), "invalid Query message: bytes left over after its last field"],
    ["Parse claiming more type oids than it has", frame("P", cstr(""), cstr("select $1"), int16(2), int32(23)), "invalid Parse message: insufficient data left in message"],
    ["Parse with bytes after its oids", frame("P", cstr(""), cstr("select 1"), int16(0), Buffer.from([1])), "invalid Parse message: bytes left over after its last field"],
    ["Bind whose parameter overruns", frame("B", cstr(""), cstr(""), int16(0), int16(1), int32(100), Buffer.from("42"), int16(0)), "invalid Bind message: insufficient data left in message"],
    ["Bind with a parameter length of -2", frame("B", cstr(""), cstr(""), int16(0), int16(1), int32(-2), int16(0)), "invalid Bind message: a parameter length below -1"],
    ["Bind without its result formats", frame("B", cstr(""), cstr(""), int16(0), int16(0)), "invalid Bind message: insufficient data left in message"],
    ["Execute without its row limit", frame("E", cstr("")), "invalid Execute message: insufficient data left in message"],
    ["Sync with content", frame("S", Buffer.from([0])), "invalid Sync message: length 5, expected 4"],
    ["Terminate with content", frame("X", Buffer.from("bye")), "invalid Terminate message: length 7, expected 4"],
    ["FunctionCall without its result format", frame("F", int32(1598), int16(0), int16(0)), "invalid FunctionCall message: insufficient data left in message"],
    ["FunctionCall with 2 formats for 1 argument", frame("F", int32(1598), int16(2), int16(0), int16(0), int16(1), int32(-1), int16(0)), "invalid FunctionCall message: 2 argument formats for 1 arguments"],
    ["CopyFail without its NUL", frame("f", Buffer.from("oops")), "invalid CopyFail message: string without its terminating NUL"],
    ["an unknown type", hex("01 00000004"), "invalid frontend message type 1"],
    ["a PasswordMessage after login", frame("p", cstr("secret")), "invalid frontend message type 112"],
  ])("%s", (_name, message, reason) => {
    expect(check(message)).toBe(reason);
  });

  test("a message is checked where it lies in a chunk, never past its end", () => {
    const sync = frame("S");
    const chunk = Buffer.concat([sync, hex("51 00000008 73656c65"), frame("Q", cstr("x"))]);
    expect(frontendMessageError(0x51, chunk, sync.length, sync.length + 9)).toBe("invalid Query message: string without its terminating NUL");
  });
});
