import { DMA32_LIMIT, MAX_ORDER, PAGE_SIZE } from '../strategies/machine/constants.ts';
import type { PageCounters } from '../strategies/machine/machine.ts';
import type { TableAllocator } from '../strategies/types.ts';
import { ALLOC, type EventChunk } from '../workloads/events.ts';

/**
 * Replays events into a strategy and meters it at the page-allocator boundary: footprint is read
 * from the page counters after every event, never asked of the strategy. Table addresses live in a
 * Float64Array indexed by table id (−1: not live), so memory follows the live ids.
 */
export class Meter {
  events = 0;
  allocs = 0;
  frees = 0;
  allocFailures = 0;
  /** Frees of ids with no live table (their allocation failed). */
  skippedFrees = 0;
  live = 0;
  peakLive = 0;
  peakFootprintPages: number;
  #footprintPageSum = 0;
  dma32Violations = 0;
  #addr = new Float64Array(1024).fill(-1);

  constructor(
    readonly tables: TableAllocator,
    readonly pages: PageCounters,
  ) {
    // Pages taken at creation (genalloc's pool) count from the start.
    this.peakFootprintPages = pages.held;
  }

  replay(chunk: EventChunk): void {
    const { kind, id, cpu, length } = chunk;
    const tables = this.tables;
    const pages = this.pages;
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
          if (addr + 1024 > DMA32_LIMIT) this.dma32Violations++;
          if (++this.live > this.peakLive) this.peakLive = this.live;
        }
      } else {
        const addr = t < this.#addr.length ? (this.#addr[t] as number) : -1;
        this.frees++;
        if (addr < 0) {
          this.skippedFrees++;
        } else {
          this.#addr[t] = -1;
          this.live--;
          tables.free(addr, cpu[i] as number);
        }
      }
      const held = pages.held;
      if (held > this.peakFootprintPages) this.peakFootprintPages = held;
      this.#footprintPageSum += held;
    }
    this.events += length;
  }

  get meanFootprintBytes(): number {
    return this.events === 0 ? 0 : (this.#footprintPageSum / this.events) * PAGE_SIZE;
  }

  /** Page-allocator calls by order, plus the strategy's own work counters. */
  work(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let o = 0; o < MAX_ORDER; o++) {
      if (this.pages.allocs[o]) out[`page_allocs_order${o}`] = this.pages.allocs[o] as number;
      if (this.pages.failures[o]) out[`page_alloc_failures_order${o}`] = this.pages.failures[o] as number;
      if (this.pages.frees[o]) out[`page_frees_order${o}`] = this.pages.frees[o] as number;
    }
    for (const [k, v] of Object.entries(this.tables.work)) out[k] = v;
    return out;
  }

  #grow(id: number): void {
    let n = this.#addr.length;
    while (n <= id) n *= 2;
    const next = new Float64Array(n).fill(-1);
    next.set(this.#addr);
    this.#addr = next;
  }
}
