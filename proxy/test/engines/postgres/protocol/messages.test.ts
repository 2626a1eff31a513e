import { describe, expect, test } from "vitest";
import {
  parseAuthentication,
  parseNoticeFields,
  parseParameterStatus,
  parseReadyForQuery,
} from "../../../../src/engines/postgres/protocol/backend.js";
import {
  ProtocolError,
  parseBind,
  parseParse,
  parseQuery,
  parseSaslInitialResponse,
  parseStartupRequest,
  parseTarget,
} from "../../../../src/engines/postgres/protocol/frontend.js";
import type { Socket } from "node:net";
import { OutputBatch } from "../../../../src/core/wire/output-batch.js";
import {
  authenticationSasl,
  errorResponse,
  readyForQuery,
  renamedBind,
  renamedParse,
  startupMessage,
} from "../../../../src/engines/postgres/protocol/serialize.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("frontend messages", () => {
  test("StartupMessage: protocol 3.0 and NUL-terminated pairs", () => {
    // length 41, 3.0, "user\0alice\0database\0app\0\0"
    const bytes = Buffer.concat([hex("00000022 00030000"), Buffer.from("user\0alice\0database\0app\0\0")]);
    bytes.writeInt32BE(bytes.length, 0);
    const request = parseStartupRequest(bytes);
    expect(request).toEqual({
      kind: "startup",
      protocolVersion: 196608,
      parameters: new Map([
        ["user", "alice"],
        ["database", "app"],
      ]),
    });
    expect(startupMessage(new Map([["user", "alice"], ["database", "app"]]))).toEqual(bytes);
  });

  test("SSLRequest, GSSENCRequest and CancelRequest", () => {
    expect(parseStartupRequest(hex("00000008 04d2162f"))).toEqual({ kind: "ssl" });
    expect(parseStartupRequest(hex("00000008 04d21630"))).toEqual({ kind: "gssenc" });
    expect(parseStartupRequest(hex("00000010 04d2162e 00000007 0000002a"))).toEqual({ kind: "cancel", processId: 7, secretKey: 42 });
  });

  test("an unknown protocol version is refused", () => {
    expect(() => parseStartupRequest(hex("00000008 00020000"))).toThrow(ProtocolError);
  });

  test("Query, Parse, Bind, Describe and Close", () => {
    expect(parseQuery(Buffer.concat([hex("51 0000000d"), Buffer.from("select 1\0")]))).toBe("select 1");
    const parse = Buffer.concat([hex("50 00000015"), Buffer.from("s1\0select $1\0"), hex("0001 00000017")]);
    expect(parseParse(parse)).toEqual({ statementName: "s1", query: "select $1", nameStart: 5, queryStart: 8 });
    // Bind: portal "", statement "s1", 0 format codes, 1 parameter "42", 0 result formats
    const bind = Buffer.concat([hex("42 00000014"), Buffer.from("\0s1\0"), hex("0000 0001 00000002 3432 0000")]);
    expect(parseBind(bind)).toEqual({ statementStart: 6, statementEnd: 8 });
    expect(parseTarget(Buffer.concat([hex("44 00000008 53"), Buffer.from("s1\0")]))).toEqual({ target: "S", name: "s1" });
    expect(parseTarget(Buffer.concat([hex("43 00000006 50"), Buffer.from("\0")]))).toEqual({ target: "P", name: "" });
  });

  test("messages read where they lie in a chunk of several, offsets relative to the chunk", () => {
    const sync = hex("53 00000004");
    const bind = Buffer.concat([hex("42 00000014"), Buffer.from("\0s1\0"), hex("0000 0001 00000002 3432 0000")]);
    const query = Buffer.concat([hex("51 0000000d"), Buffer.from("select 1\0")]);
    const chunk = Buffer.concat([sync, bind, query, sync]);
    const bindStart = sync.length;
    const queryStart = bindStart + bind.length;
    expect(parseBind(chunk, bindStart, queryStart)).toEqual({ statementStart: 11, statementEnd: 13 });
    expect(parseQuery(chunk, queryStart, queryStart + query.length)).toBe("select 1");
    // A name that runs past its message is refused, even though the chunk holds a NUL further on.
    expect(() => parseBind(chunk, bindStart, bindStart + 8)).toThrow(/terminating NUL/);
  });

  test("renaming a statement keeps everything else byte for byte", () => {
    const body = Buffer.concat([Buffer.from("select $1\0"), hex("0001 00000017")]);
    expect(renamedParse("pf_1", body)).toEqual(Buffer.concat([hex("50 00000019"), Buffer.from("pf_1\0"), body]));
    const rest = hex("0000 0001 00000002 3432 0000");
    const bind = Buffer.concat([hex("42 00000015"), Buffer.from("p\0s1\0"), rest]);
    const chunk = Buffer.concat([hex("53 00000004"), bind, hex("53 00000004")]);
    const { statementStart, statementEnd } = parseBind(chunk, 5, 5 + bind.length);
    expect(renamedBind(chunk, 5, statementStart, statementEnd + 1, 5 + bind.length, "pf_1")).toEqual(
      Buffer.concat([hex("42 00000017"), Buffer.from("p\0pf_1\0"), rest]),
    );
  });

  test("SASLInitialResponse: mechanism, length-prefixed data", () => {
    const data = Buffer.from("n,,n=,r=abc");
    const frame = Buffer.concat([hex("70 00000022"), Buffer.from("SCRAM-SHA-256\0"), hex("0000000b"), data]);
    expect(parseSaslInitialResponse(frame)).toEqual({ mechanism: "SCRAM-SHA-256", data });
  });

  test("a string without its NUL is a protocol error", () => {
    expect(() => parseParse(Buffer.concat([hex("50 00000008"), Buffer.from("abc")]))).toThrow(/terminating NUL/);
  });
});

