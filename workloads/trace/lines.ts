import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { cannotRead, lineError } from './errors.ts';

/** Read size, and the longest line accepted: a file without newlines must not be read into memory whole. */
const BUFFER = 1 << 20;

/**
 * A synchronous line reader over one file descriptor and one 1 MiB buffer: memory stays flat however
 * long the file is. Lines come without their '\n' or '\r\n'; `line` is the number of the last one.
 */
export class LineReader {
  readonly stats: Stats;
  line = 0;
  #fd: number | undefined;
  readonly #buf = Buffer.allocUnsafe(BUFFER);
  /** Bytes at the start of #buf that belong to a line not finished yet. */
  #carry = 0;
  /** Decoded text of whole lines, each ending with '\n' (but for the file's last line). */
  #text = '';
  #pos = 0;
  #eof = false;

  constructor(
    readonly file: string,
    readonly onBytes?: (bytes: Uint8Array) => void,
  ) {
    try {
      this.#fd = openSync(file, 'r');
      this.stats = fstatSync(this.#fd);
    } catch (e) {
      this.close();
      throw cannotRead(file, e);
    }
  }

  /** The next line, or undefined at the end of the file. */
  next(): string | undefined {
    for (;;) {
      const text = this.#text;
      const nl = text.indexOf('\n', this.#pos);
      if (nl >= 0 || this.#pos < text.length) {
        const end = nl >= 0 ? nl : text.length;
        const line = text.slice(this.#pos, end > this.#pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
        this.#pos = end + 1;
        this.line++;
        return this.line === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line; // a byte order mark
      }
      if (this.#eof) return undefined;
      this.#fill();
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #fill(): void {
    const buf = this.#buf;
    if (this.#carry === buf.length) throw lineError(this.file, this.line + 1, `line longer than ${BUFFER} bytes`);
    let n: number;
    try {
      n = readSync(this.#fd as number, buf, this.#carry, buf.length - this.#carry, null);
    } catch (e) {
      throw cannotRead(this.file, e);
    }
    this.#pos = 0;
    if (n === 0) {
      // The last line, without a newline (or nothing).
      this.#text = buf.toString('utf8', 0, this.#carry);
      this.#carry = 0;
      this.#eof = true;
      return;
    }
    this.onBytes?.(buf.subarray(this.#carry, this.#carry + n));
    const end = this.#carry + n;
    const last = buf.lastIndexOf(10, end - 1);
    if (last < 0) {
      this.#text = '';
      this.#carry = end;
      return;
    }
    this.#text = buf.toString('utf8', 0, last + 1);
    buf.copy(buf, 0, last + 1, end);
    this.#carry = end - last - 1;
  }
}
