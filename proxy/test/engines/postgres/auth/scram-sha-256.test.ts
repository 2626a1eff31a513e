import { describe, expect, test } from "vitest";
import { credentialFromSecret } from "../../../../src/core/auth/credentials.js";
import { md5Response, md5StoredHash } from "../../../../src/engines/postgres/auth/md5.js";
import { ScramClientExchange, ScramServerExchange, scramVerifierFor } from "../../../../src/engines/postgres/auth/scram-sha-256.js";

describe("SCRAM-SHA-256", () => {
  test("client side reproduces the RFC 7677 example exchange", () => {
    const client = new ScramClientExchange("pencil", "rOprNGfwEbeRWgbNEkqO", "user");
    expect(client.clientFirst()).toBe("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    expect(client.clientFinal(serverFirst)).toBe(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    expect(() => client.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")).not.toThrow();
    expect(() => client.verifyServerFinal("v=AAAA")).toThrow(/does not know the password/);
  });

  test("server side accepts the right password from a plaintext secret and from a stored verifier", () => {
    const verifier = scramVerifierFor("s3cret");
    const stored = `SCRAM-SHA-256$${verifier.iterations}:${verifier.salt.toString("base64")}$${verifier.storedKey.toString("base64")}:${verifier.serverKey.toString("base64")}`;
    for (const secret of ["s3cret", stored]) {
      const server = new ScramServerExchange("app", credentialFromSecret("app", secret));
      const client = new ScramClientExchange("s3cret");
      const first = server.first(client.clientFirst());
      expect(first.kind).toBe("continue");
      const final = server.final(client.clientFinal(first.kind === "continue" ? first.serverFirst : ""));
      expect(final.kind).toBe("final");
      client.verifyServerFinal(final.kind === "final" ? final.serverFinal : "");
    }
  });

  test("wrong passwords and unknown users fail the same way, at the proof", () => {
    for (const credential of [credentialFromSecret("app", "s3cret"), undefined]) {
      const server = new ScramServerExchange("app", credential);
      const client = new ScramClientExchange("wrong");
      const first = server.first(client.clientFirst());
      expect(first.kind).toBe("continue");
      expect(server.final(client.clientFinal(first.kind === "continue" ? first.serverFirst : ""))).toEqual({
        kind: "failed",
        reason: "password does not match",
      });
    }
  });

  test("channel binding requests are refused", () => {
    expect(new ScramServerExchange("app", undefined).first("p=tls-server-end-point,,n=,r=abc").kind).toBe("failed");
  });
});

describe("md5", () => {
  test("stored hash and salted response as PostgreSQL computes them", () => {
    // Expected values computed by PostgreSQL: 'md5' || md5('secretalice'), then md5(hex || salt 01020304).
    const stored = md5StoredHash("alice", "secret");
    expect(stored).toBe("md54a0a68b43b6cd5cf266fa02f196e2371");
    expect(credentialFromSecret("alice", stored)).toEqual({ username: "alice", md5: stored });
    expect(md5Response(stored, Buffer.from([1, 2, 3, 4]))).toBe("md598a0412b9c31436fc53776e863350083");
  });
});
