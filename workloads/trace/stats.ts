import type { TraceFormat } from './detect.ts';
import { finish, replay } from './pass.ts';
import { Tracker } from './tracker.ts';

export interface TraceStatsOptions {
  /** Table size in bytes (ftrace: bytes_alloc), 1024 by default. */
  readonly size?: number;
  /** Keep only this slab cache's allocations (ftrace). */
  readonly cache?: string;
  /** Keep only allocations from this call_site function (ftrace). */
  readonly site?: string;
}

/** Lifetimes in events, from a table's allocation to its free; null when no table was freed. */
export interface Lifetime {
  readonly count: number;
  readonly min: number | null;
  readonly median: number | null;
  readonly p90: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

export interface TraceStats {
  readonly format: TraceFormat;
  /** Lines in the file, comments and unrelated events included. */
  readonly lines: number;
  /** Table events the workload replays: allocations, frees, and the frees implied by realloc_without_free. */
  readonly events: number;
  readonly allocations: number;
  /** Free events that freed a table. */
  readonly frees: number;
  /** Free events that freed no table: null pointers, and pointers not live (other sizes, filtered, before the capture). */
  readonly skipped_frees: number;
  /** Allocations of a live pointer: the trace missed its free, so the old table is freed then. */
  readonly realloc_without_free: number;
  readonly peak_live: number;
  readonly live_at_end: number;
  readonly lifetime: Lifetime;
}

/** Counts and table lifetimes of a trace, read in one streaming pass (for `l2bench trace stats FILE`). */
export function traceStats(file: string, options: TraceStatsOptions = {}): TraceStats {
  const lifetimes = new Values();
  const tracker = new Tracker((events) => lifetimes.push(events));
  const filter = { size: options.size ?? 1024, cache: options.cache ?? '', site: options.site ?? '' };
  const { format, lines } = finish(replay(file, { ...filter, cpus: 1 }, tracker));
  return {
    format,
    lines,
    events: tracker.events,
    allocations: tracker.allocations,
    frees: tracker.frees,
    skipped_frees: tracker.skippedFrees,
    realloc_without_free: tracker.reallocWithoutFree,
    peak_live: tracker.peakLive,
    live_at_end: tracker.live,
    lifetime: summarize(lifetimes.sorted()),
  };
}

/** Exact quantiles need every value: one float per freed table. */
class Values {
  #a = new Float64Array(1024);
  #n = 0;

  push(v: number): void {
    if (this.#n === this.#a.length) {
      const grown = new Float64Array(this.#a.length * 2);
      grown.set(this.#a);
      this.#a = grown;
    }
    this.#a[this.#n++] = v;
  }

  sorted(): Float64Array {
    return this.#a.subarray(0, this.#n).sort();
  }
}

/** Median and p90 by nearest rank, so each is a lifetime that occurred. */
export function summarize(sorted: Float64Array): Lifetime {
  const n = sorted.length;
  if (n === 0) return { count: 0, min: null, median: null, p90: null, max: null, mean: null };
  const rank = (p: number) => sorted[Math.max(1, Math.ceil(p * n)) - 1] as number;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    min: sorted[0] as number,
    median: rank(0.5),
    p90: rank(0.9),
    max: sorted[n - 1] as number,
    mean: sum / n,
  };
}
