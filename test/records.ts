import type { CellKey } from '../core/cell-key.ts';
import type { KernelVersion } from '../core/kernel.ts';
import { METRICS } from '../core/metrics.ts';
import { parseParams } from '../core/params.ts';
import type { FullRecord, MetricValues } from '../core/record.ts';
import { type Cell, measureCell } from '../harness/cell.ts';
import type { RunResult } from '../results/run-schema.ts';
import { findStrategy } from '../strategies/index.ts';
import { DEFAULT_MACHINE } from '../strategies/machine/machine.ts';
import { workload } from './workload-helpers.ts';

/**
 * A hand-made record for tests of readers (reports, charts, compare): every metric of the registry
 * at zero ('' for text, null for timing and modelled), then the fields a test sets. A new metric needs no change
 * here or in the tests that do not read it.
 */
export function blankRecord(
  key: Omit<CellKey, 'kernel' | 'platform'> & Partial<Pick<CellKey, 'kernel' | 'platform'>>,
  over: Partial<FullRecord> = {},
): FullRecord {
  const metrics = Object.fromEntries(
    METRICS.map((m) => [m.key, m.unit === 'text' ? '' : m.kind === 'exact' ? 0 : null]),
  ) as MetricValues;
  return {
    workload: key.workload,
    strategy: key.strategy,
    platform: key.platform ?? 'mt8173',
    cpus: key.cpus,
    kernel: key.kernel ?? '5.1',
    seed: key.seed,
    ...metrics,
    detail: { work: {}, series: { event: [], footprint_bytes: [], live_tables: [] }, samples: [], workload_info: {} },
    ...over,
  };
}

/** A record's detail with a footprint series given as [event, footprint] pairs (no live tables). */
export function seriesDetail(series: readonly [number, number][]): FullRecord['detail'] {
  return {
    work: {},
    series: {
      event: series.map(([e]) => e),
      footprint_bytes: series.map(([, f]) => f),
      live_tables: series.map(() => 0),
    },
    samples: [],
    workload_info: {},
  };
}

/**
 * The fields of a hand-made record with its totals (pages and metadata) following the pages and the
 * metadata given, as the meter's would for metadata that never changes: for tests of what the report
 * counts, which is the totals.
 */
export function withTotals(over: Partial<FullRecord>): Partial<FullRecord> {
  return {
    total_peak_footprint_bytes: (over.peak_footprint_bytes ?? 0) + (over.metadata_bytes ?? 0),
    total_mean_footprint_bytes: (over.mean_footprint_bytes ?? 0) + (over.metadata_bytes ?? 0),
    total_final_footprint_bytes: (over.final_footprint_bytes ?? 0) + (over.metadata_bytes ?? 0),
    ...over,
  };
}

/**
 * A finished run of these records, as a test of a reader needs one: complete, nothing missing, a
 * placeholder provenance (`provenance` overrides its fields).
 */
export function completeRun(records: FullRecord[], provenance: Partial<RunResult['provenance']> = {}): RunResult {
  return {
    schema: 'l2bench-run/2',
    provenance: {
      l2bench_version: '0.0.0',
      git_commit: null,
      node_version: 'v20',
      v8_version: 'x',
      cpu_model: 'test',
      platform: 'test',
      started_at: '2026-01-01T00:00:00.000Z',
      command_line: ['run'],
      machine: {},
      suite: '',
      throughput_time_ms: null,
      ...provenance,
    },
    records,
    interrupted: false,
    complete: true,
    cells: records.length,
    missing: [],
  };
}

/**
 * A built-in strategy (`name` or `name:k=v`, labelled as given) measured on a workload (`name` and
 * raw parameters), 4 CPUs on the default machine, under a kernel (v5.1 unless given), for a platform
 * (the default, mt8173, unless given): a real record.
 */
export function measuredRecord(
  strategy: string,
  name: string,
  raw: Record<string, string>,
  kernel: KernelVersion = '5.1',
  platform?: string,
): FullRecord {
  const [base, params] = strategy.split(':') as [string, string | undefined];
  const s = findStrategy(base);
  if (!s) throw new Error(strategy);
  const given = Object.fromEntries(
    (params ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  const cell: Cell = {
    strategy: s,
    strategyParams: parseParams(strategy, s.params, given),
    strategyLabel: strategy,
    workload: workload(name, raw),
    machine: { ...DEFAULT_MACHINE, cpus: 4 },
    kernel,
    ...(platform ? { platform } : {}),
    seed: 1,
    check: false,
    timed: false,
  };
  return measureCell(cell);
}
