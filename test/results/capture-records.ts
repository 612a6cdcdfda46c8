import type { FullRecord } from '../../core/record.ts';
import { blankRecord, withTotals } from '../records.ts';

/** Workloads of each IOMMU group and one of another kind, for the report's tests of real captures. */
export const CAPTURE_A = 'iommu:trace=workloads/traces/guest/mix-lazy-2cpu/shared.trace.gz,teardown=0';
export const CAPTURE_B = 'iommu:trace=workloads/traces/guest/idle-strict-1cpu/nvme.trace.gz,teardown=0';
export const SCENARIO = 'iommu:scenario=display';
export const CHURN = 'churn:live=64,ops=20000';

const CATEGORY: Record<string, 'real trace' | 'model' | 'synthetic'> = {
  [CAPTURE_A]: 'real trace',
  [CAPTURE_B]: 'real trace',
  [SCENARIO]: 'model',
  [CHURN]: 'synthetic',
};

/** A record of `strategy` on `workload` holding `bytes` at its peak, with its workload's category. */
export function held(strategy: string, workload: string, bytes: number, over: Partial<FullRecord> = {}): FullRecord {
  const r = blankRecord(
    { workload, strategy, cpus: 4, seed: 1 },
    withTotals({ allocs: 2, events: 2, peak_live_tables: 2, peak_footprint_bytes: bytes, ...over }),
  );
  return { ...r, detail: { ...r.detail, workload_category: CATEGORY[workload] } };
}
