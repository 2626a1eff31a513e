/**
 * A fuzzer for the MySQL protocol layer (fast-check, fixed seed: a failure reproduces). Samples are real: a session
 * with the local MariaDB recorded at test time (support/raw-connection.ts). Every parse function, commandError and
 * the response tracker get the real packets mutated (flipped bytes, cut short, lengths changed, random bodies) and
 * must never throw anything but ProtocolError; the framer must give the same packets for any way the bytes are cut
 * into reads, at every single split point of the real stream; and its memory stays bounded on hostile lengths.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  Capability,
  Command,
  commandError,
  framePackets,
  PacketFramer,
  ProtocolError,
  parseAuthMoreData,
  parseAuthSwitchRequest,
  parseChangeUser,
  parseClientHello,
  parseColumnCount,
  parseColumnDefinition41,
  parseEof,
  parseErr,
  parseFieldList,
  parseHandshakeV10,
  parseLocalInfileRequest,
  parseOk,
  parseQuery,
  parseQueryCommand,
  parseStmtExecute,
  parseStmtPrepareOk,
  parseTerminator,
  ResponseTracker,
} from "../../../src/engines/mysql/protocol/index.js";
import { CLIENT_CAPABILITIES, commandPayload, payloadOf, RawConnection, type RecordedPacket } from "./support/raw-connection.js";

const SEED = 20261217;
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let session: RecordedPacket[] = [];
let capabilities = 0;
let mariadbCapabilities = 0;

beforeAll(async () => {
  const c = await RawConnection.open({ capabilities: CLIENT_CAPABILITIES | Capability.DEPRECATE_EOF, mariadbCapabilities: 0xffffffff });
  const q = (sql: string) => c.command(commandPayload(Command.QUERY, sql));
  await q("select 1 as a, 'x' as b, null as c");
  await q("begin");
  await q("select user, host from mysql.global_priv; select 2; use mysql");
  await q("set time_zone = '+02:00'");
  await q("select * from proxyfit_no_such_table");
  await q("commit");
  const prepared = await c.command(commandPayload(Command.STMT_PREPARE, "select ? as v"));
  const id = payloadOf(prepared.packets[0]!).subarray(1, 5);
  await c.command(commandPayload(Command.STMT_EXECUTE, id, Buffer.from("000100000000010f000178", "hex")));
  await c.command(commandPayload(Command.FIELD_LIST, "user\0"));
  await c.command(commandPayload(Command.STATISTICS));
  await c.command(commandPayload(Command.PING));
  session = c.recorded;
  capabilities = c.capabilities;
  mariadbCapabilities = c.mariadbCapabilities;
  c.close();
});

afterAll(() => {
  session = [];
});

const samples = () => session.map(payloadOf);

/** Random bytes, or a real packet flipped, cut, extended or with a length byte changed. */
function mutated(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc
      .tuple(fc.nat(), fc.constantFrom("flip", "cut", "extend", "byte", "prefix"), fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([pick, how, at, value]) => {
        const all = samples();
        const out = Buffer.from(all[pick % all.length]!);
        if (out.length === 0) return out;
        const i = at % out.length;
        switch (how) {
          case "flip":
            out[i] = out[i]! ^ (1 << (value % 8));
            return out;
          case "cut":
            return out.subarray(0, i);
          case "extend":
            return Buffer.concat([out, Buffer.from([value])]);
          case "byte":
            out[i] = value;
            return out;
          default:
            // A real body behind another packet's first byte: commands and server packets mixed up.
            return Buffer.concat([Buffer.from([value]), out.subarray(1)]);
        }
      }),
  );
}

function onlyProtocolErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
  }
}

