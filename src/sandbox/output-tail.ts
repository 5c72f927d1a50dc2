/**
 * Keeps the last `maxBytes` bytes of a text stream. Agents can print megabytes (whole files,
 * token streams); error logs only need the end, so memory stays bounded however long the run.
 */
export class OutputTail {
  private chunks: string[] = [];
  private bytes = 0;
  private dropped = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: string): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += Buffer.byteLength(chunk);
    // Compact only when well over the cap, so a stream of small chunks stays O(n) overall.
    if (this.bytes > this.maxBytes * 2) this.compact();
  }

  /** True when earlier output was discarded to respect the cap. */
  get truncated(): boolean {
    return this.dropped || this.bytes > this.maxBytes;
  }

  toString(): string {
    this.compact();
    return this.chunks.join('');
  }

  private compact(): void {
    const joined = this.chunks.join('');
    const buf = Buffer.from(joined);
    if (buf.length <= this.maxBytes) {
      this.chunks = [joined];
      this.bytes = buf.length;
      return;
    }
    // Cutting at a byte offset can split a UTF-8 sequence; drop the broken lead characters.
    const tail = buf
      .subarray(buf.length - this.maxBytes)
      .toString('utf8')
      .replace(/^\uFFFD+/, '');
    this.chunks = [tail];
    this.bytes = Buffer.byteLength(tail);
    this.dropped = true;
  }
}
