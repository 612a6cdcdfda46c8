import { statSync } from 'node:fs';
import { readRecordHeader } from '../trace/header.ts';
import { ByteLineReader } from '../trace/lines.ts';
import { type Lifetime, Lifetimes } from '../trace/stats.ts';
import { type IommuEvent, parseIommuLine, stampOf } from './events.ts';
import { type IommuTraceCounts, v7sReplay } from './trace.ts';

const PAGE = 0x1000;
const SLOT = 0x100000;
const PAGES_PER_SLOT = SLOT / PAGE;

/** Map sizes, by the smallest power of two at or above them: 4 KiB, 8 KiB, … 1 MiB, and above. */
export const SIZE_BUCKETS = [4, 8, 16, 32, 64, 128, 256, 512, 1024].map((k) => k * 1024);

export interface IommuTraceStats {
  readonly lines: number;
  readonly maps: number;
  readonly unmaps: number;
  /** Bytes mapped, summed over the maps. */
  readonly mapped_bytes: number;
  /** Maps per size bucket (SIZE_BUCKETS, then one for larger maps). */
  readonly map_sizes: number[];
  readonly largest_map: number;
  /** Distinct 1 MiB IOVA slots any map touched, and the most holding a live mapping at once. */
  readonly slots: number;
  readonly peak_live_slots: number;
  /** Mappings (4 KiB pages) live at once, at most, and at the end. */
  readonly peak_live_pages: number;
  readonly live_pages_at_end: number;
  /** Maps never unmapped in the trace. */
  readonly maps_live_at_end: number;
  /** Unmaps of nothing mapped in the trace (mapped before it began, or on another device). */
  readonly unmaps_not_mapped: number;
  /** Unmaps that found only part of their range mapped. */
  readonly unmaps_partial: number;
  /** Maps of pages already mapped (a missed unmap, or another device's map). */
  readonly maps_over_live: number;
  /** Unmaps that closed more than one map (a scatterlist), and the most one closed. */
  readonly unmaps_closing_several: number;
  readonly most_maps_closed: number;
  /** Lifetimes of the maps an unmap closed: in events of the trace, and in microseconds of trace time. */
  readonly lifetime_events: Lifetime;
  readonly lifetime_us: Lifetime;
  readonly max_cpu: number | null;
  /** Events lost while recording (the trace's `# lost_events:`), null when it does not say. */
  readonly lost_events: number | null;
  /** `# source:` of a captured trace: where it came from. */
  readonly source: string | null;
  /** The trace through l2bench's io-pgtable-arm-v7s model (one CPU): L2 tables allocated, freed, at peak; null without maps. */
  readonly v7s: IommuTraceCounts | null;
}

/** A live map: where its pages start, how many, and when it was made. */
interface LiveMap {
  readonly pages: number;
  readonly index: number;
  readonly stamp: number;
}

/** Which of SIZE_BUCKETS a map of `size` bytes falls in (the last bucket: larger than all). */
function sizeBucket(size: number): number {
  const b = SIZE_BUCKETS.findIndex((s) => size <= s);
  return b < 0 ? SIZE_BUCKETS.length : b;
}

/** The figures of IommuTraceStats one pass counts (the rest come from the reader and the header). */
type PassCounts = Omit<IommuTraceStats, 'lines' | 'lost_events' | 'source' | 'v7s'>;

/**
 * One pass's running state: the live pages and maps (by 1 MiB slot too) and every counter, fed one
 * event at a time. Memory grows with the live mappings, not with the trace.
 */
class IommuTally {
  readonly #slotsSeen = new Set<number>();
  /** Live pages per 1 MiB slot. */
  readonly #liveInSlot = new Map<number, number>();
  /** Live maps by their first page; pageOwner: each live page → the first page of its map. */
  readonly #liveMaps = new Map<number, LiveMap>();
  readonly #pageOwner = new Map<number, number>();
  readonly #sizes = new Array<number>(SIZE_BUCKETS.length + 1).fill(0);
  readonly #lifeEvents = new Lifetimes();
  readonly #lifeUs = new Lifetimes();
  #maps = 0;
  #unmaps = 0;
  #mapped = 0;
  #largest = 0;
  #peakSlots = 0;
  #peakPages = 0;
  #notMapped = 0;
  #partial = 0;
  #overLive = 0;
  #several = 0;
  #mostClosed = 0;
  #maxCpu = -1;
  /** Events seen so far: the index of the current one, from 1. */
  #index = 0;

