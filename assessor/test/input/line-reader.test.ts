import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/input/input-error.js";
import { readLines } from "../../src/input/line-reader.js";
import { bufferInput, type LogInput } from "../../src/input/log-input.js";

async function collect(input: LogInput, problems: string[] = []) {
  const lines: Array<[number, string]> = [];
  const result = { compressed: false, bytes: 0 };
  for await (const batch of readLines(input, { onProblem: (m) => problems.push(m) }, result)) {
    for (const [i, line] of batch.lines.entries()) lines.push([batch.firstLine + i, line]);
  }
  return { lines, result };
}

function chunked(name: string, data: Buffer, size: number): LogInput {
  return {
    name,
    async *open() {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    },
  };
}

describe("readLines", () => {
  it("numbers lines across chunk boundaries, strips CR, keeps a last line without newline", async () => {
    const text = "first\r\nsecond line\nthird ü€ multibyte\nlast without newline";
    const { lines } = await collect(chunked("a.log", Buffer.from(text), 3));
    expect(lines).toEqual([
      [1, "first"],
      [2, "second line"],
      [3, "third ü€ multibyte"],
      [4, "last without newline"],
    ]);
  });

  it("inflates gzip detected by magic bytes, whatever the name", async () => {
    const { lines, result } = await collect(bufferInput("no-extension", gzipSync("a\nb\n")));
    expect(result.compressed).toBe(true);
    expect(lines.map(([, l]) => l)).toEqual(["a", "b"]);
  });

  it("keeps what was read from a truncated gzip stream and reports where it stopped", async () => {
    const body = Array.from({ length: 20000 }, (_, i) => `line ${i} ${"x".repeat(40)}`).join("\n");
    const gz = gzipSync(body);
    const problems: string[] = [];
    const { lines } = await collect(bufferInput("cut.gz", gz.subarray(0, Math.floor(gz.length * 0.6))), problems);
    expect(lines.length).toBeGreaterThan(1000);
    expect(lines[1000]![1]).toBe(`line 1000 ${"x".repeat(40)}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/ends early|corrupt/);
  });

  it("rejects an empty file and binary data with the file's name", async () => {
    await expect(collect(bufferInput("empty.log", ""))).rejects.toThrow(/empty\.log: the file is empty/);
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    await expect(collect(bufferInput("core.bin", binary))).rejects.toThrow(InputError);
    await expect(collect(bufferInput("core.bin", binary))).rejects.toThrow(/core\.bin: .*binary/);
  });

  it("reads a 10 MB single line whole", async () => {
    const long = "S".repeat(10 * 1024 * 1024);
    const { lines } = await collect(chunked("long.log", Buffer.from(`before\n${long}\nafter\n`), 1 << 16));
    expect(lines.map(([n, l]) => [n, l.length])).toEqual([
      [1, 6],
      [2, long.length],
      [3, 5],
    ]);
  });
});
