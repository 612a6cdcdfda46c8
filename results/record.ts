import {
  type ExactValues,
  METRICS,
  type MetricValues,
  type ModelledValues,
  TIMING_KEYS,
  type TimingValues,
} from './metrics.ts';

/** The columns that name a cell: runs are matched on them. */
const KEY_COLUMNS = ['workload', 'strategy', 'cpus', 'kernel', 'seed'] as const;

/** A cell of the matrix: what records are matched on. */
export interface CellKey {
  /** The workload's canonical spec (`hold:tables=8`). */
  workload: string;
  /** The strategy with its non-default parameters (`genalloc:algo=best`). */
  strategy: string;
  cpus: number;
  /** The Linux version whose allocators the cell models ('5.1', '6.18'); '5.1' for runs written before the axis. */
  kernel: string;
  seed: number;
}

/**
 * One row of a run: a (workload, strategy, cpus, kernel, seed) cell and every metric of the registry
 * (results/metrics.ts). Memory metrics are exact for a seed; only the timing columns vary between
 * runs. Bytes, events and events per second: base units.
 */
export type CellRecord = CellKey & MetricValues;

/** A footprint-over-time series as columns (compact in JSON). */
export interface SeriesColumns {
  /** Index of the event after which each point was taken (1-based). */
  event: number[];
  footprint_bytes: number[];
  live_tables: number[];
}

/** Where a strategy promises to place its tables ('unknown': a run written before records said). */
export type Placement = 'dma32' | 'any';

/** What a workload is: a synthetic pattern, a model of a kernel subsystem, or a real trace. */
export type WorkloadCategory = 'synthetic' | 'model' | 'real trace';

/** What results.json keeps beside each row. */
interface CellDetail {
  /** The cell's position in the whole plan (−1 for a cell built by hand): shards merge in this order. */
  cell?: number;
  /** Where the strategy promises to place its tables, from its own definition. */
  placement?: Placement;
  /** Every parameter of the strategy, defaults included. */
  strategy_params?: Record<string, string | number>;
  /** What its non-default parameters mean, from their declarations ('' for the defaults). */
  strategy_note?: string;
  /** For each parameter that can make allocations fail, the smallest value that would have served them all (a lower bound after a failure). */
  requirements?: Record<string, number>;
  /** The workload's category, from its own definition. */
  workload_category?: WorkloadCategory;
  /** Totals of the modelled kernel work: page-allocator calls by order and the strategy's counters. */
  work: Record<string, number>;
  series: SeriesColumns;
  /** Timing samples, each the mean time of one replay over the replays it timed, in ms; every round's, in order. */
  samples: number[];
  /**
   * The fastest sample of each round of timing, in ms; each round ran in a fresh isolate, so these
   * are the units that show the variation between processes (absent before l2bench-run/2).
   */
  rounds?: number[];
  /** The workload's provenance (trace file and checksum) and what its model saw (IOMMU maps). */
  workload_info: Record<string, string | number>;
}

export type FullRecord = CellRecord & { detail: CellDetail };

/** Columns that vary between runs of the same seed. */
export const TIMING_COLUMNS = TIMING_KEYS;

/** The CSV columns, in order, with stable names: the key, the exact metrics, then the timing ones. */
export const CSV_COLUMNS: readonly (keyof CellRecord)[] = [...KEY_COLUMNS, ...METRICS.map((m) => m.key)];

/** The columns a replay does not give: timing (until timed) and modelled (until costed), all null. */
export const NOT_YET: TimingValues & ModelledValues = Object.fromEntries(
  METRICS.filter((m) => m.kind !== 'exact').map((m) => [m.key, null]),
) as TimingValues & ModelledValues;

export type { ExactValues, TimingValues };
