import type { ExactValues } from '../core/record.ts';
import { DMA32_LIMIT as DMA32_BYTES, PAGE_SIZE as PAGE_BYTES, TABLE_SIZE as TABLE_BYTES } from '../core/sizes.ts';
import { MAX_ORDER } from '../strategies/machine/constants.ts';
import type { PageAccount, PageWatcher } from '../strategies/machine/machine.ts';
import type { TableAllocator } from '../strategies/types.ts';
import { ALLOC as ALLOC_KIND, type EventChunk } from '../workloads/events.ts';
import { Series } from './series.ts';

/** The exact metrics the workload says rather than the replay computes (measureCell takes them from it). */
export type WorkloadValues = Pick<ExactValues, 'lost_events'>;
/** The exact metrics a replay computes. */
type MeteredValues = Omit<ExactValues, keyof WorkloadValues>;

/**
 * Module-local copies of imported constants: V8 folds these into the code, where an imported
 * binding is loaded and checked at every use in the replay loop.
 */
const PAGE_SIZE = PAGE_BYTES;
const TABLE_SIZE = TABLE_BYTES;
const DMA32_LIMIT = DMA32_BYTES;
const ALLOC = ALLOC_KIND;

/** 1 / TABLE_SIZE: a multiplication, exact for a power of two, is cheaper than the division. */
const PER_UNIT = 1 / TABLE_SIZE;

/**
 * Replays events into a strategy and meters it at the page-allocator boundary: footprint is the
 * pages the account holds after every event, never the strategy's word. Table addresses live in a
 * Float64Array indexed by table id (−1: not live), so memory follows the live ids. Reuse is seen
 * from the addresses: a 1 KiB unit that held a freed table is marked until it is handed out again
 * or its page goes back to the page allocator.
 */
export class Meter implements PageWatcher {
  events = 0;
  allocs = 0;
  frees = 0;
  allocFailures = 0;
  /** Frees of ids with no live table (their allocation failed). */
  skippedFrees = 0;
  reusedAllocs = 0;
  live = 0;
  peakLive = 0;
  peakFootprintPages: number;
  peakStrandedBytes = 0;
  dma32Violations = 0;
  /** Tables at or above the platform's limit (placementLimit). */
  placementViolations = 0;
  /** Pages plus metadata, in bytes: the most held at once, and the least held since that peak was first reached. */
  totalPeakBytes: number;
  totalLowAfterPeakBytes: number;
  /** Johnstone–Wilson: the sum of (footprint − live) / live over events with live tables, and their count. */
  #fragSum = 0;
  #fragEvents = 0;
  /** (footprint − live) / live when live first reached its peak, and when footprint first reached its peak. */
  fragAtPeakLive = 0;
  fragAtPeakFootprint = 0;
  readonly series = new Series();
  #peakSeenPages = -1;
  readonly #account: PageAccount;
  #footprintPageSum = 0;
  /** The sum over events of the metadata bytes reported after each. */
  #metadataSum = 0;
  readonly #placementLimit: number;
  #addr: Float64Array = new Float64Array(1024).fill(-1);
  /** Events of the current block the strategy finished. */
  #applied = 0;
  /** One bit per 1 KiB of DRAM: held a freed table, not handed out since. */
  readonly #freed: Uint32Array;
  readonly #dramBase: number;

  /**
   * `placementLimit`: the bytes of physical address below which the platform's tables must lie (core/
   * platforms.ts; 4 GiB unless given).
   */
  constructor(
    readonly tables: TableAllocator,
    account: PageAccount,
    placementLimit = DMA32_LIMIT,
  ) {
    this.#account = account;
    this.#placementLimit = placementLimit;
    const machine = account.machine.options;
    this.#dramBase = machine.dramBase;
    this.#freed = new Uint32Array(Math.ceil(machine.dramBytes / TABLE_SIZE / 32));
    // Pages taken at creation (genalloc's pool) count from the start.
    this.peakFootprintPages = account.counters.held;
    this.totalPeakBytes = account.counters.held * PAGE_SIZE + tables.metadataBytes();
    this.totalLowAfterPeakBytes = this.totalPeakBytes;
    account.watcher = this;
  }

  get pages() {
    return this.#account.counters;
  }

