/** Which way is better. `neutral`: a property of the workload, or a figure that is neither. */
type Better = 'lower' | 'higher' | 'neutral';

/**
 * exact: identical for a seed, compared exactly. modelled: computed from exact counts and a
 * documented cost model (identical for a seed and a cost table). timing: measured, varies between runs.
 */
export type MetricKind = 'exact' | 'modelled' | 'timing';

export type MetricUnit = 'count' | 'bytes' | 'ratio' | 'fraction' | 'events/s' | 'percent' | 'ms' | 'ns' | 'text';

interface MetricSpec<K extends string, U extends MetricUnit, T extends MetricKind> {
  /** The CSV column and JSON field. */
  readonly key: K;
  /** How reports name it. */
  readonly label: string;
  /** A narrower name for the terminal table (default: the label). */
  readonly short?: string;
  readonly unit: U;
  readonly better: Better;
  readonly kind: T;
  /** One line: what it measures. */
  readonly description: string;
  /** Ranked per workload in the report. */
  readonly rank?: boolean;
  /** A column of the terminal table. */
  readonly table?: boolean;
  /** A metric holding this one's relative margin of error, in percent (shown as ± beside it). */
  readonly margin?: string;
  /** An exact metric that runs before this l2bench change did not record: read from them as null. */
  readonly since?: string;
}

/** Declare a metric, keeping its key, unit and kind as literal types. */
function metric<const K extends string, const U extends MetricUnit, const T extends MetricKind>(
  spec: MetricSpec<K, U, T>,
): MetricSpec<K, U, T> {
  return spec;
}

/**
 * Every metric of a record, in CSV order: the exact ones, then the timing ones. This is the one
 * place a metric is declared; the record type, the CSV columns, compare's directions, the report's
 * rankings and labels and the terminal table derive from it. Adding a metric: an entry here, and its
 * value in `Meter.exactValues()` (harness/meter.ts) or in the throughput columns.
 */
