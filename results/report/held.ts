import type { FullRecord } from '../../core/record.ts';

/**
 * What a strategy holds for its tables, the report's basis for memory: the pages it took from the
 * page allocator and the metadata it keeps beside them (SLUB's kmem_cache, genalloc's gen_pool and
 * bitmap, dma-pool's page headers in kmalloc), as the meter totals them after every event. The pages
 * alone are given beside it.
 */

// A record written before the totals has none: pages plus the metadata the strategy reported at the
// end, exact for strategies whose metadata never shrinks (every built-in one).

/** Pages and metadata at the peak: what the system must have for the strategy. */
export const heldAtPeak = (r: FullRecord): number =>
  (r.total_peak_footprint_bytes as number | null) ?? r.peak_footprint_bytes + r.metadata_bytes;

/** Pages and metadata on average over the events. */
export const heldOnAverage = (r: FullRecord): number =>
  (r.total_mean_footprint_bytes as number | null) ?? r.mean_footprint_bytes + r.metadata_bytes;

/** Pages and metadata when the workload ended: what the strategy kept after its frees. */
export const heldAtEnd = (r: FullRecord): number =>
  (r.total_final_footprint_bytes as number | null) ?? r.final_footprint_bytes + r.metadata_bytes;

/**
 * Tables still live when the workload ended: those allocated, less those that failed and those freed
 * (a skipped free is one of a table whose allocation had failed). Exact, unlike the last point of the
 * footprint series, which is the highest of its stretch of events.
 */
export const liveAtEnd = (r: FullRecord): number => r.allocs - r.alloc_failures - (r.frees - r.skipped_frees);
