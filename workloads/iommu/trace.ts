import { createHash } from 'node:crypto';
import { type Stats, statSync } from 'node:fs';
import { cachedEvents } from '../event-cache/index.ts';
import { ALLOC, ChunkWriter, type EventChunk, FREE } from '../events.ts';
import { cpuFoldNotices } from '../trace/cpu-fold.ts';
import { fileError } from '../trace/errors.ts';
import { lostNotices, readRecordHeader } from '../trace/header.ts';
import { ByteLineReader } from '../trace/lines.ts';
import { requireRegularTrace, unchangedSince } from '../trace/source.ts';
import { type IommuEvent, parseIommuLine } from './events.ts';
import { SZ_4K, V7sPageTable } from './v7s.ts';

const SZ_4G = 2 ** 32;

/** What a replay of an IOMMU trace saw, beside the table events (the workload's lastPass). */
export interface IommuTraceCounts {
  maps: number;
  unmaps: number;
  /** Maps the v7s page table refused (-EEXIST: overlapping a live mapping, after folding): skipped. */
  map_failures: number;
  table_allocs: number;
  table_frees: number;
  peak_tables: number;
  /** Maps and unmaps whose IOVA had bits above 32, folded modulo 4 GiB into the v7s IOVA space. */
  folded: number;
  /** Maps and unmaps not on 4 KiB boundaries, rounded outward to whole pages (as dma-iommu does). */
  rounded: number;
  /** Maps and unmaps crossing the top of the 4 GiB space once folded: skipped. */
  wrapped: number;
  /** Unmaps of ranges not mapped in the trace (nothing there in the model): skipped. */
  unmaps_not_mapped: number;
  /** Unmaps that found only part of their range mapped: that part is unmapped. */
  unmaps_partial: number;
  /** Unmaps whose unmapped_size was 0 (the kernel unmapped nothing): skipped. */
  unmaps_empty: number;
}

const emptyCounts = (): IommuTraceCounts => ({
  maps: 0,
  unmaps: 0,
  map_failures: 0,
  table_allocs: 0,
  table_frees: 0,
  peak_tables: 0,
  folded: 0,
  rounded: 0,
  wrapped: 0,
  unmaps_not_mapped: 0,
  unmaps_partial: 0,
  unmaps_empty: 0,
});

/**
 * One map or unmap through the v7s page table, counted: whole 4 KiB pages around the range, as
 * dma-iommu aligns before iommu_map (which refuses less); a range crossing the top of the 4 GiB
 * space once folded is skipped.
 */
function applyIommuEvent(pt: V7sPageTable, e: IommuEvent, counts: IommuTraceCounts): void {
  const { iova, size } = e;
  const paddr = e.paddr.low;
  if (e.kind === 'map') counts.maps++;
  else {
    counts.unmaps++;
    if (size === 0) {
      counts.unmaps_empty++;
      return;
    }
  }
  if (size === 0) return;
  if (iova.high) counts.folded++;
  const off = iova.low % SZ_4K;
  const start4k = iova.low - off;
  const bytes = Math.ceil((size + off) / SZ_4K) * SZ_4K;
  if (off !== 0 || bytes !== size || (e.kind === 'map' && paddr % SZ_4K !== 0)) counts.rounded++;
  if (start4k + bytes > SZ_4G) {
    counts.wrapped++;
    return;
  }
  if (e.kind === 'map') {
    if (pt.iommuMap(start4k, paddr - (paddr % SZ_4K), bytes) !== 'ok') counts.map_failures++;
    return;
  }
  const done = pt.iommuUnmap(start4k, bytes);
  if (done === 0) counts.unmaps_not_mapped++;
  else if (done < bytes) counts.unmaps_partial++;
}

/**
 * Replay a trace of the iommu:map and iommu:unmap tracepoints, as tracefs prints them
 * (`IOMMU: iova=0x… - 0x… paddr=0x… size=N`, `IOMMU: iova=0x… - 0x… size=N unmapped_size=N`), through
 * the v7s page table the scenarios use: a map is iommu_map (page sizes by the alignment of iova and
 * paddr), an unmap is iommu_unmap of unmapped_size bytes (what the kernel did unmap), so that L2 tables
 * are allocated and freed as io-pgtable-arm-v7s would. Events go to sink as table (L1 slot) allocs and
 * frees on trace CPU % cpus. Other events and header lines are skipped; a map or unmap line without
 * its fields throws a TraceError naming FILE:LINE.
 */