export const METRICS = [
  metric({
    key: 'events',
    label: 'events',
    unit: 'count',
    better: 'neutral',
    kind: 'exact',
    description: 'events replayed',
  }),
  metric({
    key: 'allocs',
    label: 'allocations',
    unit: 'count',
    better: 'neutral',
    kind: 'exact',
    description: 'table allocations asked for',
  }),
  metric({
    key: 'frees',
    label: 'frees',
    unit: 'count',
    better: 'neutral',
    kind: 'exact',
    description: 'table frees asked for',
  }),
  metric({
    key: 'skipped_frees',
    label: 'skipped frees',
    unit: 'count',
    better: 'neutral',
    kind: 'exact',
    description: 'frees of tables whose allocation had failed',
  }),
  metric({
    key: 'lost_events',
    label: 'lost events',
    unit: 'count',
    better: 'neutral',
    kind: 'exact',
    since: 'lost-events',
    description:
      'events the kernel lost while recording the replayed trace (its `# lost_events:` header); 0 for a generated workload',
  }),
  metric({
    key: 'alloc_failures',
    label: 'failed allocations',
    short: 'failures',
    unit: 'count',
    better: 'lower',
    kind: 'exact',
    table: true,
    description: 'allocations the strategy could not serve (it returned −1)',
  }),
  metric({
    key: 'peak_live_tables',
    label: 'peak live tables',
    short: 'peak live',
    unit: 'count',
    better: 'neutral',
    kind: 'exact',
    table: true,
    description: 'the most tables live at once',
  }),
  metric({
    key: 'peak_footprint_bytes',
    label: 'peak footprint',
    unit: 'bytes',
    better: 'lower',
    kind: 'exact',
    rank: true,
    table: true,
    description: 'the most bytes of pages held from the page allocator at once',
  }),
  metric({
    key: 'mean_footprint_bytes',
    label: 'mean footprint',
    unit: 'bytes',
    better: 'lower',
    kind: 'exact',
    rank: true,
    table: true,
    description: 'bytes of pages held, averaged over events',
  }),
  metric({
    key: 'final_footprint_bytes',
    label: 'final footprint',
    unit: 'bytes',
    better: 'lower',
    kind: 'exact',
    description: 'bytes of pages held after the last event',
  }),
  metric({
    key: 'metadata_bytes',
    label: 'metadata',
    unit: 'bytes',
    better: 'lower',
    kind: 'exact',
    description: 'bookkeeping outside the pages held, as the strategy reports it',
  }),
  metric({
    key: 'total_peak_footprint_bytes',
    label: 'peak total footprint',
    short: 'peak total',
    unit: 'bytes',
    better: 'lower',
    kind: 'exact',
    since: 'platforms',
    rank: true,
    description:
      'the most bytes held for the tables at once: pages from the page allocator plus the metadata the strategy reports',
  }),
  metric({
    key: 'total_mean_footprint_bytes',
    label: 'mean total footprint',
    unit: 'bytes',
    better: 'lower',
    kind: 'exact',
    since: 'platforms',
    rank: true,
    description: 'pages plus metadata held, averaged over events',
  }),
  metric({
    key: 'total_final_footprint_bytes',
    label: 'final total footprint',
    unit: 'bytes',
    better: 'lower',
    kind: 'exact',
    description: 'pages plus metadata held after the last event',
  }),
  metric({
    key: 'returned_after_peak_bytes',
    label: 'given back after the peak',
    unit: 'bytes',
    // How much of its peak a strategy gives back: useful to know, but a strategy that never grew has nothing to give.
    better: 'neutral',
    kind: 'exact',
    since: 'platforms',
    description:
      'peak total footprint minus the least total footprint held at or after the event that first reached it: the most memory given back after the peak',
  }),
  metric({
    key: 'frag_mean',
    label: 'J&W mean frag',
    unit: 'ratio',
    better: 'lower',
    kind: 'exact',
    rank: true,
    description: 'Johnstone & Wilson #1: (footprint − live) / live, averaged over events with live tables',
  }),
  metric({
    key: 'frag_at_peak_live',
    label: 'J&W frag at peak live',
    unit: 'ratio',
    better: 'lower',
    kind: 'exact',
    rank: true,
    description: 'Johnstone & Wilson #2: (footprint − live) / live when live tables first peak',
  }),
  metric({
    key: 'frag_at_peak_footprint',
    label: 'J&W frag at peak footprint',
    unit: 'ratio',
    better: 'lower',
    kind: 'exact',
    rank: true,
    description: 'Johnstone & Wilson #3: (footprint − live) / live when the footprint first peaks',
  }),
  metric({
    key: 'frag_peak_over_peak',
    label: 'J&W peak over peak',
    short: 'frag peak/peak',
    unit: 'ratio',
    better: 'lower',
    kind: 'exact',
    rank: true,
    table: true,
    description: 'Johnstone & Wilson #4: (peak footprint − peak live) / peak live',
  }),
  metric({
    key: 'reuse_rate',
    label: 'reuse',
    unit: 'fraction',
    better: 'higher',
    kind: 'exact',
    rank: true,
    table: true,
    description: 'share of allocations served from memory that held a freed table',
  }),
  metric({
    key: 'peak_stranded_bytes',
    label: 'peak stranded',
    short: 'stranded',
    unit: 'bytes',
    better: 'lower',
    kind: 'exact',
    rank: true,
    table: true,
    description: 'freed table memory held but not reusable yet, at its highest',
  }),
  metric({
    key: 'pages_returned',
    label: 'pages returned',
    unit: 'count',
    // Giving pages back is neither good nor bad by itself: the footprints already say what it bought.
    better: 'neutral',
    kind: 'exact',
    description: 'pages given back to the page allocator',
  }),
  metric({
    key: 'dma32_violations',
    label: 'tables above 4 GiB',
    short: '>4GiB',
    unit: 'count',
    better: 'lower',
    kind: 'exact',
    description: 'tables placed at or above 4 GiB, where a v7s L1 entry cannot point without MediaTek TTBR_EXT',
  }),
  metric({
    key: 'placement_violations',
    label: "tables above the platform's limit",
    short: 'misplaced',
    unit: 'count',
    better: 'lower',
    kind: 'exact',
    table: true,
    description:
      "tables placed at or above the platform's limit (core/platforms.ts: 4 GiB, or 2^oas under TTBR_EXT), which __arm_v7s_alloc_table refuses",
  }),
  metric({
    key: 'page_alloc_calls',
    label: 'page-allocator calls',
    unit: 'count',
    better: 'lower',
    kind: 'exact',
    rank: true,
    description: 'calls to the page allocator',
  }),
  metric({
    key: 'page_alloc_failures',
    label: 'page-allocator failures',
    unit: 'count',
    better: 'lower',
    kind: 'exact',
    description: 'page-allocator calls that failed',
  }),
  metric({
    key: 'page_free_calls',
    label: 'page frees',
    unit: 'count',
    better: 'lower',
    kind: 'exact',
    description: 'blocks given back to the page allocator',
  }),
  metric({
    key: 'strategy_work_per_event',
    label: 'strategy work per event',
    unit: 'text',
    better: 'neutral',
    kind: 'exact',
    description: "the strategy's modelled kernel work per event, name=value;…",
  }),
  metric({
    key: 'kernel_ns_per_op',
    label: 'modelled kernel cost',
    short: 'kernel ns/op',
    unit: 'ns',
    better: 'lower',
    kind: 'modelled',
    rank: true,
    table: true,
    description:
      'modelled kernel nanoseconds per event: operation counts × the cost table (results/costs/default.yaml, each cost with its source)',
  }),
  metric({
    key: 'ops_per_sec',
    label: 'simulator throughput',
    short: 'events/s',
    unit: 'events/s',
    better: 'higher',
    kind: 'timing',
    rank: true,
    table: true,
    margin: 'ops_per_sec_rme',
    description: 'events / mean replay time; empty without throughput',
  }),
  metric({
    key: 'ops_per_sec_rme',
    label: 'throughput margin',
    unit: 'percent',
    better: 'lower',
    kind: 'timing',
    description: 'relative margin of error of the mean replay time, percent (95 %)',
  }),
  metric({
    key: 'replay_median_ms',
    label: 'median replay',
    unit: 'ms',
    better: 'lower',
    kind: 'timing',
    description: 'median replay time',
  }),
  metric({
    key: 'replay_mad_ms',
    label: 'replay MAD',
    unit: 'ms',
    better: 'neutral',
    kind: 'timing',
    description: 'median absolute deviation of the replay times',
  }),
  metric({
    key: 'replay_p99_ms',
    label: 'p99 replay',
    unit: 'ms',
    better: 'lower',
    kind: 'timing',
    description: '99th percentile replay time',
  }),
  metric({
    key: 'replay_samples',
    label: 'replay samples',
    unit: 'count',
    better: 'neutral',
    kind: 'timing',
    description: 'timed replays',
  }),
] as const;

