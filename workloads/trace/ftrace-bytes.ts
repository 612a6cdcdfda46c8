import { ALLOC, CHUNK, type ChunkWriter, FREE } from '../events.ts';
import { type Filter, ftraceParser, kmallocCache } from './ftrace.ts';
import { KEY_BYTES, type KeyTable } from './keys.ts';
import { firstNonSpace, lineEnd } from './text.ts';
import type { LineParser, Tracker } from './tracker.ts';

enum Ev {
  Other = 0,
  Alloc = 1,
  Free = 2,
  Kmalloc = 3, // an alloc whose cache, without name=, is kmalloc-<bytes>
}

const ascii = (s: string) => Buffer.from(s, 'latin1');
const NAMES: [Uint8Array, Ev][] = [
  [ascii('kmalloc'), Ev.Kmalloc],
  [ascii('kmalloc_node'), Ev.Kmalloc],
  [ascii('kmem_cache_alloc'), Ev.Alloc],
  [ascii('kmem_cache_alloc_node'), Ev.Alloc],
  [ascii('kfree'), Ev.Free],
  [ascii('kmem_cache_free'), Ev.Free],
];

/**
 * Linux ftrace kmem text parsed straight from the read buffer, making no string per line, as
 * NativeByteParser does for the native format: the CPU column, the event name and the fields it
 * needs (` ptr=`, ` bytes_alloc=`, and ` name=` or ` call_site=` when a filter asks) are found byte
 * by byte with the string parser's rules (first `[digits]`, first `: ` after it, the first of three
 * tokens after that ending in `:`, the first ` key=` after the event, values up to a space or tab),
 * and pointers keyed by their bytes in the tracker's KeyTable. Any line it does not read itself
 * (headers, non-ASCII pointers or names, pointers longer than KEY_BYTES, more than 15 CPU digits,
 * every error) goes whole to ftraceParser, the string parser, before anything is counted: the events
 * and errors are those of the string parser on every input.
 */
export class FtraceByteParser {
  /** Number of the last line parsed. */
  line = 0;
  readonly #slow: LineParser;
  readonly #table: KeyTable;
  readonly #cache: Uint8Array | undefined;
  readonly #site: Uint8Array | undefined;
  /** A kmalloc event without name= counts as cache kmalloc-<size>: does that match cache=? */
  readonly #kmallocMatches: boolean;
  // What #line found that #free and #alloc need: the trace CPU, where the values of name= and
  // call_site= start (-1: none).
  #traceCpu = 0;
  #nameAt = -1;
  #siteAt = -1;

