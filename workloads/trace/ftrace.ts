import { lineError, quote } from './errors.ts';
import { firstNonSpace, parseUint, tokenEnd } from './text.ts';
import type { LineParser, Tracker } from './tracker.ts';

/** Which allocations are tables: bytes_alloc equal to size, and the cache and call site when not ''. */
export interface Filter {
  readonly size: number;
  readonly cache: string;
  readonly site: string;
}

export const ALLOCS = new Set(['kmalloc', 'kmalloc_node', 'kmem_cache_alloc', 'kmem_cache_alloc_node']);
export const FREES = new Set(['kfree', 'kmem_cache_free']);
/** Lines without a [CPU] column that trace-cmd report or tracefs print around the events. */
const HEADERS = ['cpus=', 'CPU ', 'CPU:', 'version', '=>'];

/**
 * Linux ftrace text of the kmem events, as tracefs `trace`/`trace_pipe` or `trace-cmd report` print
 * it: `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: key=value …`, the flags column optional. Other events
 * are ignored; a line that is not an event line, or a kmem event without its fields, throws.
 */
export function ftraceParser(file: string, tracker: Tracker, filter: Filter, cpus: number): LineParser {
  return (line, start, no) => {
    const open = cpuColumn(line, start);
    if (open < 0) {
      if (isHeader(line, start)) return;
      throw lineError(file, no, `not an ftrace event line (no [CPU] column): ${quote(line.slice(start))}`);
    }
    const close = line.indexOf(']', open);
    const p = eventStart(line, close);
    if (p < 0) return;
    const q = tokenEnd(line, p);
    const name = line.slice(p, q - 1);
    const alloc = ALLOCS.has(name);
    if (!alloc && !FREES.has(name)) return;
    const traceCpu = parseUint(line, open + 1, close);
    if (traceCpu > tracker.maxCpu) tracker.maxCpu = traceCpu;
    const cpu = traceCpu % cpus;
    const ptr = field(line, q, ' ptr=');
    if (ptr === undefined) throw lineError(file, no, `${name} without ptr=`);
    if (!alloc) {
      if (isNull(ptr) || !tracker.free(ptr, cpu)) tracker.skip();
      return;
    }
    const bytesText = field(line, q, ' bytes_alloc=') ?? '';
    const bytes = parseUint(bytesText, 0, bytesText.length);
    if (bytes < 0) throw lineError(file, no, `${name} without a whole number in bytes_alloc= (${quote(bytesText)})`);
    if (isNull(ptr)) return; // a failed allocation
    // The pointer is being handed out again, so the free of its old table is missing from the trace.
    tracker.forget(ptr, cpu);
    if (bytes !== filter.size) return;
    if (filter.cache !== '') {
      const cache = field(line, q, ' name=') ?? (name.startsWith('kmalloc') ? kmallocCache(bytes) : undefined);
      if (cache === undefined) throw lineError(file, no, `${name} without name= (needed by cache=)`);
      if (cache !== filter.cache) return;
    }
    if (filter.site !== '') {
      const site = field(line, q, ' call_site=');
      if (site === undefined) throw lineError(file, no, `${name} without call_site= (needed by site=)`);
      const plus = site.indexOf('+');
      if ((plus < 0 ? site : site.slice(0, plus)) !== filter.site) return;
    }
    tracker.alloc(ptr, cpu, no);
  };
}

/**
 * The cache a kmalloc event came from: recent kernels print no name= for kmalloc, so it is named after
 * bytes_alloc as mm/slab_common.c names the kmalloc caches (kmalloc-96, kmalloc-1k, kmalloc-2M). The
 * kmalloc-cg-, kmalloc-rcl- and dma-kmalloc- variants are not told apart.
 */
export function kmallocCache(bytes: number): string {
  const M = 1 << 20;
  if (bytes >= M && bytes % M === 0) return `kmalloc-${bytes / M}M`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `kmalloc-${bytes / 1024}k`;
  return `kmalloc-${bytes}`;
}

/** Index of the '[' of the first `[NNN]` CPU column at or after from, or -1. */
export function cpuColumn(line: string, from: number): number {
  for (let b = line.indexOf('[', from); b >= 0; b = line.indexOf('[', b + 1)) {
    let i = b + 1;
    for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i));
    if (i > b + 1 && line.charCodeAt(i) === 93) return b;
  }
  return -1;
}

export function isHeader(line: string, start = firstNonSpace(line)): boolean {
  return HEADERS.some((h) => line.startsWith(h, start));
}

/** Start of the `EVENT:` token after the timestamp, allowing a few extra columns; -1 if none. */
export function eventStart(line: string, close: number): number {
  const stamp = line.indexOf(': ', close);
  if (stamp < 0) return -1;
  let p = stamp + 2;
  for (let tries = 0; tries < 3; tries++) {
    p = firstNonSpace(line, p);
    if (p < 0) return -1;
    const q = tokenEnd(line, p);
    if (q - p > 1 && line.charCodeAt(q - 1) === 58) return p;
    p = q;
  }
  return -1;
}

/** The value of ` key=value` after index from, up to the next space; undefined when absent. */
export function field(line: string, from: number, key: string): string | undefined {
  const k = line.indexOf(key, from);
  if (k < 0) return undefined;
  const v = k + key.length;
  return line.slice(v, tokenEnd(line, v));
}

/** Null as %p prints it: all zeros (hashed or not, 0x or not), `(null)` or `(nil)`. */
export function isNull(ptr: string): boolean {
  if (ptr === '(null)' || ptr === '(nil)') return true;
  const from = ptr.startsWith('0x') ? 2 : 0;
  if (from === ptr.length) return false;
  for (let i = from; i < ptr.length; i++) if (ptr.charCodeAt(i) !== 48) return false;
  return true;
}
