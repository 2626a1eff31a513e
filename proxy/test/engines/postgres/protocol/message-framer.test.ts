import { describe, expect, test } from "vitest";
import { MessageFramer } from "../../../../src/engines/postgres/protocol/message-framer.js";

/** A typed message: type byte, int32 length (itself included), body. */
function msg(type: string, body: Buffer | string = ""): Buffer {
  const b = typeof body === "string" ? Buffer.from(body) : body;
  const out = Buffer.alloc(5 + b.length);
  out.write(type, 0, "latin1");
  out.writeInt32BE(4 + b.length, 1);
  b.copy(out, 5);
  return out;
}

function collect(mustRead: (t: number) => boolean = () => true, maxMessageBytes = 1 << 30) {
  const events: Array<{ kind: string; type: number; bytes: Buffer; first?: boolean; last?: boolean; chunk?: Buffer; start?: number }> = [];
  const problems: string[] = [];
  const framer = new MessageFramer(
    {
      message: (type, chunk, start, end) => events.push({ kind: "message", type, bytes: Buffer.from(chunk.subarray(start, end)), chunk, start }),
      piece: (type, bytes, first, last) => events.push({ kind: "piece", type, bytes: Buffer.from(bytes), first, last }),
      invalid: (reason) => problems.push(reason),
    },
    { mustRead, maxMessageBytes },
  );
  return { framer, events, problems };
}

describe("MessageFramer", () => {
  test("delivers each message of one read as a range of that very read", () => {
    const { framer, events } = collect();
    const chunk = Buffer.concat([msg("Q", "select 1\0"), msg("S"), msg("X")]);
    framer.push(chunk);
    expect(events.map((e) => String.fromCharCode(e.type))).toEqual(["Q", "S", "X"]);
    expect(events[0]!.bytes).toEqual(msg("Q", "select 1\0"));
    expect(events.map((e) => [e.chunk, e.start])).toEqual([
      [chunk, 0],
      [chunk, 14],
      [chunk, 19],
    ]);
    expect(events[1]!.chunk).toBe(chunk);
    expect(framer.midMessage).toBe(false);
  });

  test("carries a partial header and a partial body across reads, one byte at a time", () => {
    const { framer, events } = collect();
    const bytes = Buffer.concat([msg("P", "s1\0select $1\0\0\0"), msg("S")]);
    for (let i = 0; i < bytes.length; i++) {
      framer.push(bytes.subarray(i, i + 1));
      if (i === 10) expect(framer.midMessage).toBe(true);
    }
    expect(events.map((e) => e.bytes)).toEqual([msg("P", "s1\0select $1\0\0\0"), msg("S")]);
    expect(framer.midMessage).toBe(false);
  });

  test("streams a large message it does not read, in pieces, without waiting for the end", () => {
    const { framer, events } = collect((t) => t !== 0x64);
    const big = msg("d", Buffer.alloc(200_000, 7));
    framer.push(big.subarray(0, 70_000));
    framer.push(big.subarray(70_000, 150_000));
    framer.push(Buffer.concat([big.subarray(150_000), msg("c")]));
    expect(events.map((e) => [e.kind, e.first, e.last])).toEqual([
      ["piece", true, false],
      ["piece", false, false],
      ["piece", false, true],
      ["message", undefined, undefined],
    ]);
    expect(Buffer.concat(events.slice(0, 3).map((e) => e.bytes)).equals(big)).toBe(true);
  });

  test("holds a large message it must read until it is whole", () => {
    const { framer, events } = collect();
    const big = msg("Q", `${"x".repeat(100_000)}\0`);
    framer.push(big.subarray(0, 10));
    framer.push(big.subarray(10, 50_000));
    expect(events).toHaveLength(0);
    framer.push(big.subarray(50_000));
    expect(events).toHaveLength(1);
    expect(events[0]!.bytes.equals(big)).toBe(true);
  });

  test("refuses a length below 4 and a length above the limit, and then stops", () => {
    const low = collect();
    low.framer.push(Buffer.from([0x51, 0, 0, 0, 3]));
    expect(low.problems[0]).toMatch(/length 3, below the minimum of 4/);
    low.framer.push(msg("S"));
    expect(low.events).toHaveLength(0);

    const high = collect(() => true, 1000);
    high.framer.push(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]));
    expect(high.problems[0]).toMatch(/claims 2147483648 bytes, above the limit of 1000/);
  });
});
