import { request } from "node:http";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request written by hand, for what fetch will not do: announce more bytes than it sends, or keep sending after
 * the server has answered. `send` writes the body; `abort` in it cuts the connection mid-upload; `over` tells it the
 * server has answered or closed the connection (there is no point in writing more).
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string> },
  send: (write: (chunk: Uint8Array) => Promise<void>, abort: () => void, over: () => boolean) => Promise<void>,
): Promise<RawResponse | "connection-closed"> {
  let sending: Promise<void> = Promise.resolve();
  let answeredYet = false;
  const answered = new Promise<RawResponse | "connection-closed">((resolve, reject) => {
    const req = request(url, { method: options.method ?? "POST", headers: options.headers ?? {} }, (res) => {
      answeredYet = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", () => resolve("connection-closed"));
    });
    let aborted = false;
    req.on("error", (error: NodeJS.ErrnoException) => {
      // The server may close the connection while we still write: a reply already read wins.
      if (aborted || ["EPIPE", "ECONNRESET"].includes(error.code ?? "")) resolve("connection-closed");
      else reject(error);
    });
    const write = (chunk: Uint8Array) =>
      new Promise<void>((done) => {
        if (req.destroyed) done();
        else req.write(chunk, () => done());
      });
    const abort = () => {
      aborted = true;
      req.destroy();
    };
    sending = send(write, abort, () => answeredYet || req.destroyed);
    sending.then(
      () => {
        if (!aborted && !req.destroyed) req.end();
      },
      (error) => {
        req.destroy();
        reject(error);
      },
    );
  });
  // Done when both the reply is in and the sender is through (it may go on after an early reply).
  return answered.then(async (response) => {
    await sending;
    return response;
  });
}
