import { ALLOC, CHUNK, type ChunkWriter, FREE } from '../events.ts';
import { type Filter, ftraceParser } from './ftrace.ts';
import {
  FLAG_KEEP,
  FLAG_NULL,
  FREE_LINE,
  REC,
  type ScanFilter,
  SKIP,
  SLOW,
  scanFilter,
  scanLine,
} from './ftrace-scan.ts';
import type { KeyTable } from './keys.ts';
import { firstNonSpace, lineEnd } from './text.ts';
import type { LineParser, Tracker } from './tracker.ts';

/**
 * Linux ftrace kmem text parsed straight from the read buffer, making no string per line, as
 * NativeByteParser does for the native format: each line is scanned (ftrace-scan.ts: the CPU column,
 * the event name and the fields it needs found byte by byte with the string parser's rules), then
 * acted on here in order, its pointer keyed by its bytes in the tracker's KeyTable. Any line the scan
 * does not read itself (headers, non-ASCII pointers or names, pointers longer than KEY_BYTES, more
 * than 15 CPU digits, every error) goes whole to ftraceParser, the string parser, before anything is
 * counted: the events and errors are those of the string parser on every input. The scan can be done
 * ahead on another thread (scan-pipeline.ts): runRecords acts on its records.
 */
export class FtraceByteParser {
  /** Number of the last line parsed. */
  line = 0;
  readonly #slow: LineParser;
  readonly #table: KeyTable;
  /** The filter as the scan takes it. */
  readonly #filter: ScanFilter;
  /** One line's record, for run(). */
  readonly #rec = new Int32Array(REC);

  constructor(
    readonly file: string,
    readonly tracker: Tracker,
    readonly filter: Filter,
    readonly cpus: number,
  ) {
    this.#table = tracker.byteKeys();
    this.#slow = ftraceParser(file, tracker, filter, cpus);
    this.#filter = scanFilter(filter);
  }

  /**
   * Parse the whole lines of buf[pos, end), each ending with '\n', pushing their events on w, up to
   * the end or the line that fills w; returns where it stopped.
   */
  run(buf: Buffer, pos: number, end: number, w: ChunkWriter): number {
    const rec = this.#rec;
    const f = this.#filter;
    let line = this.line;
    while (pos < end) {
      line++;
      const next = line === 1 ? -1 : scanLine(buf, pos, f, rec, 0); // line 1 may start with a byte order mark
      if (next >= 0) {
        this.#act(buf, rec, 0, line, w);
        pos = next;
      } else {
        this.line = line;
        const nl = lineEnd(buf, pos);
        this.#slowLine(buf, pos, nl, line, w);
        pos = nl + 1;
      }
      if (w.pending >= CHUNK) break;
    }
    this.line = line;
    return pos;
  }

  /**
   * Act on the scanned records rec[i, n) of buf's lines (the first starting at buf[first]: scanLines),
   * up to the end or the line that fills w; returns the record it stopped before.
   */
  runRecords(buf: Buffer, first: number, rec: Int32Array, i: number, n: number, w: ChunkWriter): number {
    let line = this.line;
    while (i < n) {
      const o = i * REC;
      line++;
      i++;
      if (rec[o + 1] !== SLOW) this.#act(buf, rec, o, line, w);
      else {
        this.line = line;
        this.#slowLine(buf, o === 0 ? first : (rec[o - REC] as number), (rec[o] as number) - 1, line, w);
      }
      if (w.pending >= CHUNK) break;
    }
    this.line = line;
    return i;
  }

  /**
   * Act on the line scanned into rec[o] (scanLine), line number no: push its events. Nothing was
   * counted before: a line the scan could not read whole went to the string parser instead.
   */
  #act(buf: Uint8Array, rec: Int32Array, o: number, no: number, w: ChunkWriter): void {
    const kind = rec[o + 1] as number;
    if (kind === SKIP) return;
    const tracker = this.tracker;
    const traceCpu = rec[o + 2] as number;
    if (traceCpu > tracker.maxCpu) tracker.maxCpu = traceCpu;
    const flags = rec[o + 5] as number;
    if (flags & FLAG_NULL) {
      if (kind === FREE_LINE) tracker.skip(); // a free of null; a failed allocation is not counted
      return;
    }
    this.#table.load(buf, rec[o + 3] as number, rec[o + 4] as number);
    const cpu = traceCpu % this.cpus;
    if (kind === FREE_LINE) {
      // Pushed when it frees a live table, else skipped.
      const id = tracker.freeLoaded();
      if (id < 0) tracker.skip();
      else w.push(FREE, id, cpu);
      return;
    }
    // A pointer handed out again: the free of its old table is missing from the trace.
    const keep = (flags & FLAG_KEEP) !== 0;
    const old = tracker.reallocLoaded(keep, no);
    if (old >= 0) w.push(FREE, old, cpu);
    if (keep) w.push(ALLOC, tracker.lastAlloc, cpu);
  }

  /**
   * Parse the line buf[a, nl) as a string, the way the line reader and replay() give it to
   * ftraceParser, and push the events it gave.
   */
  #slowLine(buf: Buffer, a: number, nl: number, no: number, w: ChunkWriter): void {
    const e = nl > a && buf[nl - 1] === 13 ? nl - 1 : nl;
    let line = buf.toString('utf8', a, e);
    if (no === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    const start = firstNonSpace(line);
    if (start < 0 || line.charCodeAt(start) === 35 /* # */) return;
    this.#slow(line, start, no);
    const tracker = this.tracker;
    for (let k = 0; k < tracker.pending; k++) {
      w.push(tracker.kind[k] as number, tracker.id[k] as number, tracker.cpu[k] as number);
    }
    tracker.pending = 0;
  }

  /** Parse line number no, decoded already: the first line of the trace. */
  parseText(line: string, no: number): void {
    this.line = no;
    this.#slow(line, firstNonSpace(line), no);
  }
}
