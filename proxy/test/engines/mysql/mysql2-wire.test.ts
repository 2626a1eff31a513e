/**
 * The mysql2 driver's bytes: mysql2 talks to the local MariaDB through a recording pipe, and the recording is
 * replayed through the module as the proxy would read it: the handshake and HandshakeResponse41 (serialized back
 * byte for byte), every command checked by commandError and given to the response tracker, every server packet
 * given to the tracker, sequence ids checked on both sides.
 */
import { createServer, connect as netConnect, type Server } from "node:net";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  Capability,
  Command,
  COMMAND_NAMES,
  type CompletedResponse,
  commandError,
  PacketFramer,
  parseClientHello,
  parseHandshakeV10,
  parseStmtExecute,
  parseStmtPrepareOk,
  ResponseTracker,
  ServerStatus,
  serializeHandshakeResponse41,
} from "../../../src/engines/mysql/protocol/index.js";
import { MARIADB } from "./support/raw-connection.js";

interface Chunk {
  from: "client" | "server";
  bytes: Buffer;
}

let pipe: Server;
const recording: Chunk[] = [];

beforeAll(async () => {
  pipe = createServer((client) => {
    const server = netConnect(MARIADB);
    client.on("data", (bytes) => {
      recording.push({ from: "client", bytes: Buffer.from(bytes) });
      server.write(bytes);
    });
    server.on("data", (bytes) => {
      recording.push({ from: "server", bytes: Buffer.from(bytes) });
      client.write(bytes);
    });
    client.on("close", () => server.end());
    server.on("close", () => client.end());
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => pipe.listen(0, "127.0.0.1", resolve));
});

afterAll(() => pipe.close());

test("a mysql2 session replays through the framer, commandError and the response tracker", async () => {
  const { port } = pipe.address() as { port: number };
  const db = await mysql.createConnection({ host: "127.0.0.1", port, user: "root", database: "mysql", multipleStatements: true });
  await db.query("select 1 as a");
  const [rows] = await db.execute<mysql.RowDataPacket[]>("select ? + 1 as b, ? as s", [41, "x"]);
  expect(rows[0]).toEqual({ b: 42, s: "x" });
  await db.query("select 1; select 2");
  await db.beginTransaction();
  await db.query("select count(*) from mysql.user");
  await db.commit();
  await db.ping();
  await db.unprepare("select ? + 1 as b, ? as s");
  await db.end();
  await new Promise((r) => setTimeout(r, 50));

  const completed: CompletedResponse[] = [];
  const inTransaction: boolean[] = [];
  const commands: number[] = [];
  let handshake: ReturnType<typeof parseHandshakeV10> | undefined;
  let capabilities = 0;
  let tracker: ResponseTracker | undefined;
  let loggedIn = false;
  let prepared: { statementId: number; paramCount: number } | undefined;
  const fail = (e: Error) => {
    throw e;
  };
  const serverFramer: PacketFramer = new PacketFramer(
    {
      packet(sequenceId, chunk, start, end, continued) {
        const payload = chunk.subarray(start + 4, end);
        if (handshake === undefined) {
          handshake = parseHandshakeV10(payload);
          return;
        }
        if (!loggedIn) {
          expect(payload[0]).toBe(0x00);
          loggedIn = true;
          clientFramer.expectSequence(0);
          tracker = new ResponseTracker(capabilities, 0, payload.readUInt16LE(3));
          return;
        }
        if (tracker!.expecting.kind === "prepare") prepared = { ...parseStmtPrepareOk(payload, capabilities) };
        const done = tracker!.serverPacket(chunk, start, end, continued);
        expect(sequenceId).toBeGreaterThan(0);
        if (done) {
          completed.push(done);
          inTransaction.push(tracker!.inTransaction);
        }
      },
      piece: () => fail(new Error("no packet here is large enough to stream")),
      invalid: fail,
    },
    { maxPayloadBytes: 1 << 24, mustRead: (first, length) => tracker?.mustRead(first, length) ?? true },
  );
  const clientFramer: PacketFramer = new PacketFramer(
    {
      packet(sequenceId, chunk, start, end) {
        const payload = chunk.subarray(start + 4, end);
        if (!loggedIn) {
          expect(sequenceId).toBe(1);
          const hello = parseClientHello(payload);
          if (hello.kind !== "handshake-response") throw new Error("mysql2 asked for TLS");
          // Byte for byte what mysql2 sent.
          expect(serializeHandshakeResponse41(hello)).toEqual(payload);
          expect([hello.username, hello.database, hello.authPluginName]).toEqual(["root", "mysql", "mysql_native_password"]);
          capabilities = (hello.capabilities & handshake!.capabilities) >>> 0;
          serverFramer.expectSequence(2);
          return;
        }
        expect(commandError(payload, 0, payload.length, capabilities, () => prepared)).toBeUndefined();
        if (payload[0] === Command.STMT_EXECUTE) {
          const execute = parseStmtExecute(payload, 0, payload.length, capabilities, prepared);
          // mysql2 binds a JavaScript number as a DOUBLE (41.0) and a string as VAR_STRING.
          expect(execute.parameters!.map((p) => [p.type, p.value?.toString("hex")])).toEqual([
            [0x05, "0000000000804440"],
            [0xfd, "78"],
          ]);
        }
        commands.push(payload[0]!);
        const silent = tracker!.command(payload, 0, payload.length);
        if (silent) completed.push(silent);
        clientFramer.expectSequence(0);
        serverFramer.expectSequence(1);
      },
      piece: () => fail(new Error("no packet here is large enough to stream")),
      invalid: fail,
    },
    { maxPayloadBytes: 1 << 24 },
  );
  clientFramer.expectSequence(1);
  for (const chunk of recording) (chunk.from === "client" ? clientFramer : serverFramer).push(chunk.bytes);

  expect(capabilities & Capability.PROTOCOL_41).toBe(Capability.PROTOCOL_41);
  // select, prepare, execute, the multi-statement, START TRANSACTION, select, COMMIT, ping, then the statement
  // closed twice (unprepare, and again as the connection ends: neither is answered), quit.
  expect(commands.map((c) => COMMAND_NAMES[c])).toEqual([
    "COM_QUERY",
    "COM_STMT_PREPARE",
    "COM_STMT_EXECUTE",
    "COM_QUERY",
    "COM_QUERY",
    "COM_QUERY",
    "COM_QUERY",
    "COM_PING",
    "COM_STMT_CLOSE",
    "COM_STMT_CLOSE",
    "COM_QUIT",
  ]);
  // Every command's response ended, in order, none with an error; the tracker is idle at the end.
  expect(completed.map((c) => c.command)).toEqual(commands);
  expect(completed.every((c) => !c.error)).toBe(true);
  expect(tracker!.idle).toBe(true);
  // In a transaction from START TRANSACTION to COMMIT only.
  expect(inTransaction).toEqual([false, false, false, false, true, true, false, false]);
  expect(completed[4]!.statusFlags! & ServerStatus.IN_TRANS).toBe(ServerStatus.IN_TRANS);
});
