import { describe, expect, test } from "vitest";
import { framePackets, MAX_PAYLOAD, PacketFramer, packetCount, ProtocolError } from "../../../src/engines/mysql/protocol/index.js";

interface Event {
  kind: "packet" | "piece";
  sequenceId: number;
  bytes: Buffer;
  continued: boolean;
  first?: boolean;
  last?: boolean;
  chunk?: Buffer;
  start?: number;
}

function collect(options: { maxPayloadBytes?: number; mustRead?: (first: number, length: number) => boolean; streamAboveBytes?: number } = {}) {
  const events: Event[] = [];
  const errors: ProtocolError[] = [];
  const framer = new PacketFramer(
    {
      packet: (sequenceId, chunk, start, end, continued) => events.push({ kind: "packet", sequenceId, bytes: Buffer.from(chunk.subarray(start, end)), continued, chunk, start }),
      piece: (sequenceId, bytes, first, last, continued) => events.push({ kind: "piece", sequenceId, bytes: Buffer.from(bytes), first, last, continued }),
      invalid: (error) => errors.push(error),
    },
    { maxPayloadBytes: options.maxPayloadBytes ?? 1 << 30, mustRead: options.mustRead, streamAboveBytes: options.streamAboveBytes },
  );
  return { framer, events, errors };
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("PacketFramer", () => {
  test("delivers each packet of one read as a range of that very read, checking sequence ids", () => {
    const { framer, events } = collect();
    framer.expectSequence(1);
    // MariaDB's answer to "select 1": column count, column definition, EOF, row, EOF.
    const chunk = hex("0200000101 01 1800000203646566000000013100000c3f0001000000038100000000 05000003fe00000200 020000040131 05000005fe00000200");
    framer.push(chunk);
    expect(events.map((e) => e.sequenceId)).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e) => e.start)).toEqual([0, 6, 34, 43, 49]);
    expect(events.every((e) => e.chunk === chunk && !e.continued)).toBe(true);
    expect(framer.expectedSequence).toBe(6);
    expect(framer.midPacket).toBe(false);
  });

  test("carries a partial header and a partial payload across reads, one byte at a time", () => {
    const { framer, events } = collect();
    const bytes = Buffer.concat([framePackets(Buffer.from("\x03select 1"), 0), framePackets(Buffer.alloc(0), 1)]);
    for (let i = 0; i < bytes.length; i++) {
      framer.push(bytes.subarray(i, i + 1));
      if (i === 2 || i === 7) expect(framer.midPacket).toBe(true);
    }
    expect(events.map((e) => e.bytes)).toEqual([framePackets(Buffer.from("\x03select 1"), 0), hex("00000001")]);
    expect(framer.midPacket).toBe(false);
  });

  test("frames a payload of exactly 16 MB - 1 as a full packet and an empty one, and reads them back flagged", () => {
    const payload = Buffer.alloc(MAX_PAYLOAD, 0x61);
    const bytes = framePackets(payload, 7);
    expect(bytes.length).toBe(4 + MAX_PAYLOAD + 4);
    expect(bytes.subarray(0, 4)).toEqual(hex("ffffff07"));
    expect(bytes.subarray(4 + MAX_PAYLOAD)).toEqual(hex("00000008"));
    expect(packetCount(MAX_PAYLOAD)).toBe(2);
    const { framer, events } = collect({ mustRead: () => true });
    framer.expectSequence(7);
    framer.push(bytes);
    expect(events.map((e) => [e.kind, e.sequenceId, e.bytes.length, e.continued])).toEqual([
      ["packet", 7, 4 + MAX_PAYLOAD, false],
      ["packet", 8, 4, true],
    ]);
  });

  test("splits a larger payload into 16 MB - 1 pieces and streams the ones the owner does not read", () => {
    const payload = Buffer.alloc(MAX_PAYLOAD + 10, 0x62);
    const bytes = framePackets(payload, 0);
    expect(bytes.length).toBe(8 + payload.length);
    const { framer, events } = collect({ mustRead: () => false });
    for (let at = 0; at < bytes.length; at += 1 << 20) framer.push(bytes.subarray(at, at + (1 << 20)));
    const pieces = events.filter((e) => e.kind === "piece");
    expect(pieces[0]!.first).toBe(true);
    expect(pieces.filter((e) => e.last).length).toBe(1);
    const last = events.at(-1)!;
    // The 10-byte tail packet is small: delivered whole, flagged as a continuation.
    expect([last.kind, last.sequenceId, last.continued, last.bytes.length]).toEqual(["packet", 1, true, 14]);
    expect(Buffer.concat(events.map((e) => e.bytes)).equals(bytes)).toBe(true);
  });

  test("holds a large packet the owner must read until it is whole", () => {
    const { framer, events } = collect({ mustRead: (first) => first === 0x00 });
    const big = framePackets(Buffer.concat([Buffer.from([0]), Buffer.alloc(100_000)]), 0);
    framer.push(big.subarray(0, 4));
    framer.push(big.subarray(4, 50_000));
    expect(events).toHaveLength(0);
    framer.push(big.subarray(50_000));
    expect(events.map((e) => e.kind)).toEqual(["packet"]);
    expect(events[0]!.bytes.equals(big)).toBe(true);
  });

  test("refuses a packet out of sequence, then stops", () => {
    const { framer, events, errors } = collect();
    framer.expectSequence(1);
    framer.push(hex("0100000301"));
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(errors[0]!.message).toBe("packet sequence id 3, expected 1: packets out of order");
    expect(errors[0]!.errno).toBe(1156);
    framer.push(hex("0100000101"));
    expect(events).toHaveLength(0);
  });

  test("refuses a logical packet above max_allowed_packet before holding it, across a 16 MB split too", () => {
    const small = collect({ maxPayloadBytes: 1000 });
    small.framer.push(hex("e9030000"));
    expect(small.errors[0]!.message).toBe("packet of 1001 payload bytes, above the limit of 1000 (max_allowed_packet)");
    expect(small.errors[0]!.errno).toBe(1153);

    const split = collect({ maxPayloadBytes: MAX_PAYLOAD + 5, mustRead: () => false });
    split.framer.push(framePackets(Buffer.alloc(MAX_PAYLOAD + 6), 0));
    expect(split.errors[0]!.message).toMatch(/packet of 16777221 payload bytes, above the limit of 16777220/);
  });
});
