/**
 * A record: one row of a run, a (workload, strategy, platform, cpus, kernel, seed) cell and every metric of the
 * registry (core/metrics.ts), with what results.json keeps beside it. The schema is written here once,
 * in zod: results.json is read through it (results/read-run.ts) and the types are inferred from it.
 * Memory metrics are exact for a seed; only the timing columns vary between runs. Bytes, events and
 * events per second: base units.
 */
import type { z } from 'zod';
import { builtOnce } from './built-once.ts';
import { CELL_KEY_COLUMNS } from './cell-key.ts';
import { cellKeyShape } from './cell-key-shape.ts';
import { DEFAULT_KERNEL } from './kernel.ts';
import { type ExactKey, METRICS, type MetricDef, type MetricEntry, type MetricKey, TIMING_KEYS } from './metrics.ts';
import { PLACEMENTS } from './placement.ts';
import { DEFAULT_PLATFORM } from './platforms.ts';
import { WORKLOAD_CATEGORIES } from './workload-kind.ts';
import { zod } from './zod.ts';

/** How a record holds a metric of this unit and kind. */
type ValueShape<D> = D extends { unit: 'text' }
  ? z.ZodString
  : D extends { kind: 'exact'; since: string }
    ? z.ZodDefault<z.ZodNullable<z.ZodNumber>>
    : D extends { kind: 'exact' }
      ? z.ZodNumber
      : D extends { kind: 'modelled' }
        ? z.ZodDefault<z.ZodNullable<z.ZodNumber>>
        : z.ZodNullable<z.ZodNumber>;

/**
 * A figure of this unit as a record may hold it: never negative (every metric counts or measures
 * something), a count a whole number, a fraction at most 1. A file that says otherwise contradicts
 * itself and is refused.
 */
function numberShape(unit: MetricDef['unit']): z.ZodNumber {
  const n = zod().number().nonnegative();
  return unit === 'count' ? n.int() : unit === 'fraction' ? n.max(1) : n;
}

/**
 * Exact metrics are numbers (null in runs older than a metric with `since`); a timing one is null when
 * not timed, a modelled one when it cannot be costed (and absent from runs older than it: it is
 * computed again from the counts).
 */
function valueShape(m: MetricDef): z.ZodType {
  if (m.unit === 'text') return zod().string();
  const n = numberShape(m.unit);
  if (m.kind === 'exact') return m.since ? n.nullable().default(null) : n;
  return m.kind === 'modelled' ? n.nullable().default(null) : n.nullable();
}

const metricsShape = () =>
  zod().object(
    Object.fromEntries(METRICS.map((m) => [m.key, valueShape(m)])) as {
      [D in MetricEntry as D['key']]: ValueShape<D>;
    },
  );

/** Every metric's value, as a record holds it. */
export type MetricValues = z.infer<ReturnType<typeof metricsShape>>;
/** The exact metrics' values: what one replay of a cell gives. */
export type ExactValues = Pick<MetricValues, ExactKey>;

const numbers = () => zod().array(zod().number());

/** A footprint-over-time series as columns (compact in JSON). */
const seriesShape = () =>
  zod().object({
    /** Index of the event after which each point was taken (1-based). */
    event: numbers(),
    footprint_bytes: numbers(),
    live_tables: numbers(),
  });

export type SeriesColumns = z.infer<ReturnType<typeof seriesShape>>;

/** What results.json keeps beside each row. */
const detailShape = () => {
  const z = zod();
  return z.object({
    /** The cell's position in the whole plan (−1 for a cell built by hand): shards merge in this order. */
    cell: z.number().int().min(-1).optional(),
    /** Where the strategy promises to place its tables, from its own definition (absent in older runs). */
    placement: z.enum(PLACEMENTS).optional(),
    /** Every parameter of the strategy, defaults included. */
    strategy_params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    /** What its non-default parameters mean, from their declarations ('' for the defaults). */
    strategy_note: z.string().optional(),
    /** For each parameter that can make allocations fail, the smallest value that would have served them all (a lower bound after a failure). */
    requirements: z.record(z.string(), z.number()).optional(),
    /**
     * For each of those values the kernel could not build on this platform, why (one sentence): such a
     * value is never to be suggested. A key absent here is buildable (absent in runs before the platform axis).
     */
    requirements_unbuildable: z.record(z.string(), z.string()).optional(),
    /** Why the strategy cannot serve this platform under this kernel (one sentence); '' when it can (absent in older runs). */
    applicability: z.string().optional(),
    /** The simulated machine of the cell, when it is not the platform's board: the keys that differ (absent in older runs). */
    machine_overrides: z.array(z.string()).optional(),
    /** The workload's category, from its own definition. */
    workload_category: z.enum(WORKLOAD_CATEGORIES).optional(),
    /** Totals of the modelled kernel work: page-allocator calls by order and the strategy's counters. */
    work: z.record(z.string(), z.number()),
    series: seriesShape(),
    /** Timing samples, each the mean time of one replay over the replays it timed, in ms; every round's, in order. */
    samples: numbers(),
    /**
     * The fastest sample of each round of timing, in ms; each round ran in a fresh isolate, so these
     * are the units that show the variation between processes (absent before l2bench-run/2).
     */
    rounds: numbers().optional(),
    /** The workload's provenance (trace file and checksum) and what its model saw (IOMMU maps). */
    workload_info: z.record(z.string(), z.union([z.string(), z.number()])),
  });
};

