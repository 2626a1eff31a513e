import { describe, expect, test } from "vitest";
import { HeldMessages } from "../../../src/core/wire/held-messages.js";

/** A typed message: type byte, int32 length (itself included), body. */
function msg(type: string, body = ""): Buffer {
  const out = Buffer.alloc(5 + Buffer.byteLength(body));
  out.write(type, 0, "latin1");
  out.writeInt32BE(4 + Buffer.byteLength(body), 1);
  out.write(body, 5);
  return out;
}

function released(held: HeldMessages, stopAfter = Number.POSITIVE_INFINITY) {
  const seen: string[] = [];
  const chunks = new Set<Buffer>();
  held.release({
    message: (type, chunk, start, end) => {
      chunks.add(chunk);
      seen.push(`${String.fromCharCode(type)}:${chunk.subarray(start + 5, end).toString()}`);
      return seen.length < stopAfter;
    },
    piece: (bytes, last) => {
      seen.push(`piece:${bytes.toString()}${last ? ":last" : ""}`);
      return seen.length < stopAfter;
    },
  });
  return { seen, chunks };
}

describe("HeldMessages", () => {
  test("gives back every message in order, consecutive messages of one read as one run", () => {
    const read1 = Buffer.concat([msg("B", "b1"), msg("E", "e1"), msg("S")]);
    const read2 = Buffer.concat([msg("Q", "select 1")]);
    const held = new HeldMessages();
    held.message(read1, 0, 7);
    held.message(read1, 7, 14);
    held.message(read1, 14, 19);
    held.message(read2, 0, read2.length);
    expect(held.empty).toBe(false);
    const { seen, chunks } = released(held);
    expect(seen).toEqual(["B:b1", "E:e1", "S:", "Q:select 1"]);
    // The whole of each read, not a view per message.
    expect([...chunks]).toEqual([read1, read2]);
    expect(held.empty).toBe(true);
  });

  test("messages of one read with a gap between them stay apart; pieces are copies with their end marked", () => {
    const read = Buffer.concat([msg("B", "b1"), msg("H"), msg("S")]);
    const piece = Buffer.from("rows");
    const held = new HeldMessages();
    held.message(read, 0, 7);
    held.message(read, 12, 17);
    held.piece(piece, false);
    held.piece(Buffer.from("more"), true);
    piece.write("XXXX");
    expect(released(held).seen).toEqual(["B:b1", "S:", "piece:rows", "piece:more:last"]);
  });

  test("a sink that stops ends the release, and what it did not see is forgotten", () => {
    const read = Buffer.concat([msg("Q", "a"), msg("X"), msg("Q", "b")]);
    const held = new HeldMessages();
    held.message(read, 0, read.length);
    expect(released(held, 2).seen).toEqual(["Q:a", "X:"]);
    expect(held.empty).toBe(true);
    expect(released(held).seen).toEqual([]);
  });
});