function* replayIommuTrace(
  file: string,
  cpus: number,
  teardown: boolean,
  counts: IommuTraceCounts,
  hooks: { onBytes?: (b: Uint8Array) => void; onOpen?: (s: Stats) => void; onMaxCpu?: (cpu: number) => void } = {},
): Generator<EventChunk> {
  const w = new ChunkWriter();
  let cpu = 0;
  let tables = 0;
  let maxCpu = -1;
  const pt = new V7sPageTable({
    allocTable(slot) {
      w.push(ALLOC, slot, cpu);
      counts.table_allocs++;
      if (++tables > counts.peak_tables) counts.peak_tables = tables;
    },
    freeTable(slot) {
      w.push(FREE, slot, cpu);
      counts.table_frees++;
      tables--;
    },
  });
  const reader = new ByteLineReader(file, hooks.onBytes);
  try {
    hooks.onOpen?.(reader.stats);
    for (let line = reader.nextText(); line !== undefined; line = reader.nextText()) {
      const e = parseIommuLine(file, reader.line, line);
      if (e === undefined) continue;
      if (e.cpu > maxCpu) maxCpu = e.cpu;
      cpu = e.cpu % cpus;
      applyIommuEvent(pt, e, counts);
      if (w.pending >= 4096) yield w.take();
    }
    if (counts.maps === 0) throw fileError(file, 'no iommu:map event (an IOMMU trace has `map: IOMMU: iova=…` lines)');
    cpu = 0; // arm_v7s_free_pgtable, on CPU 0 as the scenarios do
    if (teardown) pt.teardown();
    if (w.pending > 0) yield w.take();
    hooks.onMaxCpu?.(maxCpu);
  } catch (e) {
    throw reader.blame(e);
  } finally {
    reader.close();
  }
}

/** What the v7s page table does with a trace (one CPU, no teardown): table allocations, frees and peak, and what was skipped. */
export function v7sReplay(file: string): IommuTraceCounts {
  const counts = emptyCounts();
  for (const _ of replayIommuTrace(file, 1, false, counts));
  return counts;
}

/** Bump when the IOMMU trace parser's or the v7s model's table events change for the same file: cached conversions are then made again. */
const IOMMU_TRACE_PARSER = 1;

/** Converted with CPUs up to this unfolded (trace CPU c is kept as c): the cache folds them per run. */
const UNFOLDED_CPUS = 0x10000;

/**
 * The iommu workload's trace= mode: checked and hashed once at creation, its table events kept in
 * the event cache (workloads/event-cache/) and replayed from there on every chunks() pass, and by
 * every later workload on the same file; without the cache, the file is replayed on every pass.
 */
export function iommuTraceWorkload(file: string, cpus: number, teardown: boolean) {
  requireRegularTrace(file);
  // A captured trace says where it came from (`# source:`, l2bench capture): carried into the results;
  // a recorded or captured one what the kernel lost (`# lost_events:`): carried into each cell.
  const { source, lostEvents = 0 } = readRecordHeader(file);
  const origin: Record<string, string> = source ? { source } : {};
  const cached = cachedEvents(
    file,
    { events: 'iommu trace', parser: IOMMU_TRACE_PARSER, teardown },
    function* convert(onBytes, onOpen) {
      const counts = emptyCounts();
      let maxCpu = -1;
      yield* replayIommuTrace(file, UNFOLDED_CPUS, teardown, counts, {
        onBytes,
        onOpen,
        onMaxCpu: (c) => (maxCpu = c),
      });
      return { maxCpu, counts };
    },
  );
  if (cached) {
    const was = statSync(file);
    const unchanged = unchangedSince(file, () => was);
    const counts = cached.meta.counts as IommuTraceCounts;
    let last = emptyCounts();
    return {
      info: { file, sha256: cached.sha256, format: 'iommu', ...origin },
      notices: [...cpuFoldNotices(file, cached.meta.maxCpu as number, cpus), ...lostNotices(file, lostEvents)],
      lostEvents,
      lastPass: () => ({ ...last }),
      *chunks(): Iterable<EventChunk> {
        unchanged(statSync(file));
        yield* cached.chunks(cpus);
        last = { ...counts };
      },
    };
  }
  const hash = createHash('sha256');
  let opened: Stats | undefined;
  let maxCpu = -1;
  for (const _ of replayIommuTrace(file, cpus, teardown, emptyCounts(), {
    onBytes: (b) => hash.update(b),
    onOpen: (s) => (opened = s),
    onMaxCpu: (c) => (maxCpu = c),
  }));
  const unchanged = unchangedSince(file, () => opened);
  let last = emptyCounts();
  return {
    info: { file, sha256: hash.digest('hex'), format: 'iommu', ...origin },
    notices: [...cpuFoldNotices(file, maxCpu, cpus), ...lostNotices(file, lostEvents)],
    lostEvents,
    lastPass: () => ({ ...last }),
    *chunks(): Iterable<EventChunk> {
      const counts = emptyCounts();
      yield* replayIommuTrace(file, cpus, teardown, counts, { onOpen: unchanged });
      last = counts;
    },
  };
}