describe("backend messages", () => {
  test("ReadyForQuery, ParameterStatus, ErrorResponse", () => {
    expect(parseReadyForQuery(hex("5a 00000005 54"))).toBe("T");
    expect(readyForQuery("E")).toEqual(hex("5a 00000005 45"));
    expect(parseParameterStatus(Buffer.concat([hex("53 00000019"), Buffer.from("TimeZone\0Etc/UTC\0")]))).toEqual({
      name: "TimeZone",
      value: "Etc/UTC",
    });
    const error = errorResponse({ severity: "ERROR", code: "53300", message: "no room" });
    expect(error).toEqual(Buffer.concat([hex("45 00000023"), Buffer.from("SERROR\0VERROR\0C53300\0Mno room\0\0")]));
    expect(parseNoticeFields(error)).toEqual(
      new Map([
        ["S", "ERROR"],
        ["V", "ERROR"],
        ["C", "53300"],
        ["M", "no room"],
      ]),
    );
  });

  test("Authentication requests", () => {
    expect(parseAuthentication(hex("52 00000008 00000000"))).toEqual({ kind: "ok" });
    expect(parseAuthentication(hex("52 0000000c 00000005 01020304"))).toEqual({ kind: "md5", salt: hex("01020304") });
    expect(parseAuthentication(authenticationSasl(["SCRAM-SHA-256"]))).toEqual({ kind: "sasl", mechanisms: ["SCRAM-SHA-256"] });
    expect(parseAuthentication(hex("52 00000008 00000007"))).toEqual({ kind: "unsupported", code: 7 });
  });
});

/** What an OutputBatch writes, as the socket receives it. */
function written(batch: OutputBatch): Buffer[] {
  const writes: Buffer[] = [];
  const socket = { write: (b: Buffer) => writes.push(b), cork() {}, uncork() {} } as unknown as Socket;
  batch.writeTo(socket);
  return writes;
}

describe("OutputBatch", () => {
  test("a few small parts (views of a read, the proxy's own bytes) go out as one joined write", () => {
    const chunk = Buffer.from("aaaabbbbcccc");
    const batch = new OutputBatch();
    batch.push(chunk.subarray(0, 4));
    batch.push(chunk.subarray(4, 8));
    batch.push(Buffer.from("XX"));
    batch.push(chunk.subarray(8, 12));
    expect(written(batch).map((p) => p.toString())).toEqual(["aaaabbbbXXcccc"]);
    expect(batch.empty).toBe(true);
  });

  test("ranges of one chunk merge; a chunk passed through whole is written as that very buffer", () => {
    const chunk = Buffer.from("aaaabbbbcccc");
    const batch = new OutputBatch();
    batch.push(chunk, 0, 4);
    batch.push(chunk, 4, 8);
    batch.push(chunk, 8, 12);
    const [whole] = written(batch);
    expect(whole).toBe(chunk);
    batch.push(chunk, 0, 4);
    batch.push(chunk, 8, 12);
    expect(written(batch).map((p) => p.toString())).toEqual(["aaaacccc"]);
  });

  test("many bytes go out as a corked vector of the parts, not one joined copy", () => {
    const big = Buffer.alloc(20_000, 1);
    const batch = new OutputBatch();
    batch.push(big);
    batch.push(Buffer.from("tail"));
    const parts = written(batch);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(big);
  });
});
