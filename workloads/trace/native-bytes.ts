import { ALLOC, CHUNK, type ChunkWriter, FREE } from '../events.ts';
import { KEY_BYTES, type KeyTable } from './keys.ts';
import { MAX_CPU, nativeParser } from './native.ts';
import { firstNonSpace, lineEnd, STAMP_FRACTION_DIGITS, STAMP_WHOLE_DIGITS } from './text.ts';
import type { LineParser, Tracker } from './tracker.ts';

/**
 * The native format parsed straight from the read buffer, making no string per line: the common
 * lines (`alloc,ID[,CPU[,TIMESTAMP]]` / `free,ID[,CPU[,TIMESTAMP]]`, spaces or tabs before the event word and around the
 * CPU, an ID of printable ASCII up to KEY_BYTES bytes, CRLF) are read byte by byte and their IDs
 * keyed by their bytes in the tracker's KeyTable. Any other line (spaces inside the ID field,
 * non-ASCII bytes, a long ID, the first meaningful line: parseText) and every error is decoded and handed
 * to nativeParser, the string parser, whose keys go to the same table: the events and the errors
 * are those of the string parser on every input.
 */
export class NativeByteParser {
  /** Number of the last line parsed. */
  line = 0;
  readonly #slow: LineParser;
  readonly #table: KeyTable;

  constructor(
    readonly file: string,
    readonly tracker: Tracker,
    readonly cpus: number,
  ) {
    this.#table = tracker.byteKeys();
    this.#slow = nativeParser(file, tracker, cpus);
  }

  /**
   * Parse the whole lines of buf[pos, end), each ending with '\n', pushing their events on w, up to
   * the end or the line that fills w; returns where it stopped.
   */
  run(buf: Buffer, pos: number, end: number, w: ChunkWriter): number {
    const tracker = this.tracker;
    let line = this.line;
    while (pos < end) {
      line++;
      const next = line === 1 ? -1 : this.#line(buf, pos, line, w); // line 1 may start with a byte order mark
      if (next >= 0) {
        pos = next;
        if (w.pending >= CHUNK) break;
        continue;
      }
      // The string parser: for an error, it throws.
      this.line = line;
      const nl = lineEnd(buf, pos);
      this.#slowLine(buf, pos, nl, line);
      pos = nl + 1;
      for (let k = 0; k < tracker.pending; k++) {
        w.push(tracker.kind[k] as number, tracker.id[k] as number, tracker.cpu[k] as number);
      }
      tracker.pending = 0;
      if (w.pending >= CHUNK) break;
    }
    this.line = line;
    return pos;
  }

  /**
   * Parse line number no, at buf[pos], if it is a common one: push its event, if any, and return
   * where the next line starts; -1 for the string parser.
   */
  #line(buf: Buffer, pos: number, no: number, w: ChunkWriter): number {
    let i = pos;
    let c = buf[i] as number;
    while (c === 32 || c === 9) c = buf[++i] as number;
    let kind: number;
    if (c === 97) {
      // alloc,
      if (buf[i + 1] !== 108 || buf[i + 2] !== 108 || buf[i + 3] !== 111 || buf[i + 4] !== 99) return -1;
      if (buf[i + 5] !== 44) return -1;
      kind = ALLOC;
      i += 6;
    } else if (c === 102) {
      // free,
      if (buf[i + 1] !== 114 || buf[i + 2] !== 101 || buf[i + 3] !== 101 || buf[i + 4] !== 44) return -1;
      kind = FREE;
      i += 5;
    } else if (c === 10) {
      return i + 1; // blank
    } else if (c === 13 && buf[i + 1] === 10) {
      return i + 2; // blank, CRLF
    } else if (c === 35) {
      return lineEnd(buf, i) + 1; // a comment
    } else return -1;
    // The ID: printable ASCII but the comma; anything else (spaces to trim, UTF-8) is for the string parser.
    const s = i;
    c = buf[i] as number;
    while (c > 32 && c < 127 && c !== 44) c = buf[++i] as number;
    const t = i;
    if (t === s || t - s > KEY_BYTES) return -1;
    let cpu = 0;
    if (c === 44) {
      c = buf[++i] as number;
      while (c === 32 || c === 9) c = buf[++i] as number;
      const d = i;
      while (c >= 48 && c <= 57) {
        cpu = cpu * 10 + c - 48;
        c = buf[++i] as number;
      }
      if (i === d || i - d > 15 || cpu > MAX_CPU) return -1;
      while (c === 32 || c === 9) c = buf[++i] as number;
      if (c === 44) {
        // TIMESTAMP: digits[.digits], checked only.
        c = buf[++i] as number;
        while (c === 32 || c === 9) c = buf[++i] as number;
        const w = i;
        while (c >= 48 && c <= 57) c = buf[++i] as number;
        if (i === w || i - w > STAMP_WHOLE_DIGITS) return -1;
        if (c === 46) {
          c = buf[++i] as number;
          const f = i;
          while (c >= 48 && c <= 57) c = buf[++i] as number;
          if (i === f || i - f > STAMP_FRACTION_DIGITS) return -1;
        }
        while (c === 32 || c === 9) c = buf[++i] as number;
      }
    }
    if (c === 13) c = buf[++i] as number; // the CR of CRLF
    if (c !== 10) return -1;
    this.#table.load(buf, s, t);
    const id = kind === ALLOC ? this.tracker.allocLoaded(no) : this.tracker.freeLoaded();
    if (id < 0) return -1; // an error: the string parser says which
    if (cpu > this.tracker.maxCpu) this.tracker.maxCpu = cpu;
    w.push(kind, id, cpu % this.cpus);
    return i + 1;
  }

  /** Parse the line buf[a, nl) as a string, the way LineReader and replay() give it to nativeParser. */
  #slowLine(buf: Buffer, a: number, nl: number, no: number): void {
    const e = nl > a && buf[nl - 1] === 13 ? nl - 1 : nl;
    let line = buf.toString('utf8', a, e);
    if (no === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    const start = firstNonSpace(line);
    if (start < 0 || line.charCodeAt(start) === 35 /* # */) return;
    this.#slow(line, start, no);
  }

  /** Parse line number no, decoded already: the first line of the trace. */
  parseText(line: string, no: number): void {
    this.line = no;
    this.#slow(line, firstNonSpace(line), no);
  }
}
