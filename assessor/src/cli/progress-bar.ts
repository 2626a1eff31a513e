/** A one-line progress bar on a terminal's stderr; silent when stderr is not a terminal or the input is small. */
export function progressBar(stream: NodeJS.WriteStream, minBytes = 32 * 1024 * 1024) {
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update({ bytesRead, totalBytes }: { bytesRead: number; totalBytes?: number }) {
      if (!stream.isTTY || totalBytes === undefined || totalBytes < minBytes) return;
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      drawn = true;
      const share = Math.min(1, bytesRead / totalBytes);
      const width = 30;
      const filled = Math.round(share * width);
      const mbPerSecond = bytesRead / 1048576 / Math.max(0.001, (now - started) / 1000);
      stream.write(
        `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${mbPerSecond.toFixed(0)} MB/s `,
      );
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}