  /** Counts one event of a line, and the peaks after it. */
  event(e: IommuEvent, line: string): void {
    this.#index++;
    if (e.cpu > this.#maxCpu) this.#maxCpu = e.cpu;
    const iova = e.iova.low + (e.iova.high ? 2 ** 32 : 0);
    const first = Math.floor(iova / PAGE);
    const pages = Math.ceil(((iova % PAGE) + e.size) / PAGE);
    const stamp = stampOf(line, e.at);
    if (e.kind === 'map') this.#map(first, pages, e.size, stamp);
    else this.#unmap(first, pages, stamp);
    if (this.#pageOwner.size > this.#peakPages) this.#peakPages = this.#pageOwner.size;
    if (this.#liveInSlot.size > this.#peakSlots) this.#peakSlots = this.#liveInSlot.size;
  }

  #map(first: number, pages: number, size: number, stamp: number): void {
    this.#maps++;
    this.#mapped += size;
    if (size > this.#largest) this.#largest = size;
    const at = sizeBucket(size);
    this.#sizes[at] = (this.#sizes[at] as number) + 1;
    let fresh = 0;
    for (let p = first; p < first + pages; p++) if (this.#addPage(p, first)) fresh++;
    if (fresh < pages) this.#overLive++;
    if (fresh > 0 && !this.#liveMaps.has(first)) this.#liveMaps.set(first, { pages, index: this.#index, stamp });
  }

  #unmap(first: number, pages: number, stamp: number): void {
    this.#unmaps++;
    let found = 0;
    const closed = new Set<number>();
    for (let p = first; p < first + pages; p++) {
      const owner = this.#pageOwner.get(p);
      if (owner === undefined) continue;
      found++;
      closed.add(owner);
      this.#dropPage(p);
    }
    if (found === 0 && pages > 0) this.#notMapped++;
    else if (found < pages) this.#partial++;
    const n = this.#closeMaps(closed, stamp);
    if (n > 1) this.#several++;
    if (n > this.#mostClosed) this.#mostClosed = n;
  }

  /** Closes the maps among `owners` whose pages are all gone, records their lifetimes; how many it closed. */
  #closeMaps(owners: Set<number>, stamp: number): number {
    let n = 0;
    for (const owner of owners) {
      const m = this.#liveMaps.get(owner);
      if (!m || this.#stillMapped(owner, m)) continue;
      this.#liveMaps.delete(owner);
      n++;
      this.#lifeEvents.push(this.#index - m.index);
      if (Number.isFinite(stamp) && Number.isFinite(m.stamp))
        this.#lifeUs.push(Math.max(0, Math.round((stamp - m.stamp) * 1e6)));
    }
    return n;
  }

  /** Whether a map still owns one of its pages: one still partly mapped stays open. */
  #stillMapped(owner: number, m: LiveMap): boolean {
    let left = false;
    for (let p = owner; p < owner + m.pages && !left; p++) left = this.#pageOwner.get(p) === owner;
    return left;
  }

  #addPage(page: number, owner: number): boolean {
    if (this.#pageOwner.has(page)) return false;
    this.#pageOwner.set(page, owner);
    const slot = Math.floor(page / PAGES_PER_SLOT);
    this.#slotsSeen.add(slot);
    this.#liveInSlot.set(slot, (this.#liveInSlot.get(slot) ?? 0) + 1);
    return true;
  }

  #dropPage(page: number): void {
    this.#pageOwner.delete(page);
    const slot = Math.floor(page / PAGES_PER_SLOT);
    const n = (this.#liveInSlot.get(slot) ?? 0) - 1;
    if (n > 0) this.#liveInSlot.set(slot, n);
    else this.#liveInSlot.delete(slot);
  }

  /** Whether any event was a map (the v7s model has nothing to replay otherwise). */
  get mapped(): boolean {
    return this.#maps > 0;
  }

  counts(): PassCounts {
    return {
      maps: this.#maps,
      unmaps: this.#unmaps,
      mapped_bytes: this.#mapped,
      map_sizes: this.#sizes,
      largest_map: this.#largest,
      slots: this.#slotsSeen.size,
      peak_live_slots: this.#peakSlots,
      peak_live_pages: this.#peakPages,
      live_pages_at_end: this.#pageOwner.size,
      maps_live_at_end: this.#liveMaps.size,
      unmaps_not_mapped: this.#notMapped,
      unmaps_partial: this.#partial,
      maps_over_live: this.#overLive,
      unmaps_closing_several: this.#several,
      most_maps_closed: this.#mostClosed,
      lifetime_events: this.#lifeEvents.summary(),
      lifetime_us: this.#lifeUs.summary(),
      max_cpu: this.#maxCpu < 0 ? null : this.#maxCpu,
    };
  }
}

/**
 * What an IOMMU trace holds, in one streaming pass: counts, sizes, 1 MiB slots (distinct and live at
 * once), what is left unmatched, and how long mappings live. Memory grows with the live mappings,
 * not with the trace. All figures are exact counts of the trace except the lifetime quantiles
 * (QUANTILE_ERROR) and `v7s`, which is modelled.
 */
export function iommuTraceStats(file: string): IommuTraceStats {
  const tally = new IommuTally();
  const reader = new ByteLineReader(file);
  try {
    for (let line = reader.nextText(); line !== undefined; line = reader.nextText()) {
      const e = parseIommuLine(file, reader.line, line);
      if (e !== undefined) tally.event(e, line);
    }
  } finally {
    reader.close();
  }
  const header = readRecordHeader(file);
  const counts = tally.counts();
  return {
    lines: reader.line,
    ...counts,
    lost_events: header.lostEvents ?? null,
    source: header.source ?? null,
    v7s: tally.mapped ? v7sReplay(file) : null,
  };
}

/** Bytes looked at to tell an IOMMU trace from a kmem one: the header and the first events. */
const SNIFF = 64 << 10;

/** Whether a trace holds iommu:map or iommu:unmap events among its first lines (plain or gzip). */
export function isIommuTrace(file: string): boolean {
  // A FIFO is read once, by the pass itself: sniffing it would eat its head (it is taken as a kmem trace).
  try {
    if (!statSync(file).isFile()) return false;
  } catch {
    return false; // the pass names what is wrong with the file
  }
  const reader = new ByteLineReader(file, undefined, SNIFF);
  try {
    let seen = 0;
    for (let line = reader.nextText(); line !== undefined && seen < SNIFF; line = reader.nextText()) {
      seen += line.length + 1;
      if (/: (map|unmap): IOMMU: /.test(line)) return true;
    }
    return false;
  } finally {
    reader.close();
  }
}
