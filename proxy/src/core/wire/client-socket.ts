/**
 * Writing to a client's socket, the same for every engine: what one read gathered goes out in one write, and a client
 * that reads more slowly than its database answers holds the database connection back (paused) until its socket
 * drains, so the proxy buffers no more than one read per client.
 */
import type { Socket } from "node:net";
import type { OutputBatch } from "./output-batch.js";

/** The database side of a client's traffic, as far as backpressure needs it. */
export interface PausableSource {
  pause(): void;
  resume(): void;
}

/** Writes what `output` gathered; a closed client whose socket is gone drops it. */
export function writeToClient(socket: Socket, output: OutputBatch, closed: boolean, source: PausableSource | undefined): void {
  if (output.empty) return;
  if (closed && !socket.writable) {
    output.clear();
    return;
  }
  output.writeTo(socket);
  if (source && socket.writableNeedDrain) {
    source.pause();
    socket.once("drain", () => source.resume());
  }
}

/** Ends the client's socket after what `output` still holds; destroyed a second later if the peer never closes. */
export function endClientSocket(socket: Socket, output: OutputBatch): void {
  if (socket.writable) {
    if (!output.empty) output.writeTo(socket);
    socket.end();
  } else output.clear();
  setTimeout(() => socket.destroy(), 1000).unref();
}
