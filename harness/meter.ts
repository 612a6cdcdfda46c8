import type { ExactValues } from '../results/record.ts';
import { DMA32_LIMIT, MAX_ORDER, PAGE_SIZE, TABLE_SIZE } from '../strategies/machine/constants.ts';
import type { PageAccount } from '../strategies/machine/machine.ts';
import type { TableAllocator } from '../strategies/types.ts';
import { ALLOC, type EventChunk } from '../workloads/events.ts';
import { Series } from './series.ts';

/**
 * Replays events into a strategy and meters it at the page-allocator boundary: footprint is the
 * pages the account holds after every event, never the strategy's word. Table addresses live in a
 * Float64Array indexed by table id (−1: not live), so memory follows the live ids. Reuse is seen
 * from the addresses: a 1 KiB unit that held a freed table is marked until it is handed out again
 * or its page goes back to the page allocator.
 */
export class Meter {
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
  #addr = new Float64Array(1024).fill(-1);
  /** One bit per 1 KiB of DRAM: held a freed table, not handed out since. */
  readonly #freed: Uint32Array;
  readonly #dramBase: number;

  constructor(
    readonly tables: TableAllocator,
    account: PageAccount,
  ) {
    this.#account = account;
    const machine = account.machine.options;
    this.#dramBase = machine.dramBase;
    this.#freed = new Uint32Array(Math.ceil(machine.dramBytes / TABLE_SIZE / 32));
    // Pages taken at creation (genalloc's pool) count from the start.
    this.peakFootprintPages = account.counters.held;
    account.onFree = (addr, order) => this.#forget(addr, order);
  }

  get pages() {
    return this.#account.counters;
  }

  replay(chunk: EventChunk): void {
    const { kind, id, cpu, length } = chunk;
    const tables = this.tables;
    const counters = this.#account.counters;
    for (let i = 0; i < length; i++) {
      const t = id[i] as number;
      if (kind[i] === ALLOC) {
        if (t >= this.#addr.length) this.#grow(t);
        if ((this.#addr[t] as number) >= 0) throw new RangeError(`table id ${t} allocated twice without a free`);
        this.allocs++;
        const addr = tables.alloc(cpu[i] as number);
        if (addr < 0) {
          this.allocFailures++;
        } else {
          this.#addr[t] = addr;
          if (addr + TABLE_SIZE > DMA32_LIMIT) this.dma32Violations++;
          if (this.#takeMark(addr)) this.reusedAllocs++;
          this.live++;
        }
      } else {
        const addr = t < this.#addr.length ? (this.#addr[t] as number) : -1;
        this.frees++;
        if (addr < 0) {
          this.skippedFrees++;
        } else {
          this.#addr[t] = -1;
          this.live--;
          this.#mark(addr);
          tables.free(addr, cpu[i] as number);
        }
      }
      this.events++;
      this.#observe(counters.held);
    }
  }

  /** After every event: footprint, fragmentation, stranded bytes and the series. */
  #observe(held: number): void {
    const footprint = held * PAGE_SIZE;
    const liveBytes = this.live * TABLE_SIZE;
    const frag = liveBytes > 0 ? (footprint - liveBytes) / liveBytes : 0;
    if (liveBytes > 0) {
      this.#fragSum += frag;
      this.#fragEvents++;
    }
    if (this.live > this.peakLive) {
      this.peakLive = this.live;
      this.fragAtPeakLive = frag;
    }
    // The first event at which the footprint is at its highest so far (pages taken at creation
    // are first seen at event 1).
    if (held > this.#peakSeenPages) {
      this.#peakSeenPages = held;
      this.fragAtPeakFootprint = frag;
      if (held > this.peakFootprintPages) this.peakFootprintPages = held;
    }
    const stranded = this.tables.strandedBytes();
    if (stranded > this.peakStrandedBytes) this.peakStrandedBytes = stranded;
    this.#footprintPageSum += held;
    this.series.add(this.events, footprint, this.live);
  }

  get meanFootprintBytes(): number {
    return this.events === 0 ? 0 : (this.#footprintPageSum / this.events) * PAGE_SIZE;
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
   * Every exact metric of the registry (results/metrics.ts), after the last event: the figures a
   * record holds. A new exact metric does not compile until it is computed here.
   */
  exactValues(): ExactValues {
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
      frag_mean: this.fragMean,
      frag_at_peak_live: this.fragAtPeakLive,
      frag_at_peak_footprint: this.fragAtPeakFootprint,
      frag_peak_over_peak: this.fragPeakOverPeak,
      reuse_rate: this.reuseRate,
      peak_stranded_bytes: this.peakStrandedBytes,
      pages_returned: pages.pagesReturned,
      dma32_violations: this.dma32Violations,
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

  /** The 1 KiB unit of DRAM an address is in: below 2^31 for any machine, so an integer. */
  #unit(addr: number): number {
    return ((addr - this.#dramBase) / TABLE_SIZE) | 0;
  }

  #mark(addr: number): void {
    const u = this.#unit(addr);
    this.#freed[u >>> 5] = (this.#freed[u >>> 5] as number) | (1 << (u & 31));
  }

  #takeMark(addr: number): boolean {
    const u = this.#unit(addr);
    const w = u >>> 5;
    const bit = 1 << (u & 31);
    const word = this.#freed[w] as number;
    if ((word & bit) === 0) return false;
    this.#freed[w] = word & ~bit;
    return true;
  }

  /** A block went back to the page allocator: what comes from it later is fresh memory. */
  #forget(addr: number, order: number): void {
    let u = this.#unit(addr);
    const end = u + (PAGE_SIZE << order) / TABLE_SIZE;
    // Clear the bits a word at a time: partial words at the ends, whole words between.
    while (u < end) {
      const w = u >>> 5;
      const from = u & 31;
      const n = Math.min(32 - from, end - u);
      this.#freed[w] = n === 32 ? 0 : (this.#freed[w] as number) & ~(((1 << n) - 1) << from);
      u += n;
    }
  }

  #grow(id: number): void {
    let n = this.#addr.length;
    while (n <= id) n *= 2;
    const next = new Float64Array(n).fill(-1);
    next.set(this.#addr);
    this.#addr = next;
  }
}

function sum(values: Iterable<number>): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}
