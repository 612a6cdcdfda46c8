import type { CellKey } from '../core/cell-key.ts';
import { METRICS } from '../core/metrics.ts';
import type { FullRecord, MetricValues } from '../core/record.ts';
import type { RunResult } from '../results/run-schema.ts';

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
