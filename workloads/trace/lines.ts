import type { Stats } from 'node:fs';
import { lineError } from './errors.ts';
import { TraceSource } from './source.ts';

/** Read size, and the longest line accepted: a file without newlines must not be read into memory whole. */
export const BUFFER = 1 << 20;

/**
 * A synchronous line reader over one file descriptor and one 1 MiB buffer: memory stays flat however
 * long the file is. Lines come without their '\n' or '\r\n'; `line` is the number of the last one.
 * The reference for ByteLineReader, which replay() uses: replay(…, { strings: true }) reads with this.
 */
export class LineReader {
  readonly stats: Stats;
  line = 0;
  readonly #source: TraceSource;
  readonly #buf: Buffer;
  /** Bytes at the start of #buf that belong to a line not finished yet. */
  #carry = 0;
  /** Decoded text of whole lines, each ending with '\n' (but for the file's last line). */
  #text = '';
  #pos = 0;
  #eof = false;

  constructor(
    readonly file: string,
    readonly onBytes?: (bytes: Uint8Array) => void,
    bufferSize = BUFFER,
    onText?: (bytes: Uint8Array) => void,
  ) {
    this.#buf = Buffer.allocUnsafe(bufferSize);
    this.#source = new TraceSource(file, onBytes, onText);
    this.stats = this.#source.stats;
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

  /** The error to report for `e`, met while reading: the gzip stream's own, if it is corrupt (TraceSource.blame). */
  blame(e: unknown): unknown {
    return this.#source.blame(e);
  }

  close(): void {
    this.#source.close();
  }

  #fill(): void {
    const buf = this.#buf;
    if (this.#carry === buf.length) throw lineError(this.file, this.line + 1, `line longer than ${buf.length} bytes`);
    const n = this.#source.read(buf, this.#carry, buf.length - this.#carry);
    this.#pos = 0;
    if (n === 0) {
      // The last line, without a newline (or nothing).
      this.#text = buf.toString('utf8', 0, this.#carry);
      this.#carry = 0;
      this.#eof = true;
      return;
    }
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

/**
 * The same lines as LineReader, read the same way (one buffer, the same reads, the same errors),
 * but also open to a byte parser: buf[pos, lineEnd) holds whole lines not consumed yet, each
 * ending with '\n' (one is added after a last line that has none). A byte parser consumes them by
 * moving pos, counting them in line, and calls fill() once pos reaches lineEnd. nextText() gives the
 * rest as strings, decoding the whole lines of a buffer at once as LineReader does.
 */
export class ByteLineReader {
  readonly stats: Stats;
  readonly buf: Buffer;
  /** Lines consumed so far: the number of the last one. */
  line = 0;
  pos = 0;
  lineEnd = 0;
  /** End of the bytes read: buf[lineEnd, end) starts a line not read whole yet. */
  #end = 0;
  #eof = false;
  readonly #source: TraceSource;
  #text = '';
  #textPos = 0;

  constructor(
    readonly file: string,
    readonly onBytes?: (bytes: Uint8Array) => void,
    bufferSize = BUFFER,
    onText?: (bytes: Uint8Array) => void,
  ) {
    this.buf = Buffer.allocUnsafe(bufferSize);
    this.#source = new TraceSource(file, onBytes, onText);
    this.stats = this.#source.stats;
  }

  /** Whether the file is gzip-compressed (read through a streaming inflater). */
  get gzip(): boolean {
    return this.#source.gzip;
  }

  /**
   * Hand the rest of the file to another reader (scan-pipeline.ts), once the whole lines are
   * consumed: the start of an unfinished line read already, and a function that reads on; undefined
   * when the whole file is read.
   */
  handOver(): { carry: Uint8Array; readInto: (buf: Uint8Array, off: number, len: number) => number } | undefined {
    if (this.#eof) return undefined;
    return {
      carry: this.buf.subarray(this.lineEnd, this.#end),
      readInto: (buf, off, len) => this.#source.read(buf, off, len),
    };
  }

  /**
   * Read on, once the whole lines are consumed (pos === lineEnd), keeping the start of an unfinished
   * line; false at the end of the file. It may read no whole line (a line longer than one read).
   */
  fill(): boolean {
    if (this.#eof) return false;
    const buf = this.buf;
    const carry = this.#end - this.lineEnd;
    if (carry === buf.length) throw lineError(this.file, this.line + 1, `line longer than ${buf.length} bytes`);
    if (carry > 0 && this.lineEnd > 0) buf.copy(buf, 0, this.lineEnd, this.#end);
    this.pos = 0;
    this.lineEnd = 0;
    this.#end = carry;
    const n = this.#source.read(buf, carry, buf.length - carry);
    if (n === 0) {
      this.#eof = true;
      if (carry === 0) return false;
      // The last line, without a newline: give it one (there is room, carry < buf.length).
      buf[carry] = 10;
      this.lineEnd = this.#end = carry + 1;
      return true;
    }
    this.#end = carry + n;
    this.lineEnd = buf.lastIndexOf(10, this.#end - 1) + 1;
    return true;
  }

  /**
   * The next line that is neither blank (spaces and tabs) nor a comment (# after them), decoded, as
   * LineReader gives it: without its '\r' and, on line 1, its byte order mark. undefined at the end.
   */
  nextMeaningful(): string | undefined {
    const buf = this.buf;
    for (;;) {
      while (this.pos === this.lineEnd) if (!this.fill()) return undefined;
      let a = this.pos;
      const nl = buf.indexOf(10, a);
      this.pos = nl + 1;
      this.line++;
      const e = nl > a && buf[nl - 1] === 13 ? nl - 1 : nl;
      if (this.line === 1 && e - a >= 3 && buf[a] === 0xef && buf[a + 1] === 0xbb && buf[a + 2] === 0xbf) a += 3;
      let i = a;
      while (i < e && (buf[i] === 32 || buf[i] === 9)) i++;
      if (i < e && buf[i] !== 35) return buf.toString('utf8', a, e);
    }
  }

  /** The next line as a string, as LineReader.next() gives it; undefined at the end of the file. */
  nextText(): string | undefined {
    for (;;) {
      const text = this.#text;
      if (this.#textPos < text.length) {
        const start = this.#textPos;
        const nl = text.indexOf('\n', start);
        const line = text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
        this.#textPos = nl + 1;
        this.line++;
        return this.line === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line; // a byte order mark
      }
      if (this.pos < this.lineEnd) {
        this.#text = this.buf.toString('utf8', this.pos, this.lineEnd);
        this.#textPos = 0;
        this.pos = this.lineEnd;
      } else if (!this.fill()) return undefined;
    }
  }

  /** The error to report for `e`, met while reading: the gzip stream's own, if it is corrupt (TraceSource.blame). */
  blame(e: unknown): unknown {
    return this.#source.blame(e);
  }

  close(): void {
    this.#source.close();
  }
}
