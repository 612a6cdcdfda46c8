import { build, type Histogram } from 'hdr-histogram-js';
import type { TraceFormat } from './detect.ts';
import { HeadKeeper } from './header.ts';
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

/**
 * Lifetimes in events, from a table's allocation to its free; null when no table was freed. count,
 * min, max and mean are exact; median and p90 come from an HDR histogram (3 significant digits):
 * exact below 2048 events, above it at most 0.1% over the exact nearest-rank value (QUANTILE_ERROR).
 */
export interface Lifetime {
  readonly count: number;
  readonly min: number | null;
  readonly median: number | null;
  readonly p90: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

/** How far median and p90 may be from the exact nearest-rank values, as `trace stats` states it. */
export const QUANTILE_ERROR =
  'median and p90 exact below 2048 events, otherwise at most 0.1% above the exact value (HDR histogram, 3 significant digits)';

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
  /** Highest trace CPU of the alloc and free events (a replay on fewer CPUs folds CPU c onto c % cpus); null if none. */
  readonly max_cpu: number | null;
  /** Events the kernel lost while `l2bench record` wrote the trace (its header); null when the trace does not say. */
  readonly lost_events: number | null;
  readonly lifetime: Lifetime;
}

/** Counts and table lifetimes of a trace, read in one streaming pass (for `l2bench trace stats FILE`). */
export function traceStats(file: string, options: TraceStatsOptions = {}): TraceStats {
  const lifetimes = new Lifetimes();
  const tracker = new Tracker((events) => lifetimes.push(events));
  const filter = { size: options.size ?? 1024, cache: options.cache ?? '', site: options.site ?? '' };
  // One pass, the header kept as it goes: a FIFO (or any stream) is read once.
  const head = new HeadKeeper();
  const { format, lines } = finish(replay(file, { ...filter, cpus: 1 }, tracker, { onText: head.onText }));
  const header = head.header();
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
    max_cpu: tracker.maxCpu < 0 ? null : tracker.maxCpu,
    lost_events: header.lostEvents ?? null,
    lifetime: lifetimes.summary(),
  };
}

/**
 * Lifetimes in bounded memory: count, sum, min and max exactly, quantiles from an HDR histogram
 * (about 150 KiB whatever the trace's length), where exact quantiles would keep one number per
 * freed table (661 MiB at 10^8 events).
 */
export class Lifetimes {
  readonly #h: Histogram = build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
  #n = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  push(v: number): void {
    this.#h.recordValue(v);
    this.#n++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /** HDR's getValueAtPercentile takes the value at rank ceil(p·n), as nearest rank does, within its bucket. */
  summary(): Lifetime {
    const n = this.#n;
    if (n === 0) return { count: 0, min: null, median: null, p90: null, max: null, mean: null };
    // The bucket's highest value may pass the largest lifetime seen: max is exact, so cap at it.
    const at = (p: number) => Math.min(this.#h.getValueAtPercentile(p), this.#max);
    return { count: n, min: this.#min, median: at(50), p90: at(90), max: this.#max, mean: this.#sum / n };
  }
}

/** Median and p90 by nearest rank, so each is a lifetime that occurred: the exact reference in tests. */
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
