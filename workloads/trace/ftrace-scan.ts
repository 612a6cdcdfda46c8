import { type Filter, kmallocCache } from './ftrace.ts';
import { KEY_BYTES } from './keys.ts';

/**
 * The pure half of parsing an ftrace kmem line from the read buffer: what the line is and where its
 * fields are, without touching the live tables. FtraceByteParser acts on the result in order (the
 * pointer → table id mapping); the scan depends on the bytes and the filter alone, so it can run
 * ahead on another thread (scan-thread.ts) over lines the parser has not reached yet.
 *
 * A line's record, REC ints at rec[o]: where the next line starts (set by scanLines), what the line
 * is (SKIP, FREE_LINE, ALLOC_LINE, SLOW), the trace CPU, the pointer's start and end in the buffer,
 * and FLAG_* bits.
 */
export const REC = 6;
/** What a line is: blank, a comment, no event or another event (nothing to do). */
export const SKIP = 0;
export const FREE_LINE = 1;
const ALLOC_LINE = 2;
/** For the string parser: a header line, non-ASCII bytes, a long pointer, every error. */
export const SLOW = 3;
/** The pointer is null as %p prints it: a free of nothing, a failed allocation. */
export const FLAG_NULL = 1;
/** An allocation that passes the filter (size, cache=, site=): a table. */
export const FLAG_KEEP = 2;

/** The filter as bytes, for the scan. */
export interface ScanFilter {
  readonly size: number;
  /** cache=, undefined when not given. */
  readonly cache: Uint8Array | undefined;
  /** site=, undefined when not given. */
  readonly site: Uint8Array | undefined;
  /** A kmalloc event without name= counts as cache kmalloc-<size>: does that match cache=? */
  readonly kmallocMatches: boolean;
}

/** The filter as the scan takes it. */
export function scanFilter(filter: Filter): ScanFilter {
  return {
    size: filter.size,
    cache: filter.cache === '' ? undefined : Buffer.from(filter.cache),
    site: filter.site === '' ? undefined : Buffer.from(filter.site),
    kmallocMatches: kmallocCache(filter.size) === filter.cache,
  };
}

enum Ev {
  Other = 0,
  Alloc = 1,
  Free = 2,
  Kmalloc = 3, // an alloc whose cache, without name=, is kmalloc-<bytes>
}

const ascii = (s: string) => Buffer.from(s, 'latin1');
type EventName = [Uint8Array, Ev];
const NAMES: EventName[] = [
  [ascii('kmalloc'), Ev.Kmalloc],
  [ascii('kmalloc_node'), Ev.Kmalloc],
  [ascii('kmem_cache_alloc'), Ev.Alloc],
  [ascii('kmem_cache_alloc_node'), Ev.Alloc],
  [ascii('kfree'), Ev.Free],
  [ascii('kmem_cache_free'), Ev.Free],
];

/**
 * Scan the whole lines of buf[pos, end) (each ending with '\n') into records, at most max of them;
 * returns how many. Slow lines get a record too (the parser hands them to the string parser).
 */
export function scanLines(
  buf: Uint8Array,
  pos: number,
  end: number,
  f: ScanFilter,
  rec: Int32Array,
  max: number,
): number {
  let n = 0;
  for (let o = 0; pos < end && n < max; n++, o += REC) {
    const next = scanLine(buf, pos, f, rec, o);
    if (next < 0) rec[o + 1] = SLOW;
    pos = next < 0 ? buf.indexOf(10, pos) + 1 : next;
    rec[o] = pos;
  }
  return n;
}

/**
 * Scan the line at buf[pos] with the string parser's rules (first `[digits]`, first `: ` after it,
 * the first of three tokens after that ending in `:`, the first ` key=` after the event, values up
 * to a space or tab): its record at rec[o], and where the next line starts; -1 for the string parser.
 * The scan stays in two functions, up to the event and its keys (split into a call per part, it lost
 * inlining).
 */
