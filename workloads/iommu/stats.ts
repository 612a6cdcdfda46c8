import { statSync } from 'node:fs';
import { readRecordHeader } from '../trace/header.ts';
import { ByteLineReader } from '../trace/lines.ts';
import { type Lifetime, Lifetimes } from '../trace/stats.ts';
import { parseIommuLine, stampOf } from './events.ts';
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

/**
 * What an IOMMU trace holds, in one streaming pass: counts, sizes, 1 MiB slots (distinct and live at
 * once), what is left unmatched, and how long mappings live. Memory grows with the live mappings,
 * not with the trace. All figures are exact counts of the trace except the lifetime quantiles
 * (QUANTILE_ERROR) and `v7s`, which is modelled.
 */
export function iommuTraceStats(file: string): IommuTraceStats {
  const slotsSeen = new Set<number>();
  /** Live pages per 1 MiB slot. */
  const liveInSlot = new Map<number, number>();
  /** Live maps by their first page; pageOwner: each live page → the first page of its map. */
  const liveMaps = new Map<number, LiveMap>();
  const pageOwner = new Map<number, number>();
  const sizes = new Array<number>(SIZE_BUCKETS.length + 1).fill(0);
  const lifeEvents = new Lifetimes();
  const lifeUs = new Lifetimes();
  let maps = 0;
  let unmaps = 0;
  let mapped = 0;
  let largest = 0;
  let peakSlots = 0;
  let peakPages = 0;
  let notMapped = 0;
  let partial = 0;
  let overLive = 0;
  let several = 0;
  let mostClosed = 0;
  let maxCpu = -1;
  let index = 0;
  const addPage = (page: number, owner: number) => {
    if (pageOwner.has(page)) return false;
    pageOwner.set(page, owner);
    const slot = Math.floor(page / PAGES_PER_SLOT);
    slotsSeen.add(slot);
    liveInSlot.set(slot, (liveInSlot.get(slot) ?? 0) + 1);
    return true;
  };
  const dropPage = (page: number) => {
    pageOwner.delete(page);
    const slot = Math.floor(page / PAGES_PER_SLOT);
    const n = (liveInSlot.get(slot) ?? 0) - 1;
    if (n > 0) liveInSlot.set(slot, n);
    else liveInSlot.delete(slot);
  };
  const reader = new ByteLineReader(file);
  try {
    for (let line = reader.nextText(); line !== undefined; line = reader.nextText()) {
      const e = parseIommuLine(file, reader.line, line);
      if (e === undefined) continue;
      index++;
      if (e.cpu > maxCpu) maxCpu = e.cpu;
      const iova = e.iova.low + (e.iova.high ? 2 ** 32 : 0);
      const first = Math.floor(iova / PAGE);
      const pages = Math.ceil(((iova % PAGE) + e.size) / PAGE);
      const stamp = stampOf(line, e.at);
      if (e.kind === 'map') {
        maps++;
        mapped += e.size;
        if (e.size > largest) largest = e.size;
        const b = SIZE_BUCKETS.findIndex((s) => e.size <= s);
        const at = b < 0 ? SIZE_BUCKETS.length : b;
        sizes[at] = (sizes[at] as number) + 1;
        let fresh = 0;
        for (let p = first; p < first + pages; p++) if (addPage(p, first)) fresh++;
        if (fresh < pages) overLive++;
        if (fresh > 0 && !liveMaps.has(first)) liveMaps.set(first, { pages, index, stamp });
      } else {
        unmaps++;
        let found = 0;
        const closed = new Set<number>();
        for (let p = first; p < first + pages; p++) {
          const owner = pageOwner.get(p);
          if (owner === undefined) continue;
          found++;
          closed.add(owner);
          dropPage(p);
        }
        if (found === 0 && pages > 0) notMapped++;
        else if (found < pages) partial++;
        let n = 0;
        for (const owner of closed) {
          const m = liveMaps.get(owner);
          if (!m) continue;
          // A map whose pages are all gone is closed; one still partly mapped stays.
          let left = false;
          for (let p = owner; p < owner + m.pages && !left; p++) left = pageOwner.get(p) === owner;
          if (left) continue;
          liveMaps.delete(owner);
          n++;
          lifeEvents.push(index - m.index);
          if (Number.isFinite(stamp) && Number.isFinite(m.stamp))
            lifeUs.push(Math.max(0, Math.round((stamp - m.stamp) * 1e6)));
        }
        if (n > 1) several++;
        if (n > mostClosed) mostClosed = n;
      }
      if (pageOwner.size > peakPages) peakPages = pageOwner.size;
      if (liveInSlot.size > peakSlots) peakSlots = liveInSlot.size;
    }
  } finally {
    reader.close();
  }
  const header = readRecordHeader(file);
  return {
    lines: reader.line,
    maps,
    unmaps,
    mapped_bytes: mapped,
    map_sizes: sizes,
    largest_map: largest,
    slots: slotsSeen.size,
    peak_live_slots: peakSlots,
    peak_live_pages: peakPages,
    live_pages_at_end: pageOwner.size,
    maps_live_at_end: liveMaps.size,
    unmaps_not_mapped: notMapped,
    unmaps_partial: partial,
    maps_over_live: overLive,
    unmaps_closing_several: several,
    most_maps_closed: mostClosed,
    lifetime_events: lifeEvents.summary(),
    lifetime_us: lifeUs.summary(),
    max_cpu: maxCpu < 0 ? null : maxCpu,
    lost_events: header.lostEvents ?? null,
    source: header.source ?? null,
    v7s: maps > 0 ? v7sReplay(file) : null,
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
