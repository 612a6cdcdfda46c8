import { ALLOCS, cpuColumn, eventStart, FREES, field, isNull } from '../../workloads/trace/ftrace.ts';
import { firstNonSpace, parseUint, tokenEnd } from '../../workloads/trace/text.ts';

const LOST = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/;

/** The parts of an event line of trace_pipe text: `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS`. */
export interface EventLine {
  readonly cpu: number;
  readonly timestamp: string;
  readonly event: string;
  /** Index of the end of the `EVENT:` token: the fields follow. */
  readonly fields: number;
}

/** Split an event line; undefined for anything else (headers, blank lines). */
function eventLine(line: string): EventLine | undefined {
  const start = firstNonSpace(line);
  if (start < 0) return undefined;
  const open = cpuColumn(line, start);
  if (open < 0) return undefined;
  const close = line.indexOf(']', open);
  const p = eventStart(line, close);
  if (p < 0) return undefined;
  const q = tokenEnd(line, p);
  const stamp = line.indexOf(': ', close);
  const timestamp = line.slice(line.lastIndexOf(' ', stamp - 1) + 1, stamp);
  return { cpu: parseUint(line, open + 1, close), timestamp, event: line.slice(p, q - 1), fields: q };
}

/** An event line split, and counted (its CPU too); undefined for anything else. */
function countedEventLine(line: string, counts: StreamCounts): EventLine | undefined {
  const e = eventLine(line);
  if (!e) return undefined;
  counts.lines++;
  if (e.cpu > counts.max_cpu) counts.max_cpu = e.cpu;
  return e;
}

/**
 * For a `CPU:N [LOST M EVENTS]` line of trace_pipe (the ring buffer overran there), the comment
 * that marks the loss at that place in the trace, counted; '' for any other line.
 */
function lostMark(line: string, counts: StreamCounts): string {
  const lost = LOST.exec(line.trimStart());
  if (!lost) return '';
  counts.reported_lost += Number(lost[2]);
  return `# LOST ${lost[2]} events on CPU ${lost[1]} here\n`;
}

/** What a recording saw, counted as it streams. */
export interface StreamCounts {
  /** Event lines read from trace_pipe. */
  lines: number;
  allocations: number;
  frees: number;
  /** Frees of pointers not kept live (other sizes and caches, allocated before the recording): dropped. */
  skipped_frees: number;
  /** Allocations of a kept pointer still live: its free was lost, so one is written first. */
  realloc_without_free: number;
  /** Events the trace_pipe text itself reported lost (`CPU:N [LOST M EVENTS]`). */
  reported_lost: number;
  /** Highest CPU number seen. */
  max_cpu: number;
}

const emptyCounts = (): StreamCounts => ({
  lines: 0,
  allocations: 0,
  frees: 0,
  skipped_frees: 0,
  realloc_without_free: 0,
  reported_lost: 0,
  max_cpu: -1,
});

/** What the allocations kept must show, checked again in user space after the kernel's filters. */
export interface KmemCheck {
  /** bytes_alloc, when the selection is by size (or a kmalloc-family cache). */
  readonly size?: number;
  /** name= of kmem_cache_alloc events, when the selection is a named cache. */
  readonly cache?: string;
}

/**
 * trace_pipe text of the kmem events to native lines, `alloc,PTR,CPU,TIMESTAMP` and
 * `free,PTR,CPU,TIMESTAMP`, with the rule of the ftrace reader: the live pointers of the kept
 * allocations are tracked, a free of any other pointer is dropped (frees cannot be filtered by size
 * in the kernel), an allocation of a pointer still live first frees it (its free was lost), and
 * allocations returning null are dropped. Memory grows with the live pointers only.
 */
export class KmemConverter {
  readonly counts = emptyCounts();
  readonly #live = new Set<string>();

  constructor(readonly check: KmemCheck) {}

  /** The native lines for one line of trace_pipe text ('' when none). */
  convert(line: string): string {
    const e = countedEventLine(line, this.counts);
    if (!e) return lostMark(line, this.counts);
    const c = this.counts;
    const alloc = ALLOCS.has(e.event);
    if (!alloc && !FREES.has(e.event)) return '';
    const ptr = field(line, e.fields, ' ptr=');
    if (ptr === undefined || isNull(ptr)) {
      if (!alloc) c.skipped_frees++;
      return '';
    }
    const tail = `${ptr},${e.cpu},${e.timestamp}\n`;
    if (!alloc) {
      if (!this.#live.delete(ptr)) {
        c.skipped_frees++;
        return '';
      }
      c.frees++;
      return `free,${tail}`;
    }
    let out = '';
    if (this.#live.delete(ptr)) {
      c.realloc_without_free++;
      out = `free,${tail}`;
    }
    if (!this.#keeps(line, e)) return out;
    this.#live.add(ptr);
    c.allocations++;
    return `${out}alloc,${tail}`;
  }

  /** Live pointers kept: allocated in the recording and not freed yet. */
  get live(): number {
    return this.#live.size;
  }

  #keeps(line: string, e: EventLine): boolean {
    const { size, cache } = this.check;
    if (size !== undefined && field(line, e.fields, ' bytes_alloc=') !== String(size)) return false;
    if (cache !== undefined && e.event.startsWith('kmem_cache_alloc')) return field(line, e.fields, ' name=') === cache;
    return true;
  }
}

/** iommu:map and iommu:unmap lines pass as trace_pipe prints them; everything else is dropped. */
export class IommuPassThrough {
  readonly counts = emptyCounts();

  convert(line: string): string {
    const e = countedEventLine(line, this.counts);
    if (!e) return lostMark(line, this.counts);
    if (e.event === 'map') this.counts.allocations++;
    else if (e.event === 'unmap') this.counts.frees++;
    else return '';
    return `${line}\n`;
  }
}
