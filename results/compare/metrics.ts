import { type CellRecord, CSV_COLUMNS, type TIMING_COLUMNS } from '../../harness/record.ts';

/** The columns that name a cell: runs are matched on them. */
export const KEY_COLUMNS = ['workload', 'strategy', 'cpus', 'seed'] as const satisfies readonly (keyof CellRecord)[];

type NumericColumn = { [K in keyof CellRecord]: CellRecord[K] extends number ? K : never }[keyof CellRecord];

/** Every numeric CSV column but the key and the timing columns: exact for a seed. */
export type ExactMetric = Exclude<
  Extract<(typeof CSV_COLUMNS)[number], NumericColumn>,
  (typeof KEY_COLUMNS)[number] | (typeof TIMING_COLUMNS)[number]
>;

/** Which way is better. `neutral`: a property of the workload, or a change that is neither. */
export type Direction = 'lower' | 'higher' | 'neutral';

/**
 * The direction of each exact metric. Typed as a total record: a new numeric column does not
 * compile until it is classified here.
 */
export const DIRECTIONS: Record<ExactMetric, Direction> = {
  events: 'neutral',
  allocs: 'neutral',
  frees: 'neutral',
  skipped_frees: 'neutral',
  alloc_failures: 'lower',
  peak_live_tables: 'neutral',
  peak_footprint_bytes: 'lower',
  mean_footprint_bytes: 'lower',
  final_footprint_bytes: 'lower',
  metadata_bytes: 'lower',
  frag_mean: 'lower',
  frag_at_peak_live: 'lower',
  frag_at_peak_footprint: 'lower',
  frag_peak_over_peak: 'lower',
  reuse_rate: 'higher',
  peak_stranded_bytes: 'lower',
  // Giving pages back is neither good nor bad by itself: the footprints already say what it bought.
  pages_returned: 'neutral',
  dma32_violations: 'lower',
  page_alloc_calls: 'lower',
  page_alloc_failures: 'lower',
  page_free_calls: 'lower',
};

/** The exact metrics in CSV order. */
export const EXACT_METRICS: readonly ExactMetric[] = CSV_COLUMNS.filter((c): c is ExactMetric => c in DIRECTIONS);

/** The throughput metric, computed from the replay samples. */
export const THROUGHPUT_METRIC = 'ops_per_sec';
