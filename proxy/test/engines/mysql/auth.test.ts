/**
 * Authentication plugins. Known vectors: caching_sha2_password's fast-path token and the salted password its RSA
 * exchange encrypts, as captured from a MySQL server (Boost.MySQL's test vectors, taken with Wireshark and the MySQL
 * Python connector); mysql_native_password's stored hash as the real MariaDB computes it. Then one conformance
 * suite: every server side against every client side, packet by packet through the framer, for each way a login
 * goes (MariaDB 10.11 has no caching_sha2_password, so that plugin's server side here is our own).
 */
import { constants, generateKeyPairSync, privateDecrypt } from "node:crypto";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  CACHING_SHA2_PASSWORD,
  ClientLogin,
  type ClientLoginStep,
  type Credential,
  cachingSha2Digest,
  cachingSha2Token,
  encryptPassword,
  NATIVE_PASSWORD,
  nativePasswordHash,
  nativePasswordToken,
  parseNativePasswordHash,
  ServerLogin,
  type ServerLoginStep,
} from "../../../src/engines/mysql/auth/index.js";
import { Capability, framePackets, PacketFramer, ProtocolError, parseHandshakeV10 } from "../../../src/engines/mysql/protocol/index.js";
import { CLIENT_CAPABILITIES, MARIADB, RawConnection } from "./support/raw-connection.js";

const bytes = (...b: number[]) => Buffer.from(b);

describe("known vectors", () => {
  // Scramble and token captured from a MySQL 8 server for the password "hola".
  const scramble = bytes(0x3e, 0x3b, 0x04, 0x55, 0x04, 0x70, 0x16, 0x3a, 0x4c, 0x15, 0x35, 0x03, 0x15, 0x76, 0x73, 0x22, 0x46, 0x08, 0x18, 0x01);

  test("caching_sha2_password's fast-path token", () => {
    expect(cachingSha2Token("hola", scramble).toString("hex")).toBe("a1c1e1e91bb6544ba7374b9c566d693e06ca070298acd10618c690389d88e120");
    expect(cachingSha2Token("", scramble)).toEqual(Buffer.alloc(0));
  });

  test("caching_sha2_password's RSA exchange encrypts (password + NUL) XOR scramble with OAEP padding", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const rsaScramble = bytes(0x0f, 0x64, 0x4f, 0x2f, 0x2b, 0x3b, 0x27, 0x6b, 0x45, 0x5c, 0x53, 0x01, 0x13, 0x7e, 0x4f, 0x10, 0x26, 0x23, 0x5d, 0x27);
    const decrypt = (c: Buffer) => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, c).toString("hex");
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(decrypt(encryptPassword("csha2p_password", rsaScramble, pem))).toBe("6c17274e194b781b242f20767c0c2b10");
    expect(decrypt(encryptPassword("", rsaScramble, publicKey))).toBe("0f");
    // Longer than the scramble: it repeats.
    expect(decrypt(encryptPassword("kjaski829380jvnnM,ka;::_kshf93IJCLIJO)jcjsnaklO?a", rsaScramble, pem))).toBe(
      "640e2e5c40521f597c6f6b317908217e6b0f3646345e757040484f0d7c6f1a4b5032065a690a37446517214e40576854245c",
    );
  });

  test("a malformed or non-RSA public key is a ProtocolError, not a crash", () => {
    expect(() => encryptPassword("x", Buffer.alloc(20), "-----BEGIN PUBLIC KEY-----zwIDAQAB__kaj0?))=")).toThrow(ProtocolError);
    const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey;
    expect(() => encryptPassword("x", Buffer.alloc(20), ec)).toThrow(/not RSA/);
  });

  test("mysql_native_password's stored hash is MariaDB's PASSWORD()", async () => {
    const c = await mysql.createConnection({ ...MARIADB, user: "root" });
    try {
      const [rows] = await c.query<mysql.RowDataPacket[]>("select password('s3cret-ü') as h");
      const stored = parseNativePasswordHash(rows[0]!.h);
      expect(stored).toEqual(nativePasswordHash("s3cret-ü"));
    } finally {
      await c.end();
    }
    expect(parseNativePasswordHash("*abc")).toBeUndefined();
    expect(nativePasswordToken("", Buffer.alloc(20))).toEqual(Buffer.alloc(0));
  });
});

