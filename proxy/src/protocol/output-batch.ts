/**
 * Gathers the messages to write after one read. Views that follow each other in memory (consecutive messages of the
 * same read) merge into one, so a read whose messages all pass through untouched is written as the original chunk.
 */
export class OutputBatch {
  private readonly parts: Buffer[] = [];
  private memory: ArrayBufferLike | undefined;
  private start = 0;
  private end = 0;

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.memory === bytes.buffer && this.end === bytes.byteOffset) {
      this.end += bytes.length;
      return;
    }
    this.seal();
    this.memory = bytes.buffer;
    this.start = bytes.byteOffset;
    this.end = bytes.byteOffset + bytes.length;
  }

  get empty(): boolean {
    return this.memory === undefined && this.parts.length === 0;
  }

  /** Everything gathered since the last take, in order. */
  take(): Buffer[] {
    this.seal();
    return this.parts.splice(0);
  }

  private seal(): void {
    if (this.memory === undefined) return;
    this.parts.push(Buffer.from(this.memory, this.start, this.end - this.start));
    this.memory = undefined;
  }
}
