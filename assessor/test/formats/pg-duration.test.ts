import { describe, expect, it } from "vitest";
import { parsePgMessage } from "../../src/formats/pg-message.js";

/** The duration of "duration: N ms" is read without Number(); it must still be Number()'s value to the last bit. */
describe("duration numbers", () => {
  const durationOf = (text: string) => {
    const message = parsePgMessage(`duration: ${text} ms`);
    return message.kind === "duration" ? message.durationMs : undefined;
  };

  it("equal Number() for what PostgreSQL writes (%.3f) and for long or odd forms", () => {
    const texts = ["0.010", "1.", ".5", "", "00012.3400", "12345678901234.5", "1234567890123456.7", "9007199254740993"];
    for (let i = 0; i < 20000; i++) texts.push(((i * 7919.123) % 10 ** (i % 12)).toFixed(i % 7));
    for (const text of texts) expect(durationOf(text)).toBe(Number(text));
  });

  it("leave what Number() rejects to the other messages", () => {
    for (const text of ["1.2.3", "abc", "1,5"]) expect(durationOf(text)).toBeUndefined();
    expect(durationOf("1e3")).toBe(1000);
  });
});
