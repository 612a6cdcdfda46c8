/**
 * One row of a run: a (workload, strategy, cpus, seed) cell. Memory metrics are exact for a seed;
 * only the timing columns vary between runs.
 */
export interface CellRecord {
  workload: string;
  strategy: string;
  cpus: number;
  seed: number;
  events: number;
  allocs: number;
  frees: number;
  /** Allocations the strategy could not serve (it returned −1). */
  alloc_failures: number;
  peak_live_tables: number;
  /** Bytes of pages the strategy holds from the page allocator. */
  peak_footprint_bytes: number;
  mean_footprint_bytes: number;
  final_footprint_bytes: number;
  metadata_bytes: number;
  pages_returned: number;
  /** Tables placed at or above 4 GiB, where a v7s L1 entry cannot point. */
  dma32_violations: number;
  /** Modelled kernel work: page-allocator calls by order and the strategy's own counters. */
  work: Record<string, number>;
}

/** The CSV columns, in order, with stable names and base units. */
export const CSV_COLUMNS = [
  'workload',
  'strategy',
  'cpus',
  'seed',
  'events',
  'allocs',
  'frees',
  'alloc_failures',
  'peak_live_tables',
  'peak_footprint_bytes',
  'mean_footprint_bytes',
  'final_footprint_bytes',
  'metadata_bytes',
  'pages_returned',
  'dma32_violations',
] as const satisfies readonly (keyof CellRecord)[];
