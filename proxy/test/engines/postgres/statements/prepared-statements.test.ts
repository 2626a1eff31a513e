import { describe, expect, test } from "vitest";
import {
  type ClientStatement,
  ClientStatements,
  MAX_CLIENT_STATEMENT_BYTES,
  MAX_CLIENT_STATEMENTS,
  PreparedOnConnection,
  StatementNames,
} from "../../../../src/engines/postgres/statements/prepared-statements.js";

function statement(name: string, serverName: string): ClientStatement {
  return { name, nameBytes: Buffer.from(name), serverName, body: Buffer.from("select 1\0\0\0"), query: "select 1", parsedAt: 0 };
}

/** A Bind-like chunk with the name at [5, 5 + name length). */
function chunkNaming(name: string): Buffer {
  return Buffer.concat([Buffer.from("B\0\0\0\0"), Buffer.from(name), Buffer.from("\0rest")]);
}

describe("ClientStatements", () => {
  test("finds a statement by the bytes of its name, again and again, and tells names of the same length apart", () => {
    const statements = new ClientStatements();
    statements.set("s1", statement("s1", "pf_1"));
    statements.set("s2", statement("s2", "pf_2"));
    for (let i = 0; i < 3; i++) expect(statements.named(chunkNaming("s1"), 5, 7)?.serverName).toBe("pf_1");
    expect(statements.named(chunkNaming("s2"), 5, 7)?.serverName).toBe("pf_2");
    expect(statements.named(chunkNaming("s3"), 5, 7)).toBeUndefined();
    expect(statements.named(chunkNaming("s2"), 5, 7)?.serverName).toBe("pf_2");
  });

  test("a name parsed again or closed is never answered from the statement found last", () => {
    const statements = new ClientStatements();
    statements.set("s1", statement("s1", "pf_1"));
    expect(statements.named(chunkNaming("s1"), 5, 7)?.serverName).toBe("pf_1");
    statements.set("s1", statement("s1", "pf_9"));
    expect(statements.named(chunkNaming("s1"), 5, 7)?.serverName).toBe("pf_9");
    statements.delete("s1");
    expect(statements.named(chunkNaming("s1"), 5, 7)).toBeUndefined();
  });

  test("names are UTF-8, as the Parse that named them", () => {
    const statements = new ClientStatements();
    statements.set("é1", statement("é1", "pf_1"));
    expect(statements.named(chunkNaming("é1"), 5, 5 + Buffer.byteLength("é1"))?.serverName).toBe("pf_1");
  });
});

describe("PreparedOnConnection", () => {
  test("the least recently used statement is the one neither added nor used for longest", () => {
    const prepared = new PreparedOnConnection();
    prepared.add("pf_1", 1);
    prepared.add("pf_2", 2);
    prepared.add("pf_3", 3);
    expect(prepared.use("pf_1", 0)).toBe(true);
    expect(prepared.leastRecentlyUsed()).toBe("pf_2");
    prepared.delete("pf_2");
    expect(prepared.leastRecentlyUsed()).toBe("pf_3");
    expect(prepared.use("pf_2", 0)).toBe(false);
    expect(prepared.size).toBe(2);
  });

  test("a copy prepared before a client's Parse is not used for it, and is not marked used", () => {
    const prepared = new PreparedOnConnection();
    prepared.add("pf_1", 5);
    prepared.add("pf_2", 6);
    expect(prepared.use("pf_1", 5)).toBe(true);
    expect(prepared.use("pf_2", 7)).toBe(false);
    expect(prepared.has("pf_2")).toBe(true);
    expect(prepared.leastRecentlyUsed()).toBe("pf_2");
  });
});

describe("bounds", () => {
  test("StatementNames shares a name per body, never remembers a body over 16 KB, and starts over past 32 MB", () => {
    const names = new StatementNames();
    const small = Buffer.from("select 1\0\0\0");
    const first = names.nameFor(small);
    expect(names.nameFor(Buffer.from(small))).toBe(first);
    const large = Buffer.alloc(16 * 1024 + 1, 0x20);
    expect(names.nameFor(large)).not.toBe(names.nameFor(large));
    // 2,100 distinct 16 KB bodies pass 32 MB: the table starts over, and the first body gets a new name.
    for (let i = 0; i < 2100; i++) names.nameFor(Buffer.concat([Buffer.from(`select ${i}`), Buffer.alloc(16 * 1024 - 12, 0x20)]));
    expect(names.nameFor(small)).not.toBe(first);
  });

  test("a client's statements are limited by count and bytes; replacing or closing one gives its bytes back", () => {
    const statements = new ClientStatements();
    const sized = (name: string, bytes: number): ClientStatement => ({ ...statement(name, "pf_1"), body: Buffer.alloc(bytes) });
    expect(statements.set("a", sized("a", MAX_CLIENT_STATEMENT_BYTES - 10))).toBe(true);
    expect(statements.set("b", sized("b", 11))).toBe(false);
    expect(statements.get("b")).toBeUndefined();
    expect(statements.set("a", sized("a", 10))).toBe(true);
    expect(statements.set("b", sized("b", MAX_CLIENT_STATEMENT_BYTES - 10))).toBe(true);
    statements.delete("b");
    for (let i = 1; i < MAX_CLIENT_STATEMENTS; i++) expect(statements.set(`s${i}`, sized(`s${i}`, 1))).toBe(true);
    expect(statements.set("one-too-many", sized("one-too-many", 1))).toBe(false);
    expect(statements.set("s1", sized("s1", 2))).toBe(true);
  });
});