const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

interface Scenario {
  name: string;
  credential: Credential;
  password: string;
  secure?: boolean;
  fastAuth?: boolean;
  knownKey?: boolean;
  rsa?: boolean;
  /** The plugin the client answers the handshake with (a switch when it differs from the server's). */
  clientPlugin?: string;
  accepted: boolean;
  /** Packets the server sends before OK or ERR (AuthSwitchRequest, AuthMoreData). */
  rounds: number;
}

const PASSWORD = "s3cret-ü";

function scenarios(plugin: string): Scenario[] {
  const other = plugin === NATIVE_PASSWORD ? CACHING_SHA2_PASSWORD : NATIVE_PASSWORD;
  const common: Scenario[] = [
    { name: "right password", credential: { password: PASSWORD }, password: PASSWORD, accepted: true, rounds: plugin === CACHING_SHA2_PASSWORD ? 1 : 0 },
    { name: "wrong password", credential: { password: PASSWORD }, password: "nope", accepted: false, rounds: plugin === CACHING_SHA2_PASSWORD ? 1 : 0 },
    { name: "empty password", credential: { password: "" }, password: "", accepted: true, rounds: 0 },
    { name: "no password given for a user with one", credential: { password: PASSWORD }, password: "", accepted: false, rounds: 0 },
    { name: "client answers for the other plugin first", credential: { password: PASSWORD }, password: PASSWORD, clientPlugin: other, accepted: true, rounds: plugin === CACHING_SHA2_PASSWORD ? 2 : 1 },
  ];
  if (plugin === NATIVE_PASSWORD) {
    return [
      ...common,
      { name: "stored hash", credential: { nativeHash: nativePasswordHash(PASSWORD) }, password: PASSWORD, accepted: true, rounds: 0 },
      { name: "stored hash, wrong password", credential: { nativeHash: nativePasswordHash(PASSWORD) }, password: "nope", accepted: false, rounds: 0 },
    ];
  }
  return [
    ...common,
    { name: "fast path from the cached digest", credential: { sha2Digest: cachingSha2Digest(PASSWORD) }, password: PASSWORD, accepted: true, rounds: 1 },
    { name: "full authentication over TLS", credential: { password: PASSWORD }, password: PASSWORD, fastAuth: false, secure: true, accepted: true, rounds: 1 },
    { name: "full authentication over TLS, wrong password", credential: { password: PASSWORD }, password: "nope", fastAuth: false, secure: true, accepted: false, rounds: 1 },
    { name: "RSA: client asks for the key", credential: { password: PASSWORD }, password: PASSWORD, fastAuth: false, rsa: true, accepted: true, rounds: 2 },
    { name: "RSA: client knows the key", credential: { sha2Digest: cachingSha2Digest(PASSWORD) }, password: PASSWORD, fastAuth: false, rsa: true, knownKey: true, accepted: true, rounds: 1 },
    { name: "RSA: wrong password", credential: { password: PASSWORD }, password: "nope", fastAuth: false, rsa: true, accepted: false, rounds: 2 },
    { name: "RSA with a native stored hash", credential: { nativeHash: nativePasswordHash(PASSWORD) }, password: PASSWORD, rsa: true, accepted: true, rounds: 2 },
    { name: "neither TLS nor a key", credential: { password: PASSWORD }, password: PASSWORD, fastAuth: false, accepted: false, rounds: 1 },
  ];
}

