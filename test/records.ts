import { METRICS, type MetricValues } from '../results/metrics.ts';
import type { CellKey, FullRecord } from '../results/record.ts';

/**
 * A hand-made record for tests of readers (reports, charts, compare): every metric of the registry
 * at zero ('' for text, null for timing and modelled), then the fields a test sets. A new metric needs no change
 * here or in the tests that do not read it.
 */
export function blankRecord(
  key: Omit<CellKey, 'kernel'> & Partial<Pick<CellKey, 'kernel'>>,
  over: Partial<FullRecord> = {},
): FullRecord {
  const metrics = Object.fromEntries(
    METRICS.map((m) => [m.key, m.unit === 'text' ? '' : m.kind === 'exact' ? 0 : null]),
  ) as MetricValues;
  return {
    workload: key.workload,
    strategy: key.strategy,
    cpus: key.cpus,
    kernel: key.kernel ?? '5.1',
    seed: key.seed,
    ...metrics,
    detail: { work: {}, series: { event: [], footprint_bytes: [], live_tables: [] }, samples: [], workload_info: {} },
    ...over,
  };
}
