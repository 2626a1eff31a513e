import type { IncomingMessage } from "node:http";
import type { LogInput } from "../../input/log-input.js";
import { HttpProblem } from "../problem.js";

export interface RawUpload {
  input: LogInput;
  /** Settles when the parser pulls the first chunk: from then on the body is being consumed. */
  reading: Promise<void>;
}

/**
 * A raw request body (plain text or gzip) as a log input that streams straight into the parser: nothing but the
 * chunk in hand is held in memory. Enforces the upload limit on the bytes as sent, and turns a connection that
 * closes early into an "incomplete upload" problem.
 */
export function rawUpload(request: IncomingMessage, name: string, limitBytes: number): RawUpload {
  const declared = declaredLength(request);
  let opened = false;
  let markReading: () => void = () => {};
  const reading = new Promise<void>((resolve) => {
    markReading = resolve;
  });

  async function* body(): AsyncGenerator<Uint8Array> {
    let received = 0;
    try {
      for await (const chunk of request as AsyncIterable<Buffer>) {
        received += chunk.byteLength;
        if (received > limitBytes) {
          throw new HttpProblem("tooLarge", `${name}: the upload exceeds the limit of ${limitBytes} bytes`, {
            file: name,
            limitBytes,
          });
        }
        yield chunk;
      }
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      throw incompleteUpload(name, received, declared, error);
    }
    if (!request.complete) throw incompleteUpload(name, received, declared);
  }

  return {
    reading,
    input: {
      name,
      ...(declared === undefined ? {} : { size: declared }),
      open() {
        if (opened) throw new Error(`${name}: an upload can be read only once`);
        opened = true;
        const chunks = body();
        return {
          [Symbol.asyncIterator]: () => ({
            next() {
              markReading();
              return chunks.next();
            },
            return: (value?: unknown) => chunks.return(value),
            throw: (error?: unknown) => chunks.throw(error),
          }),
        };
      },
    },
  };
}

export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers["content-length"];
  return header === undefined ? undefined : Number(header);
}

export function incompleteUpload(name: string, received: number, declared?: number, cause?: unknown): HttpProblem {
  const of = declared === undefined ? "" : ` of the ${declared} announced`;
  const why = cause instanceof Error ? ` (${cause.message})` : "";
  return new HttpProblem(
    "incompleteUpload",
    `${name}: the connection closed after ${received} bytes${of}${why}; nothing was stored`,
    { file: name },
  );
}