/**
 * A record as results.json holds it: the key columns, whether the strategy can serve the cell's
 * platform under its kernel, every metric of the registry, and the detail.
 */
const recordObject = () =>
  cellKeyShape()
    .extend({
      /**
       * False when the platform cannot use the strategy (detail.applicability says why): its figures are
       * for information, never an answer. Absent in runs written before the platform axis.
       */
      applicable: zod().boolean().optional(),
    })
    .extend(metricsShape().shape)
    .extend({ detail: detailShape() });

/**
 * The fields a record of a run written before the platform axis did not have but implies exactly,
 * set in place: every such run modelled mt8173, whose limit is 4 GiB (placement_violations is
 * dma32_violations), and its final metadata is metadata_bytes (the final total is that plus the
 * final pages). Newer records are left as they are. Whether anything was set.
 */
function fillOlderRun(r: Record<string, unknown>): boolean {
  let filled = false;
  if (r.placement_violations === undefined && typeof r.dma32_violations === 'number') {
    r.placement_violations = r.dma32_violations;
    filled = true;
  }
  const { final_footprint_bytes: pages, metadata_bytes: metadata } = r;
  if (r.total_final_footprint_bytes === undefined && typeof pages === 'number' && typeof metadata === 'number') {
    r.total_final_footprint_bytes = pages + metadata;
    filled = true;
  }
  return filled;
}

/** A record of an older run with what it implies (fillOlderRun), as a copy: the input is not changed. */
function fromOlderRun(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const copy = { ...(raw as Record<string, unknown>) };
  return fillOlderRun(copy) ? copy : raw;
}

/** A record's schema, built at its first use (a run's main thread needs it only to read a run back). */
export const recordShape = builtOnce(() => zod().preprocess(fromOlderRun, recordObject()));

export type FullRecord = z.infer<ReturnType<typeof recordShape>>;
/** A record without its detail: the columns of the CSV. */
export type CellRecord = Omit<FullRecord, 'detail'>;

/** Columns that vary between runs of the same seed. */
export const TIMING_COLUMNS = TIMING_KEYS;

/** The CSV columns, in order, with stable names: the key, applicability, the exact metrics, then the timing ones. */
export const CSV_COLUMNS: readonly (keyof CellRecord)[] = [
  ...CELL_KEY_COLUMNS,
  'applicable',
  ...METRICS.map((m) => m.key),
];

/**
 * The metrics a record of an older run may lack, which the schema fills with null: a modelled one
 * (computed again from the counts), an exact one newer than the run (absent: nothing implies it).
 */
const FILLED: readonly MetricKey[] = METRICS.filter(
  (m) => m.kind === 'modelled' || (m.kind === 'exact' && m.since !== undefined),
).map((m) => m.key);

/**
 * What recordShape fills in (the kernel and platform of a run older than those axes, the metrics an
 * older run implies, null for a metric newer than the run), applied in place to a record that
 * recordShape has already accepted once: a reader reading a checked file again need not check it again.
 */
export function withRecordDefaults(record: FullRecord): FullRecord {
  const r = record as unknown as Record<string, unknown>;
  r.kernel ??= DEFAULT_KERNEL;
  r.platform ??= DEFAULT_PLATFORM;
  fillOlderRun(r);
  for (const key of FILLED) if (r[key] === undefined) r[key] = null;
  return record;
}

/** A record's value of a metric. */
export function metricValue(record: MetricValues, m: MetricDef): number | string | null {
  return record[m.key as MetricKey];
}