describe("parse functions on mutated real packets", () => {
  const caps = () => [capabilities, 0, Capability.PROTOCOL_41, (capabilities | Capability.QUERY_ATTRIBUTES | Capability.OPTIONAL_RESULTSET_METADATA) >>> 0];
  const parsers: Array<[string, (b: Buffer, caps: number) => unknown]> = [
    ["handshake", (b) => parseHandshakeV10(b)],
    ["client hello", (b) => parseClientHello(b)],
    ["auth switch", (b) => parseAuthSwitchRequest(b)],
    ["auth more data", (b) => parseAuthMoreData(b)],
    ["OK", (b, c) => parseOk(b, c)],
    ["ERR", (b, c) => parseErr(b, c)],
    ["EOF", (b, c) => parseEof(b, c)],
    ["terminator", (b, c) => parseTerminator(b, c)],
    ["column count", (b, c) => parseColumnCount(b, c, mariadbCapabilities)],
    ["column definition", (b) => parseColumnDefinition41(b, mariadbCapabilities)],
    ["prepare OK", (b, c) => parseStmtPrepareOk(b, c)],
    ["LOCAL INFILE request", (b) => parseLocalInfileRequest(b)],
    ["COM_QUERY", (b, c) => parseQuery(b, 0, b.length, c)],
    ["COM_QUERY layout", (b, c) => parseQueryCommand(b, 0, b.length, c)],
    ["COM_STMT_EXECUTE", (b, c) => parseStmtExecute(b, 0, b.length, c, { paramCount: b[1] ?? 0, lastTypes: [0xfd] })],
    ["COM_FIELD_LIST", (b) => parseFieldList(b)],
    ["COM_CHANGE_USER", (b, c) => parseChangeUser(b, 0, b.length, c)],
  ];

  for (const [name, parse] of parsers) {
    test(`${name}: only ProtocolError`, () => {
      fc.assert(
        fc.property(mutated(), fc.nat(), (bytes, pick) => {
          onlyProtocolErrors(() => parse(bytes, caps()[pick % 4]!));
        }),
        { seed: SEED, numRuns: 500 },
      );
    });
  }

  test("commandError never throws, and says undefined only for commands the parse functions accept", () => {
    fc.assert(
      fc.property(mutated(), fc.nat(), (bytes, pick) => {
        const c = caps()[pick % 4]!;
        const problem = commandError(bytes, 0, bytes.length, c, () => ({ paramCount: 1, lastTypes: [0xfd] }));
        if (problem === undefined && bytes[0] === Command.CHANGE_USER) parseChangeUser(bytes, 0, bytes.length, c);
        if (problem === undefined && bytes[0] === Command.QUERY) parseQuery(bytes, 0, bytes.length, c);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

test("the response tracker on mutated responses to each command: only ProtocolError", () => {
  const commands = [Command.QUERY, Command.STMT_PREPARE, Command.STMT_EXECUTE, Command.STMT_FETCH, Command.FIELD_LIST, Command.STATISTICS, Command.PING, Command.CHANGE_USER, Command.SET_OPTION];
  fc.assert(
    fc.property(fc.constantFrom(...commands), fc.array(mutated(), { maxLength: 12 }), fc.boolean(), (command, packets, deprecate) => {
      const tracker = new ResponseTracker((capabilities & ~Capability.DEPRECATE_EOF) | (deprecate ? Capability.DEPRECATE_EOF : 0), mariadbCapabilities);
      const payload = Buffer.from([command, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
      tracker.command(payload, 0, command === Command.QUERY ? 1 : payload.length);
      onlyProtocolErrors(() => {
        for (const p of packets) {
          const framed = framePackets(p, 1);
          if (tracker.clientSendsNext) tracker.clientPacket(framed, 0, framed.length, false);
          else if (tracker.serverPacket(framed, 0, framed.length, false) !== undefined) break;
        }
      });
    }),
    { seed: SEED, numRuns: 3000 },
  );
});

/** What a framer delivers, pieces joined: [sequence id, continued, packet bytes]. */
function frame(reads: Buffer[], options: { streamAboveBytes?: number; mustRead?: (f: number, l: number) => boolean } = {}): { packets: string[]; error?: string } {
  const packets: string[] = [];
  let streaming: Buffer[] = [];
  let error: string | undefined;
  const framer = new PacketFramer(
    {
      packet: (seq, chunk, start, end, continued) => packets.push(`${seq}:${continued}:${chunk.toString("hex", start, end)}`),
      piece: (seq, bytes, first, last, continued) => {
        if (first) streaming = [];
        streaming.push(Buffer.from(bytes));
        if (last) packets.push(`${seq}:${continued}:${Buffer.concat(streaming).toString("hex")}`);
      },
      invalid: (e) => {
        error = e.message;
      },
    },
    { maxPayloadBytes: 1 << 20, checkSequence: false, ...options },
  );
  for (const read of reads) framer.push(read);
  return { packets, error };
}

describe("framing", () => {
  test("every split point of the real server stream gives the packets of one whole read", () => {
    const stream = Buffer.concat(session.filter((p) => p.from === "server").map((p) => p.raw));
    expect(stream.length).toBeGreaterThan(2000);
    for (const options of [{}, { streamAboveBytes: 16 }, { streamAboveBytes: 16, mustRead: (f: number) => f === 0 }]) {
      const whole = frame([stream], options);
      expect(whole.error).toBeUndefined();
      expect(whole.packets).toHaveLength(session.filter((p) => p.from === "server").length);
      for (let at = 0; at <= stream.length; at++) {
        expect(frame([stream.subarray(0, at), stream.subarray(at)], options).packets).toEqual(whole.packets);
      }
    }
  });

  test("random packets cut into random reads frame alike, and hostile bytes end in invalid(), never a throw", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 30 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 4, max: 200 }),
        (payloads, cuts, garbage, streamAboveBytes) => {
          const bytes = Buffer.concat([...payloads.map((p, i) => framePackets(Buffer.from(p), i)), Buffer.from(garbage)]);
          const reads: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length]!;
            reads.push(bytes.subarray(at, at + n));
            at += n;
          }
          const options = { streamAboveBytes, mustRead: (f: number) => f % 2 === 0 };
          const whole = frame([bytes], options);
          const cut = frame(reads, options);
          expect(cut).toEqual(whole);
          expect(whole.packets.length).toBeGreaterThanOrEqual(payloads.length);
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });

  test("memory stays bounded: streamed packets are not held, and claimed lengths above the limit are refused unread", () => {
    gc();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    let delivered = 0;
    const framer = new PacketFramer(
      { packet: () => {}, piece: (_s, bytes) => (delivered += bytes.length), invalid: (e) => expect.fail(e.message) },
      { maxPayloadBytes: 1 << 30, checkSequence: false, mustRead: () => false },
    );
    // 16 packets of 16 MB - 1 bytes (one logical packet of 256 MB), read 64 KB at a time.
    const read = Buffer.alloc(64 * 1024, 0x61);
    const header = Buffer.from([0xff, 0xff, 0xff, 0]);
    for (let n = 0; n < 16; n++) {
      header[3] = n;
      framer.push(header);
      for (let left = 0xffffff; left > 0; left -= read.length) framer.push(read.subarray(0, Math.min(read.length, left)));
    }
    framer.push(Buffer.from([0, 0, 0, 16]));
    gc();
    const grown = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before;
    expect(delivered).toBe(16 * (4 + 0xffffff));
    expect(grown).toBeLessThan(32 * 1024 * 1024);

    const refused = frame([Buffer.from([0xff, 0xff, 0xff, 0])], { mustRead: () => true });
    expect(refused).toEqual({ packets: [], error: "packet of 16777215 payload bytes, above the limit of 1048576 (max_allowed_packet)" });
  });
});
