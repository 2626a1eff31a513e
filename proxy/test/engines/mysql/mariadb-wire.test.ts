/**
 * Real server bytes: a raw TCP client (support/raw-connection.ts) logs in to the local MariaDB 10.11, sends each
 * command, and the module's framer, parse functions and response tracker read what MariaDB answers. Exact bytes are
 * asserted where MariaDB's answer is deterministic; every packet the module can serialize must come back byte for
 * byte from its parsed form.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { nativePasswordToken } from "../../../src/engines/mysql/auth/index.js";
import {
  Capability,
  Command,
  CursorType,
  MariadbCapability,
  MAX_PAYLOAD,
  parseAuthSwitchRequest,
  parseColumnDefinition41,
  parseEof,
  parseErr,
  parseHandshakeV10,
  parseLocalInfileRequest,
  parseOk,
  parseStmtPrepareOk,
  parseTerminator,
  ServerStatus,
  serializeEof,
  serializeErr,
  serializeHandshakeV10,
  serializeOk,
  serializeStmtPrepareOk,
} from "../../../src/engines/mysql/protocol/index.js";
import { CLIENT_CAPABILITIES, commandPayload, payloadOf, RawConnection, type RecordedPacket } from "./support/raw-connection.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const wire = (packets: RecordedPacket[]) => packets.map((p) => p.raw.toString("hex")).join(" ");
const query = (sql: string) => commandPayload(Command.QUERY, sql);
const int4 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

describe.each<[string, number]>([
  ["EOF packets", 0],
  ["CLIENT_DEPRECATE_EOF", Capability.DEPRECATE_EOF],
])("MariaDB 10.11 with %s", (_name, deprecateEof) => {
  let c: RawConnection;
  const eof = (seq: string, status: string) => (deprecateEof ? `070000${seq}fe0000${status}0000` : `050000${seq}fe0000${status}`);
  beforeAll(async () => {
    c = await RawConnection.open({ capabilities: CLIENT_CAPABILITIES | deprecateEof, mariadbCapabilities: 0xffffffff });
  });
  afterAll(() => c.close());

  test("the handshake parses and serializes back to MariaDB's exact bytes", () => {
    const h = c.handshake;
    expect(h.protocolVersion).toBe(10);
    expect(h.serverVersion).toMatch(/^5\.5\.5-10\.11\.\d+-MariaDB/);
    expect(h.authPluginData).toHaveLength(20);
    expect(h.authPluginName).toBe("mysql_native_password");
    // MariaDB does not set CLIENT_LONG_PASSWORD ("CLIENT_MYSQL"), and puts its own capabilities in the reserved bytes.
    expect(h.capabilities & Capability.LONG_PASSWORD).toBe(0);
    expect(h.mariadbCapabilities & MariadbCapability.PROGRESS).toBe(MariadbCapability.PROGRESS);
    expect(h.capabilities & Capability.DEPRECATE_EOF).toBe(Capability.DEPRECATE_EOF);
    expect(serializeHandshakeV10(h)).toEqual(payloadOf({ raw: c.handshakePacket } as RecordedPacket));
    expect(parseHandshakeV10(serializeHandshakeV10(h))).toEqual(h);
  });

  test("select 1: a result set, exact bytes, ended where the tracker says", async () => {
    const r = await c.command(query("select 1"));
    // Column count 1 with MariaDB's metadata-follows byte (CACHE_METADATA), "def" column "1", EOF, row "1", end.
    const expected = [
      "020000010101",
      "1800000203646566000000013100000c3f0001000000038100000000",
      ...(deprecateEof ? [] : [eof("03", "0200")]),
      `0200000${deprecateEof ? 3 : 4}0131`,
      eof(deprecateEof ? "04" : "05", "0200"),
    ];
    expect(wire(r.packets)).toBe(expected.join(" "));
    expect(r.completed).toEqual({ command: Command.QUERY, statusFlags: ServerStatus.AUTOCOMMIT, error: false });
    const column = parseColumnDefinition41(payloadOf(r.packets[1]!), c.mariadbCapabilities);
    expect([column.catalog, column.name, column.type, column.columnLength]).toEqual(["def", "1", 3, 1]);
  });

  test("begin, multi-results and commit: status flags and SERVER_MORE_RESULTS_EXISTS", async () => {
    const begin = await c.command(query("begin"));
    expect(wire(begin.packets)).toBe("0700000100000003000000");
    expect(begin.completed.statusFlags).toBe(ServerStatus.IN_TRANS | ServerStatus.AUTOCOMMIT);
    expect(c.tracker.inTransaction).toBe(true);
    const multi = await c.command(query("select 1; commit; set @x = 1; select 2 as b"));
    // "commit" and "set @x" answer with OKs that say more results follow; after commit, no transaction.
    const oks = multi.packets.filter((p) => p.raw[4] === 0x00 && p.raw.length === 11);
    const seq = deprecateEof ? 5 : 6;
    expect(wire(oks)).toBe(`0700000${seq}0000000a000000 0700000${seq + 1}0000000a000000`);
    const last = multi.packets.at(-1)!;
    expect(parseTerminator(payloadOf(last), c.capabilities).statusFlags).toBe(ServerStatus.AUTOCOMMIT);
    expect(multi.completed).toEqual({ command: Command.QUERY, statusFlags: ServerStatus.AUTOCOMMIT, error: false });
    expect(c.tracker.inTransaction).toBe(false);
  });

  test("session state tracking in OK packets: schema and system variables, parsed and serialized back exactly", async () => {
    const use = await c.command(query("use mysql"));
    expect(wire(use.packets)).toBe("110000010000000240000000080106056d7973716c");
    const ok = parseOk(payloadOf(use.packets[0]!), c.capabilities);
    expect(ok.sessionStateChanges).toEqual([{ type: "schema", schema: "mysql" }]);
    expect(serializeOk(ok, c.capabilities)).toEqual(payloadOf(use.packets[0]!));

    const set = await c.command(query("set time_zone = '+01:00', autocommit = 0"));
    const setOk = parseOk(payloadOf(set.packets[0]!), c.capabilities);
    expect(setOk.statusFlags & ServerStatus.AUTOCOMMIT).toBe(0);
    expect(setOk.sessionStateChanges).toEqual([
      { type: "system-variable", name: "time_zone", value: "+01:00" },
      { type: "system-variable", name: "autocommit", value: "OFF" },
    ]);
    expect(serializeOk(setOk, c.capabilities)).toEqual(payloadOf(set.packets[0]!));
    await c.command(query("set autocommit = 1, time_zone = default"));
  });

  test("an ERR packet: code, SQL state, message; serialized back exactly", async () => {
    const r = await c.command(query("select * from proxyfit_no_such_table"));
    expect(r.completed).toEqual({ command: Command.QUERY, statusFlags: undefined, error: true });
    const err = parseErr(payloadOf(r.packets[0]!), c.capabilities);
    expect(err).toEqual({ errno: 1146, sqlState: "42S02", message: "Table 'mysql.proxyfit_no_such_table' doesn't exist" });
    expect(serializeErr(err, c.capabilities)).toEqual(payloadOf(r.packets[0]!));
  });

  test("prepare, execute, execute with a cursor, fetch to the last row, close", async () => {
    const prepared = await c.command(commandPayload(Command.STMT_PREPARE, "select user, host from mysql.global_priv where user <> ? order by user, host"));
    const ok = parseStmtPrepareOk(payloadOf(prepared.packets[0]!), c.capabilities);
    expect([ok.columnCount, ok.paramCount, ok.warnings]).toEqual([2, 1, 0]);
    expect(serializeStmtPrepareOk(ok, c.capabilities)).toEqual(payloadOf(prepared.packets[0]!));
    // PREPARE_OK, one parameter definition, two column definitions, and an EOF after each block without DEPRECATE_EOF.
    expect(prepared.packets).toHaveLength(deprecateEof ? 4 : 6);
    const id = int4(ok.statementId);
    // One VARCHAR parameter, bound: "x".
    const execute = (flags: number) => commandPayload(Command.STMT_EXECUTE, id, Buffer.from([flags]), int4(1), hex("00 01 fd00 0178"));
    const all = await c.command(execute(CursorType.NO_CURSOR));
    expect(all.completed.error).toBe(false);
    const rows = all.packets.filter((p) => p.raw[4] === 0x00 && p.raw.length > 11);
    expect(rows.length).toBeGreaterThan(1);

    const cursor = await c.command(execute(CursorType.READ_ONLY));
    expect(cursor.completed.statusFlags! & ServerStatus.CURSOR_EXISTS).toBe(ServerStatus.CURSOR_EXISTS);
    // Column count and definitions, then the terminator that says the cursor is open: no rows yet.
    expect(cursor.packets.at(-1)!.raw[4]).toBe(0xfe);
    let fetched = 0;
    for (;;) {
      const fetch = await c.command(commandPayload(Command.STMT_FETCH, id, int4(1)));
      fetched += fetch.packets.length - 1;
      if (fetch.completed.statusFlags! & ServerStatus.LAST_ROW_SENT) break;
      expect(fetch.completed.statusFlags! & ServerStatus.CURSOR_EXISTS).toBe(ServerStatus.CURSOR_EXISTS);
    }
    expect(fetched).toBe(rows.length);
    const close = await c.command(commandPayload(Command.STMT_CLOSE, id));
    expect(close.packets).toEqual([]);
    // Nothing came back for COM_STMT_CLOSE: the next command's answer is the next packet.
    expect(wire((await c.command(commandPayload(Command.PING))).packets)).toBe("0700000100000002000000");
  });

  test("COM_FIELD_LIST (definitions and EOF), COM_STATISTICS (a string), COM_SET_OPTION (EOF), COM_INIT_DB", async () => {
    const fields = await c.command(commandPayload(Command.FIELD_LIST, "db\0"));
    const definitions = fields.packets.slice(0, -1).map((p) => parseColumnDefinition41(payloadOf(p), c.mariadbCapabilities));
    expect(definitions[0]).toMatchObject({ schema: "mysql", table: "db", name: "Host" });
    // COM_FIELD_LIST's definitions carry the column's default value.
    expect(definitions.find((d) => d.name === "Select_priv")!.defaultValue).toEqual(Buffer.from("N"));
    expect(fields.completed.error).toBe(false);

    const stats = await c.command(commandPayload(Command.STATISTICS));
    expect(stats.packets).toHaveLength(1);
    expect(payloadOf(stats.packets[0]!).toString()).toMatch(/^Uptime: \d+ {2}Threads: \d+/);

    const option = await c.command(commandPayload(Command.SET_OPTION, hex("0100")));
    const terminator = payloadOf(option.packets[0]!);
    if (deprecateEof) expect(parseOk(terminator, c.capabilities).header).toBe(0xfe);
    else expect(serializeEof(parseEof(terminator, c.capabilities), c.capabilities)).toEqual(terminator);

    const initDb = await c.command(commandPayload(Command.INIT_DB, "test"));
    expect(parseOk(payloadOf(initDb.packets[0]!), c.capabilities).sessionStateChanges).toEqual([{ type: "schema", schema: "test" }]);
  });

  test("LOAD DATA LOCAL INFILE: the request, the file, MariaDB's progress report, the OK", async () => {
    await c.command(query("create temporary table proxyfit_infile (a int, b text)"));
    const file = Buffer.from(Array.from({ length: 2000 }, (_, i) => `${i}\trow ${i}\n`).join(""));
    const r = await c.command(query("load data local infile 'rows.tsv' into table proxyfit_infile"), { file, fileChunk: 5000 });
    expect(parseLocalInfileRequest(payloadOf(r.packets[0]!))).toBe("rows.tsv");
    const last = parseOk(payloadOf(r.packets.at(-1)!), c.capabilities);
    expect(last.info).toBe("Records: 2000  Deleted: 0  Skipped: 0  Warnings: 0");
    // Between them, MARIADB_CLIENT_PROGRESS reports (ERR packets with code 0xffff) do not end the response.
    for (const p of r.packets.slice(1, -1)) expect(parseErr(payloadOf(p), c.capabilities).errno).toBe(0xffff);
    // The file's packets continued the sequence: request 1, file 2.., empty packet, then the OK.
    const clientPackets = c.recorded.filter((p) => p.from === "client").slice(-6);
    expect(clientPackets.at(-1)!.raw).toEqual(Buffer.from([0, 0, 0, clientPackets.at(-1)!.sequenceId]));
    const count = await c.command(query("select count(*) from proxyfit_infile"));
    expect(payloadOf(count.packets.at(-2)!).toString("latin1", 1)).toBe("2000");
  });

  test("a row of exactly 16 MB - 1 bytes arrives as a full packet and an empty one; the tracker ends the response after it", async () => {
    const r = await c.command(query(`select repeat('a', ${MAX_PAYLOAD - 4}) as big`));
    const at = r.packets.findIndex((p) => p.raw.length > 1000);
    const big = r.packets.slice(at, at + 2);
    expect(big.map((p) => [p.raw.length, p.continued])).toEqual([
      [4 + MAX_PAYLOAD, false],
      [4, true],
    ]);
    expect(r.completed.error).toBe(false);
  });

  test("a command of exactly 16 MB - 1 bytes goes as a full packet and an empty one, and MariaDB answers it", async () => {
    const prefix = "select length('";
    const sql = `${prefix}${"b".repeat(MAX_PAYLOAD - 1 - prefix.length - 4)}') x`;
    const payload = query(sql);
    expect(payload.length).toBe(MAX_PAYLOAD);
    const r = await c.command(payload);
    const sent = c.recorded.filter((p) => p.from === "client").slice(-2);
    expect(sent.map((p) => [p.raw.length, p.sequenceId])).toEqual([
      [4 + MAX_PAYLOAD, 0],
      [4, 1],
    ]);
    expect(r.packets[0]!.sequenceId).toBe(2);
    expect(r.completed.error).toBe(false);
  });

  test("COM_RESET_CONNECTION, then COM_CHANGE_USER answered after MariaDB's AuthSwitchRequest", async () => {
    const reset = await c.command(commandPayload(Command.RESET_CONNECTION));
    expect(reset.completed).toEqual({ command: Command.RESET_CONNECTION, statusFlags: ServerStatus.AUTOCOMMIT, error: false });
    const change = await c.command(commandPayload(Command.CHANGE_USER, "root\0", hex("00"), "mysql\0", hex("2d00"), "mysql_native_password\0"), {
      answer: (payload) => nativePasswordToken("", parseAuthSwitchRequest(payload).pluginData),
    });
    expect(change.packets[0]!.raw[4]).toBe(0xfe);
    expect(parseAuthSwitchRequest(payloadOf(change.packets[0]!)).pluginName).toBe("mysql_native_password");
    expect(change.completed.error).toBe(false);
    expect(parseOk(payloadOf(change.packets.at(-1)!), c.capabilities).statusFlags & ServerStatus.AUTOCOMMIT).toBe(ServerStatus.AUTOCOMMIT);
  });

  test("COM_QUIT: no answer, the server closes", async () => {
    const quit = await c.command(commandPayload(Command.QUIT));
    expect(quit.packets).toEqual([]);
    await c.closedByServer();
  });
});
