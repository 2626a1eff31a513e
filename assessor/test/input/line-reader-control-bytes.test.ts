import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readLines } from "../../src/input/line-reader.js";
import { bufferInput } from "../../src/input/log-input.js";

async function lines(data: Buffer): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readLines(bufferInput("x.log", data))) out.push(...batch.lines);
  return out;
}

describe("readLines and control bytes", () => {
  it("reads a log whose statement holds a NUL, as mariadb-slap's CREATE TABLE does in a MariaDB slow log", async () => {
    const log = "# Time: 261125  0:45:47\nSET timestamp=1795567547;\nCREATE TABLE `t1` (intcol1 INT(32))\u0000;\n";
    expect(await lines(Buffer.from(log))).toEqual([
      "# Time: 261125  0:45:47",
      "SET timestamp=1795567547;",
      "CREATE TABLE `t1` (intcol1 INT(32))\u0000;",
    ]);
  });

  it("still rejects random bytes every time", async () => {
    for (let i = 0; i < 20; i++) await expect(lines(randomBytes(8192))).rejects.toThrow(/binary/);
  });
});
