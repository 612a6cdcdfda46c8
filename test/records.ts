import { METRICS, type MetricValues } from '../results/metrics.ts';
import type { CellKey, FullRecord } from '../results/record.ts';

/**
 * A hand-made record for tests of readers (reports, charts, compare): every metric of the registry
 * at zero ('' for text, null for timing and modelled), then the fields a test sets. A new metric needs no change
 * here or in the tests that do not read it.
 */
export function blankRecord(key: CellKey, over: Partial<FullRecord> = {}): FullRecord {
  const metrics = Object.fromEntries(
    METRICS.map((m) => [m.key, m.unit === 'text' ? '' : m.kind === 'exact' ? 0 : null]),
  ) as MetricValues;
  return {
    ...key,
    ...metrics,
    detail: { work: {}, series: { event: [], footprint_bytes: [], live_tables: [] }, samples: [], workload_info: {} },
    ...over,
  };
}
