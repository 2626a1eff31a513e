/** The framer keeps no large joined message alive for the few bytes of the next one that came with it. */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, test } from "vitest";
import { MessageFramer } from "../../../../src/engines/postgres/protocol/message-framer.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function query(text: string): Buffer {
  const body = Buffer.from(`${text}\0`);
  const message = Buffer.alloc(5 + body.length);
  message.write("Q", 0, "latin1");
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return message;
}

test("a 4 MB message joined from two reads is not kept by the start of the message after it", async () => {
  const lengths: number[] = [];
  let joined: WeakRef<ArrayBufferLike> | undefined;
  const framer = new MessageFramer(
    {
      message: (_type, chunk, start, end) => {
        lengths.push(end - start);
        joined ??= new WeakRef(chunk.buffer);
      },
      piece: () => {},
      invalid: () => {},
    },
    { mustRead: () => true, maxMessageBytes: 1 << 30 },
  );
  const next = query("select 2");
  (() => {
    const large = Buffer.concat([query(`select '${"x".repeat(4 * 1024 * 1024)}'`), next.subarray(0, 3)]);
    framer.push(large.subarray(0, 1000));
    framer.push(large.subarray(1000));
  })();
  // A WeakRef keeps its target alive until the current job ends.
  await new Promise((tick) => setImmediate(tick));
  for (let i = 0; i < 3; i++) gc();
  expect(lengths).toEqual([4 * 1024 * 1024 + 15]);
  expect(joined?.deref()).toBeUndefined();
  framer.push(next.subarray(3));
  expect(lengths).toEqual([4 * 1024 * 1024 + 15, next.length]);
});
