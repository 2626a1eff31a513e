import type { IncomingMessage } from "node:http";
import type { LogInput } from "../../input/log-input.js";
import { HttpProblem } from "../problem.js";

export interface RawUpload {
  input: LogInput;
  /** Settles when the parser has read the whole body, or the upload stopped. */
  received: Promise<void>;
  /** Why the upload stopped short (cut off, over the limit); undefined while all is well. */
  problem(): HttpProblem | undefined;
}

/**
 * A raw request body (plain text or gzip) as a log input that streams straight into the parser: nothing but the
 * chunk in hand is held in memory. Over the limit, or when the connection closes early, the input simply ends and
 * problem() says why: the job checks it, so a cut-off upload never becomes a report. (Ending instead of throwing
 * keeps a gzip decoder downstream from seeing a source error it may not be wired to handle.)
 */
export function rawUpload(request: IncomingMessage, name: string, limitBytes: number): RawUpload {
  const declared = declaredLength(request);
  let opened = false;
  let stopped: HttpProblem | undefined;
  let markReceived: () => void = () => {};
  const received = new Promise<void>((resolve) => {
    markReceived = resolve;
  });

  async function* body(): AsyncGenerator<Uint8Array> {
    let bytes = 0;
    // Stopping early must not destroy the socket: the client still gets its answer (413) on it.
    const chunks = request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    try {
      for await (const chunk of chunks) {
        bytes += chunk.byteLength;
        if (bytes > limitBytes) {
          stopped = new HttpProblem("tooLarge", `${name}: the upload exceeds the limit of ${limitBytes} bytes`, {
            file: name,
            limitBytes,
          });
          return;
        }
        yield chunk;
      }
      if (!request.complete) stopped = incompleteUpload(name, bytes, declared);
    } catch (error) {
      stopped = incompleteUpload(name, bytes, declared, error);
    } finally {
      markReceived();
    }
  }

  return {
    received,
    problem: () => stopped,
    input: {
      name,
      ...(declared === undefined ? {} : { size: declared }),
      open() {
        if (opened) throw new Error(`${name}: an upload can be read only once`);
        opened = true;
        return body();
      },
    },
  };
}

/** The body's length as the request announces it; undefined when it is chunked (Transfer-Encoding). */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers["content-length"];
  if (header !== undefined) return Number(header);
  // RFC 9112 6.3: a request with neither Content-Length nor Transfer-Encoding has no body at all.
  return request.headers["transfer-encoding"] === undefined ? 0 : undefined;
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