  /**
   * Every event into the strategy, then the footprint seen after it, a block of events at a time:
   * one pass hands the block to the strategy, counting, and samples what is held after each event;
   * then one pass over the samples for each measure. Each pass keeps its state in locals (registers,
   * not object fields, in a tight loop) and writes it back at its end. When the strategy throws, the
   * events it finished are observed before the error goes on: the meter stays as far as it got.
   */
  replay(chunk: EventChunk): void {
    for (let from = 0; from < chunk.length; ) {
      const to = Math.min(from + (this.events < WARM_EVENTS ? WARM_BLOCK : BLOCK), chunk.length);
      this.#applied = 0;
      try {
        this.#apply(chunk, from, to);
      } finally {
        this.#observe(this.#applied);
      }
      from = to;
    }
  }

  /** Events [from, to) into the strategy, counted; after each, the live tables and what the page allocator and strategy hold. */
  #apply(chunk: EventChunk, from: number, to: number): void {
    const { kind, id, cpu } = chunk;
    const tables = this.tables;
    const counters = this.#account.counters;
    const freed = this.#freed;
    const dramBase = this.#dramBase;
    const limit = this.#placementLimit;
    const { held, live: lives, stranded, metadata } = SAMPLES;
    let addrOf = this.#addr;
    let live = this.live;
    let allocs = 0;
    let failures = 0;
    let dma32 = 0;
    let misplaced = 0;
    let reused = 0;
    let frees = 0;
    let skipped = 0;
    let i = from;
    try {
      for (; i < to; i++) {
        const t = id[i] as number;
        if (kind[i] === ALLOC) {
          if (t >= addrOf.length) addrOf = this.#grow(t);
          if ((addrOf[t] as number) >= 0) throw new RangeError(`table id ${t} allocated twice without a free`);
          allocs++;
          const addr = tables.alloc(cpu[i] as number);
          if (addr < 0) failures++;
          else {
            addrOf[t] = addr;
            if (addr + TABLE_SIZE > DMA32_LIMIT) dma32++;
            if (addr + TABLE_SIZE > limit) misplaced++;
            reused += takeFreedMark(freed, unitOf(addr, dramBase));
            live++;
          }
        } else {
          const addr = t < addrOf.length ? (addrOf[t] as number) : -1;
          frees++;
          if (addr < 0) skipped++;
          else {
            addrOf[t] = -1;
            live--;
            setFreedMark(freed, unitOf(addr, dramBase));
            tables.free(addr, cpu[i] as number);
          }
        }
        const k = i - from;
        held[k] = counters.held;
        lives[k] = live;
        stranded[k] = tables.strandedBytes();
        metadata[k] = tables.metadataBytes();
      }
    } finally {
      this.#applied = i - from;
      this.live = live;
      this.allocs += allocs;
      this.allocFailures += failures;
      this.dma32Violations += dma32;
      this.placementViolations += misplaced;
      this.reusedAllocs += reused;
      this.frees += frees;
      this.skippedFrees += skipped;
    }
  }

  /** The first n sampled events of a block, observed by each measure. */
  #observe(n: number): void {
    if (n === 0) return;
    this.#observeFragmentation(n);
    this.#observeTotals(n);
    this.#observeSeries(n, this.events);
    this.events += n;
  }

  /** Johnstone–Wilson fragmentation after each event, at the first peak of live tables and of footprint. */
  #observeFragmentation(n: number): void {
    const { held: helds, live: lives } = SAMPLES;
    let fragSum = this.#fragSum;
    let fragEvents = this.#fragEvents;
    let peakLive = this.peakLive;
    let fragAtPeakLive = this.fragAtPeakLive;
    let peakSeen = this.#peakSeenPages;
    let fragAtPeakFootprint = this.fragAtPeakFootprint;
    for (let k = 0; k < n; k++) {
      const held = helds[k] as number;
      const live = lives[k] as number;
      const liveBytes = live * TABLE_SIZE;
      const frag = liveBytes > 0 ? (held * PAGE_SIZE - liveBytes) / liveBytes : 0;
      if (liveBytes > 0) {
        fragSum += frag;
        fragEvents++;
      }
      if (live > peakLive) {
        peakLive = live;
        fragAtPeakLive = frag;
      }
      // The first event at which the footprint is at its highest so far (pages taken at creation
      // are first seen at event 1).
      if (held > peakSeen) {
        peakSeen = held;
        fragAtPeakFootprint = frag;
      }
    }
    this.#fragSum = fragSum;
    this.#fragEvents = fragEvents;
    this.peakLive = peakLive;
    this.fragAtPeakLive = fragAtPeakLive;
    this.#peakSeenPages = peakSeen;
    this.fragAtPeakFootprint = fragAtPeakFootprint;
  }

  /** Peak and sum of the pages held, peak stranded bytes, and pages plus metadata: peak, low after it, sum. */
  #observeTotals(n: number): void {
    const { held: helds, metadata: metadatas, stranded: strandeds } = SAMPLES;
    let peakPages = this.peakFootprintPages;
    let pageSum = this.#footprintPageSum;
    let peakStranded = this.peakStrandedBytes;
    let totalPeak = this.totalPeakBytes;
    let totalLow = this.totalLowAfterPeakBytes;
    let metadataSum = this.#metadataSum;
    for (let k = 0; k < n; k++) {
      const held = helds[k] as number;
      const metadata = metadatas[k] as number;
      const stranded = strandeds[k] as number;
      if (held > peakPages) peakPages = held;
      pageSum += held;
      if (stranded > peakStranded) peakStranded = stranded;
      const total = held * PAGE_SIZE + metadata;
      metadataSum += metadata;
      if (total > totalPeak) {
        totalPeak = total;
        totalLow = total;
      } else if (total < totalLow) totalLow = total;
    }
    this.peakFootprintPages = peakPages;
    this.#footprintPageSum = pageSum;
    this.peakStrandedBytes = peakStranded;
    this.totalPeakBytes = totalPeak;
    this.totalLowAfterPeakBytes = totalLow;
    this.#metadataSum = metadataSum;
  }

  /**
   * The footprint series (Series.add, inlined: the series' open point in locals, its held pages −1
   * while it holds no event): a point is the first event of its stride at which the footprint is
   * the highest of the stride. The events are taken a stride at a time, so that an event costs a
   * compare. `before`: the events replayed before these n.
   */
  #observeSeries(n: number, before: number): void {
    const { held: helds, live: lives } = SAMPLES;
    const series = this.series;
    let pointHeld = series.pending ? series.openFootprint() / PAGE_SIZE : -1;
    let k = 0;
    while (k < n) {
      const end = Math.min(n, k + series.stride - series.inStride);
      let best = -1;
      for (let j = k; j < end; j++) {
        const held = helds[j] as number;
        if (held > pointHeld) {
          pointHeld = held;
          best = j;
        }
      }
      if (best >= 0) series.set(before + best + 1, pointHeld * PAGE_SIZE, lives[best] as number);
      series.inStride += end - k;
      k = end;
      if (series.inStride >= series.stride) {
        series.close();
        pointHeld = -1;
      }
    }
    series.pending = pointHeld >= 0;
  }

  get meanFootprintBytes(): number {
    return this.events === 0 ? 0 : (this.#footprintPageSum / this.events) * PAGE_SIZE;
  }

  /** Pages and metadata held, averaged over events. */
  get totalMeanFootprintBytes(): number {
    return this.events === 0 ? 0 : this.meanFootprintBytes + this.#metadataSum / this.events;
  }

  /** Mean over events (with live tables) of (footprint − live bytes) / live bytes. */
  get fragMean(): number {
    return this.#fragEvents === 0 ? 0 : this.#fragSum / this.#fragEvents;
  }

  /** (peak footprint − peak live bytes) / peak live bytes. */
  get fragPeakOverPeak(): number {
    const peakLive = this.peakLive * TABLE_SIZE;
    return peakLive === 0 ? 0 : (this.peakFootprintPages * PAGE_SIZE - peakLive) / peakLive;
  }

  /** Share of successful allocations that got memory which earlier held a freed table. */
  get reuseRate(): number {
    const served = this.allocs - this.allocFailures;
    return served === 0 ? 0 : this.reusedAllocs / served;
  }

  /**
   * Every exact metric of the registry (results/metrics.ts) a replay computes, after the last event:
   * the figures a record holds but what the workload itself says (WorkloadValues). A new exact metric
   * does not compile until it is computed here or named there.
   */
  exactValues(): MeteredValues {
    const pages = this.#account.counters;
    const events = this.events;
    const perEvent = Object.entries(this.tables.work)
      .map(([k, v]) => `${k}=${events ? +(v / events).toPrecision(6) : 0}`)
      .join(';');
    return {
      events,
      allocs: this.allocs,
      frees: this.frees,
      skipped_frees: this.skippedFrees,
      alloc_failures: this.allocFailures,
      peak_live_tables: this.peakLive,
      peak_footprint_bytes: this.peakFootprintPages * PAGE_SIZE,
      mean_footprint_bytes: this.meanFootprintBytes,
      final_footprint_bytes: pages.held * PAGE_SIZE,
      metadata_bytes: this.tables.metadataBytes(),
      total_peak_footprint_bytes: this.totalPeakBytes,
      total_mean_footprint_bytes: this.totalMeanFootprintBytes,
      total_final_footprint_bytes: pages.held * PAGE_SIZE + this.tables.metadataBytes(),
      returned_after_peak_bytes: this.totalPeakBytes - this.totalLowAfterPeakBytes,
      frag_mean: this.fragMean,
      frag_at_peak_live: this.fragAtPeakLive,
      frag_at_peak_footprint: this.fragAtPeakFootprint,
      frag_peak_over_peak: this.fragPeakOverPeak,
      reuse_rate: this.reuseRate,
      peak_stranded_bytes: this.peakStrandedBytes,
      pages_returned: pages.pagesReturned,
      dma32_violations: this.dma32Violations,
      placement_violations: this.placementViolations,
      page_alloc_calls: sum(pages.allocs),
      page_alloc_failures: sum(pages.failures),
      page_free_calls: sum(pages.frees),
      strategy_work_per_event: perEvent,
    };
  }

  /** Page-allocator calls by order, plus the strategy's own work counters. */
  work(): Record<string, number> {
    const c = this.#account.counters;
    const out: Record<string, number> = {};
    for (let o = 0; o < MAX_ORDER; o++) {
      if (c.allocs[o]) out[`page_allocs_order${o}`] = c.allocs[o] as number;
      if (c.failures[o]) out[`page_alloc_failures_order${o}`] = c.failures[o] as number;
      if (c.frees[o]) out[`page_frees_order${o}`] = c.frees[o] as number;
    }
    for (const [k, v] of Object.entries(this.tables.work)) out[k] = v;
    return out;
  }

  /** @internal A block went back to the page allocator (PageWatcher): what comes from it later is fresh memory. */
  blockFreed(addr: number, order: number): void {
    let u = unitOf(addr, this.#dramBase);
    const end = u + (((PAGE_SIZE << order) * PER_UNIT) | 0);
    // Clear the bits a word at a time: partial words at the ends, whole words between.
    while (u < end) {
      const w = u >>> 5;
      const from = u & 31;
      const n = Math.min(32 - from, end - u);
      this.#freed[w] = n === 32 ? 0 : (this.#freed[w] as number) & ~(((1 << n) - 1) << from);
      u += n;
    }
  }

  #grow(id: number): Float64Array {
    let n = this.#addr.length;
    while (n <= id) n *= 2;
    const next = new Float64Array(n).fill(-1);
    next.set(this.#addr);
    this.#addr = next;
    return next;
  }
}

/** Events per block: the samples below hold one block. */
const BLOCK = 4096;
/**
 * A meter's first WARM_EVENTS events go in blocks of WARM_BLOCK, while V8 compiles the replay's
 * code. Short, so that each pass runs to its end, the write-backs after its loop included, once V8
 * has given it a feedback vector (after about 1 KB of its bytecode has run) and before V8 compiles
 * its loop while it runs (on-stack replacement, after 132 KB or more): compiled while that code had
 * not run since the vector came, a loop left through a deoptimization at the end of every block (up
 * to seven in a row, each with a new compile, on a second trace run). And short while the compiler
 * works, so that a pass returns often and its compiled code is taken at its next call, rather than
 * compiled a second time to be entered while it runs (the observing passes were, each, and the
 * replay loop, on the two cores the replay needs).
 */
const WARM_BLOCK = 256;
const WARM_EVENTS = 32768;
/**
 * What #apply samples after each event of a block, for the observing passes: shared by every meter,
 * since a replay runs to its end before another starts (one thread) and reads only its own block.
 */
const SAMPLES = {
  /** Pages the page allocator holds for the strategy. */
  held: new Float64Array(BLOCK),
  stranded: new Float64Array(BLOCK),
  metadata: new Float64Array(BLOCK),
  live: new Float64Array(BLOCK),
};

/** The 1 KiB unit of DRAM an address is in: below 2^31 for any machine, so an integer. */
function unitOf(addr: number, dramBase: number): number {
  return ((addr - dramBase) * PER_UNIT) | 0;
}

/** Unit u held a freed table: 1, and unmark it (a reuse); else 0. */
function takeFreedMark(freed: Uint32Array, u: number): number {
  const word = freed[u >>> 5] as number;
  const bit = 1 << (u & 31);
  if ((word & bit) === 0) return 0;
  freed[u >>> 5] = word & ~bit;
  return 1;
}

/** Unit u now holds a freed table. */
function setFreedMark(freed: Uint32Array, u: number): void {
  freed[u >>> 5] = (freed[u >>> 5] as number) | (1 << (u & 31));
}

function sum(values: Iterable<number>): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}