export function scanLine(buf: Uint8Array, pos: number, f: ScanFilter, rec: Int32Array, o: number): number {
  // Long stretches are skipped by native searches (the newline, the spaces before keys), short ones
  // byte by byte: a native search costs about as much as ten bytes looked at here.
  let j = pos;
  let c = buf[j] as number;
  while (c === 32 || c === 9) c = buf[++j] as number;
  rec[o + 1] = SKIP;
  if (c === 10) return j + 1; // blank
  if (c === 13 && buf[j + 1] === 10) return j + 2; // blank, CRLF
  const nl = buf.indexOf(10, j);
  if (c === 35) return nl + 1; // a comment
  // The CPU column: the first '[' followed by digits and ']'.
  let open = j - 1;
  let close: number;
  let cpu: number; // its number, read as its digits are walked (exact up to the 15 allowed)
  for (;;) {
    do c = buf[++open] as number;
    while (c !== 91 && c !== 10);
    if (c === 10) return -1; // none: a header line, or an error
    close = open + 1;
    c = buf[close] as number;
    for (cpu = 0; c >= 48 && c <= 57; c = buf[++close] as number) cpu = cpu * 10 + c - 48;
    if (close > open + 1 && c === 93) break;
  }
  if (close - open - 1 > 15) return -1;
  // The timestamp ends at the first ': ' after the column; the event is the first of the next three tokens ending in ':'.
  j = close;
  do {
    do c = buf[++j] as number;
    while (c !== 58 && c !== 10);
    if (c === 10) return nl + 1; // no event: ignored
  } while (buf[j + 1] !== 32);
  j += 2;
  let p = -1;
  let ev = Ev.Other;
  for (let tries = 0; tries < 3 && p < 0; tries++) {
    c = buf[j] as number;
    while (c === 32 || c === 9) c = buf[++j] as number;
    if (c === 10 || (c === 13 && buf[j + 1] === 10)) return nl + 1; // ignored
    const s = j;
    const n = eventAt(buf, s); // a kmem event's `NAME:` token, read once (the common case)
    if (n >= 0) {
      p = s;
      ev = (NAMES[n] as EventName)[1];
      j = s + (NAMES[n] as EventName)[0].length + 1;
      break;
    }
    j = tokenEnd(buf, j);
    if (j - s > 1 && buf[j - 1] === 58) {
      p = s;
      ev = eventKind(buf, p, j - 1);
    }
  }
  if (ev === Ev.Other) return nl + 1; // no event, or another event: ignored
  const alloc = ev !== Ev.Free;
  const flags = keyFlags(buf, j, nl, ev, f, rec, o);
  if (flags < 0) return -1;
  rec[o + 1] = alloc ? ALLOC_LINE : FREE_LINE;
  rec[o + 2] = cpu;
  rec[o + 5] = flags;
  return nl + 1;
}

/**
 * The keys of the line whose event ev ends at buf[j] (its newline at nl): the first ` ptr=`,
 * ` bytes_alloc=`, ` name=`, ` call_site=` after the event, from space to space (the keys all start
 * with one; a pointer's or a size's value is walked here, then the key after it). The pointer's start
 * and end go to rec[o + 3] and rec[o + 4]; returns the FLAG_* bits, or -1 for the string parser.
 */
function keyFlags(buf: Uint8Array, j: number, nl: number, ev: Ev, f: ScanFilter, rec: Int32Array, o: number): number {
  const alloc = ev !== Ev.Free;
  const wantName = alloc && f.cache !== undefined;
  const wantSite = alloc && f.site !== undefined;
  let ptr = -1;
  let ptrEnd = -1;
  let size = -1;
  let name = -1;
  let site = -1;
  if (buf[j] !== 32) j = buf.indexOf(32, j);
  while (j >= 0 && j < nl) {
    const k = buf[j + 1] as number;
    if (k === 112 && ptr < 0 && buf[j + 2] === 116 && buf[j + 3] === 114 && buf[j + 4] === 61) {
      ptr = j + 5; // ptr=
      ptrEnd = pointerEnd(buf, ptr);
      if (ptrEnd < 0) return -1; // the first ptr= is the one: the string parser's
      j = ptrEnd;
    } else if (k === 98 && size < 0 && alloc && buf[j + 7] === 97 && startsWith(buf, j + 2, BYTES_ALLOC)) {
      const a = j + 2 + BYTES_ALLOC.length; // bytes_alloc=
      j = digitsEnd(buf, a);
      if (j < 0 || j === a || j - a > 15) return -1; // an error: not 1 to 15 digits
      size = parseDigits(buf, a, j);
    } else {
      // name= and call_site= are compared only when a filter needs them (every line has a call_site=).
      if (k === 110 && wantName && name < 0 && startsWith(buf, j + 2, NAME))
        name = j + 2 + NAME.length; // name=
      else if (k === 99 && wantSite && site < 0 && startsWith(buf, j + 2, CALL_SITE)) site = j + 2 + CALL_SITE.length; // call_site=
      j = buf.indexOf(32, j + 1);
      continue;
    }
    if (ptr >= 0 && (!alloc || (size >= 0 && (!wantName || name >= 0) && (!wantSite || site >= 0)))) break;
    if (buf[j] !== 32) j = buf.indexOf(32, j);
  }
  if (ptr < 0) return -1; // an error
  rec[o + 3] = ptr;
  rec[o + 4] = ptrEnd;
  const none = isNullPtr(buf, ptr, ptrEnd);
  return alloc ? allocFlags(buf, ev, none, size, name, site, f) : none ? FLAG_NULL : 0;
}

/**
 * An allocation's FLAG_* bits: null or not, kept or not (its bytes_alloc= size, -1 when absent; cache=
 * and site= at the offsets given); -1 for the string parser: everything it might do differently is
 * decided here, before the parser counts anything.
 */
function allocFlags(
  buf: Uint8Array,
  ev: Ev,
  none: boolean,
  size: number,
  name: number,
  site: number,
  f: ScanFilter,
): number {
  if (size < 0) return -1; // an error: no bytes_alloc=
  if (none) return FLAG_NULL;
  if (size !== f.size) return 0;
  const match = filterMatch(buf, ev, name, site, f);
  return match < 0 ? -1 : match === 1 ? FLAG_KEEP : 0;
}

