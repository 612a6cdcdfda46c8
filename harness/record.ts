import type { SeriesColumns } from './series.ts';

/**
 * One row of a run: a (workload, strategy, cpus, seed) cell. Memory metrics are exact for a seed;
 * only the timing columns vary between runs. Bytes, events and events per second: base units.
 */
export interface CellRecord {
  workload: string;
  strategy: string;
  cpus: number;
  seed: number;
  events: number;
  allocs: number;
  frees: number;
  /** Frees of tables whose allocation had failed. */
  skipped_frees: number;
  /** Allocations the strategy could not serve (it returned −1). */
  alloc_failures: number;
  peak_live_tables: number;
  /** Bytes of pages the strategy holds from the page allocator. */
  peak_footprint_bytes: number;
  mean_footprint_bytes: number;
  final_footprint_bytes: number;
  metadata_bytes: number;
  /** Johnstone & Wilson's four measures, with live bytes = live tables × 1 KiB. */
  frag_mean: number;
  frag_at_peak_live: number;
  frag_at_peak_footprint: number;
  frag_peak_over_peak: number;
  /** Share of allocations served from memory that earlier held a freed table. */
  reuse_rate: number;
  /** Freed table memory the strategy held but could not hand out again, at its highest. */
  peak_stranded_bytes: number;
  pages_returned: number;
  /** Tables placed at or above 4 GiB, where a v7s L1 entry cannot point (a failed map in the kernel). */
  dma32_violations: number;
  page_alloc_calls: number;
  page_alloc_failures: number;
  page_free_calls: number;
  /** The strategy's own modelled kernel work per event, `name=value;…`. */
  strategy_work_per_event: string;
  /** Throughput: events / mean replay time, null without --throughput. */
  ops_per_sec: number | null;
  /** Relative margin of error of the mean replay time, percent (95 %). */
  ops_per_sec_rme: number | null;
  replay_median_ms: number | null;
  replay_mad_ms: number | null;
  replay_p99_ms: number | null;
  replay_samples: number | null;
}

/** What results.json keeps beside each row. */
export interface CellDetail {
  /** The cell's position in the whole plan (−1 for a cell built by hand): shards merge in this order. */
  cell?: number;
  /** Totals of the modelled kernel work: page-allocator calls by order and the strategy's counters. */
  work: Record<string, number>;
  series: SeriesColumns;
  /** Replay times in ms, one per timed replay. */
  samples: number[];
  /** The workload's provenance (trace file and checksum) and what its model saw (IOMMU maps). */
  workload_info: Record<string, string | number>;
}

export type FullRecord = CellRecord & { detail: CellDetail };

/** Columns that vary between runs of the same seed. */
export const TIMING_COLUMNS = [
  'ops_per_sec',
  'ops_per_sec_rme',
  'replay_median_ms',
  'replay_mad_ms',
  'replay_p99_ms',
  'replay_samples',
] as const satisfies readonly (keyof CellRecord)[];

/** The CSV columns, in order, with stable names: the exact ones, then the timing ones. */
export const CSV_COLUMNS = [
  'workload',
  'strategy',
  'cpus',
  'seed',
  'events',
  'allocs',
  'frees',
  'skipped_frees',
  'alloc_failures',
  'peak_live_tables',
  'peak_footprint_bytes',
  'mean_footprint_bytes',
  'final_footprint_bytes',
  'metadata_bytes',
  'frag_mean',
  'frag_at_peak_live',
  'frag_at_peak_footprint',
  'frag_peak_over_peak',
  'reuse_rate',
  'peak_stranded_bytes',
  'pages_returned',
  'dma32_violations',
  'page_alloc_calls',
  'page_alloc_failures',
  'page_free_calls',
  'strategy_work_per_event',
  ...TIMING_COLUMNS,
] as const satisfies readonly (keyof CellRecord)[];