/** Runs ServerLogin against ClientLogin, each packet framed, sent and re-framed as bytes on a wire would be. */
function login(plugin: string, s: Scenario): { result: "accepted" | "rejected"; rounds: number; error?: string } {
  const server = new ServerLogin({
    handshake: { serverVersion: "8.0.36-proxyfit", connectionId: 7, capabilities: CLIENT_CAPABILITIES | Capability.SSL, mariadbCapabilities: 0, charset: 255, statusFlags: 2, authPluginName: plugin },
    lookup: (user) => (user === "app" ? s.credential : undefined),
    secureTransport: s.secure ?? false,
    fastAuth: s.fastAuth,
    rsaPrivateKey: s.rsa ? privateKey : undefined,
  });
  const wire: Buffer[] = [];
  const toClient: Buffer[] = [];
  const toServer: Buffer[] = [];
  const framer = (into: Buffer[]) =>
    new PacketFramer({ packet: (_s, c, start, end) => into.push(Buffer.from(c.subarray(start + 4, end))), piece: () => {}, invalid: (e) => { throw e; } }, { maxPayloadBytes: 1 << 24, checkSequence: false });
  const clientSide = framer(toClient);
  const serverSide = framer(toServer);
  let seq = 0;
  const send = (payload: Buffer, side: PacketFramer) => {
    const packet = framePackets(payload, seq++);
    wire.push(packet);
    side.push(packet);
  };
  send(server.handshake(), clientSide);
  const client = new ClientLogin(parseHandshakeV10(toClient.shift()!), {
    username: "app",
    password: s.password,
    secureTransport: s.secure ?? false,
    serverPublicKey: s.knownKey ? publicKey : undefined,
    capabilities: CLIENT_CAPABILITIES,
    charset: 45,
    maxPacketSize: 1 << 24,
    authPluginName: s.clientPlugin,
  });
  send(client.handshakeResponse(), serverSide);
  let rounds = 0;
  for (;;) {
    const step: ServerLoginStep = server.clientPacket(toServer.shift()!);
    if (step.kind === "rejected") {
      send(step.payload, clientSide);
      const answer = client.serverPacket(toClient.shift()!);
      expect(answer.kind).toBe("error");
      return { result: "rejected", rounds, error: answer.kind === "error" ? answer.error.message : undefined };
    }
    if (step.kind === "accepted") {
      for (const payload of step.payloads) {
        rounds++;
        send(payload, clientSide);
        expect(client.serverPacket(toClient.shift()!).kind).toBe("wait");
      }
      send(Buffer.from([0, 0, 0, 2, 0, 0, 0]), clientSide);
      expect(client.serverPacket(toClient.shift()!).kind).toBe("ok");
      return { result: "accepted", rounds };
    }
    if (step.kind === "ssl") throw new Error("no TLS in this suite");
    rounds++;
    send(step.payload, clientSide);
    const answer: ClientLoginStep = client.serverPacket(toClient.shift()!);
    if (answer.kind !== "send") throw new Error(`client did not answer: ${answer.kind}`);
    send(answer.payload, serverSide);
  }
}

for (const plugin of [NATIVE_PASSWORD, CACHING_SHA2_PASSWORD]) {
  describe(`${plugin}: our server side against our client side`, () => {
    for (const s of scenarios(plugin)) {
      test(s.name, () => {
        const outcome = login(plugin, s);
        expect(outcome.result).toBe(s.accepted ? "accepted" : "rejected");
        expect(outcome.rounds).toBe(s.rounds);
        if (!s.accepted) expect(outcome.error).toMatch(/^Access denied for user 'app'/);
      });
    }
  });
}

describe("ClientLogin against the real MariaDB (mysql_native_password)", () => {
  const user = `proxyfit_wire_${process.pid}`;
  let admin: mysql.Connection;
  beforeAll(async () => {
    admin = await mysql.createConnection({ ...MARIADB, user: "root" });
    await admin.query(`create or replace user '${user}'@'127.0.0.1' identified via mysql_native_password using password('${PASSWORD}')`);
  });
  afterAll(async () => {
    await admin.query(`drop user if exists '${user}'@'127.0.0.1'`);
    await admin.end();
  });

  test("logs in with the right password, straight and after an AuthSwitchRequest from caching_sha2_password", async () => {
    for (const authPluginName of [undefined, CACHING_SHA2_PASSWORD]) {
      const c = await RawConnection.open({ user, password: PASSWORD, authPluginName });
      const switched = c.recorded.some((p) => p.from === "server" && p.raw[4] === 0xfe);
      expect(switched).toBe(authPluginName !== undefined);
      c.close();
    }
  });

  test("is refused with MariaDB's ERR for a wrong password", async () => {
    await expect(RawConnection.open({ user, password: "nope" })).rejects.toThrow(`login refused: 1045 Access denied for user '${user}'@'127.0.0.1' (using password: YES)`);
  });
});