/** Whether an allocation passes cache= and then site=: 1 or 0; -1 for the string parser (an error, or non-ASCII). */
function filterMatch(buf: Uint8Array, ev: Ev, name: number, site: number, f: ScanFilter): number {
  const cache = cacheMatch(buf, ev, name, f);
  return cache === 1 ? siteMatch(buf, site, f) : cache;
}

/** Its slab cache (name=, or kmalloc-<size> for a kmalloc event without one) against cache=, as filterMatch. */
function cacheMatch(buf: Uint8Array, ev: Ev, name: number, f: ScanFilter): number {
  if (f.cache === undefined) return 1;
  if (name < 0) {
    if (ev === Ev.Kmalloc) return f.kmallocMatches ? 1 : 0;
    return -1; // an error: no name=
  }
  const e = tokenEnd(buf, name);
  if (!isAscii(buf, name, e)) return -1;
  return equals(buf, name, e, f.cache) ? 1 : 0;
}

/** Its call site's function (call_site=, up to a +) against site=, as filterMatch. */
function siteMatch(buf: Uint8Array, site: number, f: ScanFilter): number {
  if (f.site === undefined) return 1;
  if (site < 0) return -1; // an error: no call_site=
  const e = tokenEnd(buf, site);
  if (!isAscii(buf, site, e)) return -1;
  return equals(buf, site, functionEnd(buf, site, e), f.site) ? 1 : 0;
}

const BYTES_ALLOC = ascii('ytes_alloc=');
const NAME = ascii('ame=');
const CALL_SITE = ascii('all_site=');

/** Each event name by its length (they all differ). */
const BY_LENGTH: (EventName | undefined)[] = [];
for (const n of NAMES) BY_LENGTH[n[0].length] = n;

/** The kind of the event named buf[a, b). */
function eventKind(buf: Uint8Array, a: number, b: number): Ev {
  const n = BY_LENGTH[b - a];
  return n !== undefined && equals(buf, a, b, n[0]) ? n[1] : Ev.Other;
}

/**
 * The event whose name, then ':', is the whole token at buf[s] (a space, tab or the line's end
 * after it): its index in NAMES, or -1. The candidate is told by a byte or two, then checked whole.
 */
function eventAt(buf: Uint8Array, s: number): number {
  if (buf[s] !== 107) return -1; // k
  const c = buf[s + 1];
  let n: number;
  if (c === 102)
    n = 4; // kfree
  else if (c !== 109) return -1;
  else if (buf[s + 2] === 97)
    n = buf[s + 7] === 95 ? 1 : 0; // kmalloc, kmalloc_node
  else if (buf[s + 11] === 97)
    n = buf[s + 16] === 95 ? 3 : 2; // kmem_cache_alloc, kmem_cache_alloc_node
  else n = 5; // kmem_cache_free
  const name = (NAMES[n] as EventName)[0];
  const e = s + name.length;
  if (buf[e] !== 58 || !startsWith(buf, s, name)) return -1;
  const t = buf[e + 1];
  return t === 32 || t === 9 || t === 10 || (t === 13 && buf[e + 2] === 10) ? n : -1;
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

/** End of the pointer at buf[a]: -1 when it is empty, longer than KEY_BYTES or not ASCII. */
function pointerEnd(buf: Uint8Array, a: number): number {
  let b = a;
  let c = buf[b] as number;
  for (;;) {
    while (c > 32 && c < 127) c = buf[++b] as number; // printable ASCII
    if (c === 32 || c === 9 || c === 10 || (c === 13 && buf[b + 1] === 10)) break;
    if (c >= 128) return -1;
    c = buf[++b] as number;
  }
  return b === a || b - a > KEY_BYTES ? -1 : b;
}

/** End of the token of digits at buf[a] (a space, tab or the line's end after them), -1 if another byte ends them. */
function digitsEnd(buf: Uint8Array, a: number): number {
  let b = a;
  let c = buf[b] as number;
  while (c >= 48 && c <= 57) c = buf[++b] as number;
  return c === 32 || c === 9 || c === 10 || (c === 13 && buf[b + 1] === 10) ? b : -1;
}

/** End of the function in the call site buf[a, b): before its +, if any. */
function functionEnd(buf: Uint8Array, a: number, b: number): number {
  for (let k = a; k < b; k++) if (buf[k] === 43) return k;
  return b;
}

/** End of the token at i: the next space, tab or end of the line's text. */
function tokenEnd(buf: Uint8Array, i: number): number {
  let c = buf[i] as number;
  for (;;) {
    // Printable bytes in one test; the rest (control bytes, a '\r' not before '\n') are rare.
    while (c > 32) c = buf[++i] as number;
    if (c === 32 || c === 9 || c === 10 || (c === 13 && buf[i + 1] === 10)) return i;
    c = buf[++i] as number;
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