  constructor(
    readonly file: string,
    readonly tracker: Tracker,
    readonly filter: Filter,
    readonly cpus: number,
  ) {
    this.#table = tracker.byteKeys();
    this.#slow = ftraceParser(file, tracker, filter, cpus);
    this.#cache = filter.cache === '' ? undefined : Buffer.from(filter.cache);
    this.#site = filter.site === '' ? undefined : Buffer.from(filter.site);
    this.#kmallocMatches = kmallocCache(filter.size) === filter.cache;
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
   * Parse line number no at buf[pos] if it is a common one: push its events, return where the next
   * line starts; -1 for the string parser. The scan of the line stays in this one function (split
   * into a call per part, it lost inlining: 3 to 4 calls more a line); the events it finds are
   * pushed by #free and #alloc.
   */
  #line(buf: Buffer, pos: number, no: number, w: ChunkWriter): number {
    // Long stretches are skipped by native searches (the newline, the '['), short ones byte by byte.
    const nl = buf.indexOf(10, pos);
    let j = skipBlanks(buf, pos);
    const c = buf[j] as number;
    if (c === 10) return j + 1; // blank
    if (c === 13 && buf[j + 1] === 10) return j + 2; // blank, CRLF
    if (c === 35) return nl + 1; // a comment
    // The CPU column: the first '[' followed by digits and ']'.
    let open = buf.indexOf(91, j);
    let close = -1;
    for (;;) {
      if (open < 0 || open > nl) return -1; // none: a header line, or an error
      let k = open + 1;
      while ((buf[k] as number) >= 48 && (buf[k] as number) <= 57) k++;
      if (k > open + 1 && buf[k] === 93) {
        close = k;
        break;
      }
      open = buf.indexOf(91, open + 1);
    }
    if (close - open - 1 > 15) return -1;
    // The timestamp ends at the first ': ' after the column; the event is the first of the next three tokens ending in ':'.
    j = buf.indexOf(58, close);
    for (;;) {
      if (j < 0 || j > nl) return nl + 1; // no event: ignored
      if (buf[j + 1] === 32) break;
      j = buf.indexOf(58, j + 1);
    }
    j += 2;
    let p = -1;
    for (let tries = 0; tries < 3 && p < 0; tries++) {
      j = skipBlanks(buf, j);
      if (isEnd(buf, j)) return nl + 1; // ignored
      const s = j;
      j = tokenEnd(buf, j);
      if (j - s > 1 && buf[j - 1] === 58) p = s;
    }
    const ev = p < 0 ? Ev.Other : eventKind(buf, p, j - 1);
    if (ev === Ev.Other) return nl + 1; // no event, or another event: ignored
    // The first ` ptr=`, ` bytes_alloc=`, ` name=`, ` call_site=` after the event.
    const alloc = ev !== Ev.Free;
    const wantName = alloc && this.#cache !== undefined;
    const wantSite = alloc && this.#site !== undefined;
    let ptr = -1;
    let bytes = -1;
    let name = -1;
    let site = -1;
    // From space to space (a native search each): the keys all start with one.
    for (j = buf.indexOf(32, j); j >= 0 && j < nl; j = buf.indexOf(32, j + 1)) {
      const k = buf[j + 1] as number;
      if (k === 112) {
        if (ptr < 0 && buf[j + 2] === 116 && buf[j + 3] === 114 && buf[j + 4] === 61) ptr = j + 5; // ptr=
      } else if (k === 98) {
        if (bytes < 0 && startsWith(buf, j + 2, BYTES_ALLOC)) bytes = j + 2 + BYTES_ALLOC.length; // bytes_alloc=
      } else if (k === 110) {
        // name= and call_site= are compared only when a filter needs them (every line has a call_site=).
        if (wantName && name < 0 && startsWith(buf, j + 2, NAME)) name = j + 2 + NAME.length; // name=
      } else if (k === 99) {
        if (wantSite && site < 0 && startsWith(buf, j + 2, CALL_SITE)) site = j + 2 + CALL_SITE.length; // call_site=
      }
      if (ptr >= 0 && (!alloc || (bytes >= 0 && (!wantName || name >= 0) && (!wantSite || site >= 0)))) break;
    }
    if (ptr < 0) return -1; // an error
    const ptrEnd = pointerEnd(buf, ptr);
    if (ptrEnd < 0) return -1;
    this.#traceCpu = parseDigits(buf, open + 1, close);
    if (!alloc) this.#free(buf, ptr, ptrEnd, w);
    else {
      this.#nameAt = name;
      this.#siteAt = site;
      if (!this.#alloc(buf, ev, ptr, ptrEnd, bytes, no, w)) return -1;
    }
    return nl + 1;
  }

  /** A free of the pointer buf[ptr, ptrEnd): pushed when it frees a live table, else skipped. */
  #free(buf: Buffer, ptr: number, ptrEnd: number, w: ChunkWriter): void {
    const tracker = this.tracker;
    const traceCpu = this.#traceCpu;
    if (traceCpu > tracker.maxCpu) tracker.maxCpu = traceCpu;
    let id = -1;
    if (!isNullPtr(buf, ptr, ptrEnd)) {
      this.#table.load(buf, ptr, ptrEnd);
      id = tracker.freeLoaded();
    }
    if (id < 0) tracker.skip();
    else w.push(FREE, id, traceCpu % this.cpus);
  }

