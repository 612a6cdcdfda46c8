import type { FullRecord } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { type CostTable, kernelNsPerOp } from '../costs.ts';
import type { RunSource } from '../run-schema.ts';
import { RecordColumns } from './record-columns.ts';

/**
 * A run's records as the report reads them, read once from the stream into columns (RecordColumns):
 * every figure, the modelled kernel cost from the report's cost table, and of the detail what the
 * analysis and the charts read. A series is kept whole only where a chart draws it (the first cpus
 * and seed of each workload but the hold sweep's), else its last point; a workload's provenance is
 * kept on its first record. What a cell costs is its figures that differ from the other cells' (8
 * bytes each) and a view of two fields; names and details the cells share are held once.
 */
export function reportRecords(run: RunSource, table: CostTable): FullRecord[] {
  const charted = new Map<string, string>();
  const seen = new Set<string>();
  const columns = new RecordColumns();
  for (const r of run.records()) {
    // The chart of a workload (per platform and kernel: each scope has its charts) draws its first cpus and seed.
    const chartKey = `${r.workload}\u0000${r.platform}\u0000${r.kernel}`;
    const streamKey = `${r.cpus}\u0000${r.seed}`;
    const first = !seen.has(r.workload);
    seen.add(r.workload);
    if (!charted.has(chartKey)) charted.set(chartKey, streamKey);
    const chart = !isHoldWorkload(r.workload) && charted.get(chartKey) === streamKey;
    columns.push(r, kernelNsPerOp(r, table), { series: chart, workloadInfo: first });
  }
  return columns.records();
}
