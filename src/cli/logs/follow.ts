import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Follows one log file like `tail -F`: reads what is appended, and when the file is rotated
 * (renamed away and recreated, as rotating-file-stream does) finishes the old file through
 * the descriptor it holds, then starts the new one from its beginning.
 */
export class FileTail {
  private fd: number | undefined;
  private ino: number | undefined;
  private pos = 0;
  private partial = '';

  constructor(
    private readonly file: string,
    private onLine: (line: string) => void,
  ) {}

  /** Opens the file (if it exists) and returns the lines already in it. */
  open(): string[] {
    const lines: string[] = [];
    const deliver = this.onLine;
    this.onLine = (l) => lines.push(l);
    this.reopen();
    this.onLine = deliver;
    return lines;
  }

  /** Reads new lines; call it periodically. */
  poll(): void {
    this.drain();
    let ino: number;
    let size: number;
    try {
      ({ ino, size } = statSync(this.file));
    } catch {
      return; // Between the rename and the new file: the next poll sees it.
    }
    if (ino !== this.ino) this.reopen();
    else if (size < this.pos) {
      // Truncated in place (copytruncate): start over.
      this.pos = 0;
      this.partial = '';
      this.drain();
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private reopen(): void {
    this.close();
    try {
      this.fd = openSync(this.file, 'r');
    } catch {
      this.ino = undefined;
      return;
    }
    this.ino = fstatSync(this.fd).ino;
    this.pos = 0;
    this.partial = '';
    this.drain();
  }

  private drain(): void {
    if (this.fd === undefined) return;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(this.fd, buf, 0, buf.length, this.pos);
      if (n <= 0) break;
      this.pos += n;
      const text = this.partial + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) if (l) this.onLine(l);
    }
  }
}