  /**
   * An allocation of the pointer buf[ptr, ptrEnd) on line no: pushed when it passes the filter, after
   * the free its pointer's old table missed. False, having counted nothing, for the string parser.
   */
  #alloc(buf: Buffer, ev: Ev, ptr: number, ptrEnd: number, bytes: number, no: number, w: ChunkWriter): boolean {
    const size = allocSize(buf, bytes);
    if (size < 0) return false; // an error
    // Decide everything the string parser might do differently before counting anything.
    const none = isNullPtr(buf, ptr, ptrEnd);
    let keep = size === this.filter.size;
    if (keep && !none) {
      const match = this.#filterMatch(buf, ev);
      if (match < 0) return false;
      keep = match === 1;
    }
    const tracker = this.tracker;
    const traceCpu = this.#traceCpu;
    if (traceCpu > tracker.maxCpu) tracker.maxCpu = traceCpu;
    if (none) return true; // a failed allocation
    this.#table.load(buf, ptr, ptrEnd);
    const cpu = traceCpu % this.cpus;
    // A pointer handed out again: the free of its old table is missing from the trace.
    const old = tracker.reallocLoaded(keep, no);
    if (old >= 0) w.push(FREE, old, cpu);
    if (keep) w.push(ALLOC, tracker.lastAlloc, cpu);
    return true;
  }

  /** Whether an allocation passes cache= and then site=: 1 or 0; -1 for the string parser (an error, or non-ASCII). */
  #filterMatch(buf: Buffer, ev: Ev): number {
    const cache = this.#cacheMatch(buf, ev);
    return cache === 1 ? this.#siteMatch(buf) : cache;
  }

  /** Its slab cache (name=, or kmalloc-<size> for a kmalloc event without one) against cache=, as #filterMatch. */
  #cacheMatch(buf: Buffer, ev: Ev): number {
    if (this.#cache === undefined) return 1;
    const name = this.#nameAt;
    if (name < 0) {
      if (ev === Ev.Kmalloc) return this.#kmallocMatches ? 1 : 0;
      return -1; // an error: no name=
    }
    const e = tokenEnd(buf, name);
    if (!isAscii(buf, name, e)) return -1;
    return equals(buf, name, e, this.#cache) ? 1 : 0;
  }

  /** Its call site's function (call_site=, up to a +) against site=, as #filterMatch. */
  #siteMatch(buf: Buffer): number {
    if (this.#site === undefined) return 1;
    const site = this.#siteAt;
    if (site < 0) return -1; // an error: no call_site=
    const e = tokenEnd(buf, site);
    if (!isAscii(buf, site, e)) return -1;
    return equals(buf, site, functionEnd(buf, site, e), this.#site) ? 1 : 0;
  }

  /** Parse the line buf[a, nl) as a string, the way the line reader and replay() give it to ftraceParser. */
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

const BYTES_ALLOC = ascii('ytes_alloc=');
const NAME = ascii('ame=');
const CALL_SITE = ascii('all_site=');

/** Each event name by its length (they all differ). */
const BY_LENGTH: ([Uint8Array, Ev] | undefined)[] = [];
for (const n of NAMES) BY_LENGTH[n[0].length] = n;

/** The kind of the event named buf[a, b). */
function eventKind(buf: Uint8Array, a: number, b: number): Ev {
  const n = BY_LENGTH[b - a];
  return n !== undefined && equals(buf, a, b, n[0]) ? n[1] : Ev.Other;
}

function equals(buf: Uint8Array, a: number, b: number, s: Uint8Array): boolean {
  if (b - a !== s.length) return false;
  for (let k = 0; k < s.length; k++) if (buf[a + k] !== s[k]) return false;
  return true;
}

function startsWith(buf: Uint8Array, a: number, s: Uint8Array): boolean {
  for (let k = 0; k < s.length; k++) if (buf[a + k] !== s[k]) return false;
  return true;
}

function isAscii(buf: Uint8Array, a: number, b: number): boolean {
  for (let k = a; k < b; k++) if ((buf[k] as number) >= 128) return false;
  return true;
}

/** The first byte at or after i that is not a space or tab. */
function skipBlanks(buf: Uint8Array, i: number): number {
  let c = buf[i] as number;
  while (c === 32 || c === 9) c = buf[++i] as number;
  return i;
}

/** End of the pointer at buf[a]: -1 when it is empty, longer than KEY_BYTES or not ASCII. */
function pointerEnd(buf: Uint8Array, a: number): number {
  let b = a;
  let high = 0;
  for (;;) {
    const c = buf[b] as number;
    if (c === 32 || c === 9 || c === 10 || (c === 13 && buf[b + 1] === 10)) break;
    high |= c;
    b++;
  }
  return b === a || b - a > KEY_BYTES || high >= 128 ? -1 : b;
}

/** The size in bytes_alloc= whose value starts at buf[a] (a < 0: none): -1 unless 1 to 15 digits. */
function allocSize(buf: Uint8Array, a: number): number {
  if (a < 0) return -1;
  const b = tokenEnd(buf, a);
  if (b === a || b - a > 15) return -1;
  for (let k = a; k < b; k++) if ((buf[k] as number) < 48 || (buf[k] as number) > 57) return -1;
  return parseDigits(buf, a, b);
}

/** End of the function in the call site buf[a, b): before its +, if any. */
function functionEnd(buf: Uint8Array, a: number, b: number): number {
  for (let k = a; k < b; k++) if (buf[k] === 43) return k;
  return b;
}

/** Whether buf[i] ends the line's text: its '\n', or the '\r' of its '\r\n'. */
function isEnd(buf: Uint8Array, i: number): boolean {
  const c = buf[i];
  return c === 10 || (c === 13 && buf[i + 1] === 10);
}

/** End of the token at i: the next space, tab or end of the line's text. */
function tokenEnd(buf: Uint8Array, i: number): number {
  for (;;) {
    const c = buf[i] as number;
    if (c === 32 || c === 9 || c === 10 || (c === 13 && buf[i + 1] === 10)) return i;
    i++;
  }
}

/** The number written in ASCII digits buf[a, b) (at most 15 of them). */
function parseDigits(buf: Uint8Array, a: number, b: number): number {
  let n = 0;
  for (let k = a; k < b; k++) n = n * 10 + (buf[k] as number) - 48;
  return n;
}

const NULL_WORD = ascii('(null)');
const NIL_WORD = ascii('(nil)');

/** Null as %p prints it (see isNull in ftrace.ts): all zeros, 0x or not, `(null)` or `(nil)`. */
function isNullPtr(buf: Uint8Array, a: number, b: number): boolean {
  if (buf[a] === 40) return equals(buf, a, b, NULL_WORD) || equals(buf, a, b, NIL_WORD); // (
  const from = buf[a] === 48 && buf[a + 1] === 120 ? a + 2 : a; // 0x
  if (from === b) return false;
  // From the end: a pointer's leading digits are often zeros (000000000003e850), its last rarely.
  for (let k = b - 1; k >= from; k--) if (buf[k] !== 48) return false;
  return true;
}