export type MetricEntry = (typeof METRICS)[number];
export type MetricDef = MetricSpec<string, MetricUnit, MetricKind>;
export type MetricKey = MetricEntry['key'];

type OfKind<K extends MetricKind> = Extract<MetricEntry, { kind: K }>;
/** The exact metrics: what one replay of a cell gives. */
export type ExactKey = OfKind<'exact'>['key'];
/** The timing metrics: what timing a cell gives (null without throughput). */
export type TimingKey = OfKind<'timing'>['key'];
/** The modelled metrics: computed from the exact counts and a cost table (null when they cannot be). */
export type ModelledKey = OfKind<'modelled'>['key'];
/** Exact metrics that are numbers (all but the text ones). */
export type ExactNumericKey = Extract<OfKind<'exact'>, { unit: Exclude<MetricUnit, 'text'> }>['key'];

const BY_KEY: ReadonlyMap<string, MetricDef> = new Map(METRICS.map((m) => [m.key, m]));

/** A metric by key. */
export function metricOf(key: MetricKey): MetricDef {
  return BY_KEY.get(key) as MetricDef;
}

const isTiming = (m: MetricEntry): m is OfKind<'timing'> => m.kind === 'timing';

/** The columns a replay does not give: timing (until timed) and modelled (until costed), all null. */
export const NOT_YET: Readonly<Record<TimingKey | ModelledKey, null>> = Object.fromEntries(
  METRICS.filter((m) => m.kind !== 'exact').map((m) => [m.key, null]),
) as Record<TimingKey | ModelledKey, null>;

/** Timing metric keys, in CSV order: the columns that vary between runs of the same seed. */
export const TIMING_KEYS: readonly TimingKey[] = METRICS.filter(isTiming).map((m) => m.key);
/** Exact numeric metric keys, in CSV order. */
export const EXACT_NUMERIC_KEYS: readonly ExactNumericKey[] = METRICS.filter(
  (m): m is Extract<OfKind<'exact'>, { unit: Exclude<MetricUnit, 'text'> }> => m.kind === 'exact' && m.unit !== 'text',
).map((m) => m.key);
