import type { FullRecord } from '../../core/record.ts';
import { parseSpec } from '../../core/spec.ts';
import { isWorkloadOf, WORKLOAD_NAMES, type WorkloadCategory } from '../../core/workload-kind.ts';
import type { WorkloadUnit } from './workload-units.ts';

/**
 * The kinds of workload the report can answer over apart, real first: what a board ran (traces and
 * captures), models of a kernel subsystem with illustrative inputs, and synthetic patterns that
 * stress one property. The answer sums each kind apart (`sumsByGroup`); a new kind of real capture
 * is a workload whose category is 'real trace', and joins the first column with no change here.
 */
const WORKLOAD_GROUPS: readonly { category: WorkloadCategory; label: string }[] = [
  { category: 'real trace', label: 'real traces' },
  { category: 'model', label: 'models' },
  { category: 'synthetic', label: 'synthetic patterns' },
];

/** The kind of workload a record is of (a record written before categories has none). */
const categoryOf = (r: FullRecord | undefined): WorkloadCategory | undefined => r?.detail.workload_category;

/** One kind of workload in the answer: its workloads and each strategy's figures summed over them. */
export interface GroupSums {
  label: string;
  workloads: number;
  sums: Record<string, number>;
}

/**
 * The answer's workloads (its units, each workload once and the hold sweep as one) summed by kind:
 * whether the answer holds on real traces alone, on the models, on the synthetic patterns. Kinds
 * the run has no workload of are left out.
 */
export function sumsByGroup(units: readonly WorkloadUnit[]): GroupSums[] {
  return WORKLOAD_GROUPS.flatMap(({ category, label }) => {
    const mine = units.filter((u) => categoryOf([...u.records.values()][0]?.[0]) === category);
    if (mine.length === 0) return [];
    const sums: Record<string, number> = {};
    for (const u of mine) for (const [s, v] of u.figures) sums[s] = (sums[s] ?? 0) + v;
    return [{ label, workloads: mine.length, sums }];
  });
}

/**
 * The IOMMU workloads the report tells apart: real captures (`iommu:trace=`, the map and unmap
 * events of real drivers, l2bench capture) and the illustrative scenarios (`iommu:scenario=`, a
 * model with invented inputs). A record says which by its workload category; a run written before
 * categories were recorded says it by its spec (a trace= parameter).
 */
export type IommuGroup = 'real capture' | 'illustrative scenario';

/** Which IOMMU group a record's workload belongs to, or null for a workload that is not iommu's. */
export function iommuGroupOf(r: Pick<FullRecord, 'workload' | 'detail'>): IommuGroup | null {
  if (!isWorkloadOf(r.workload, WORKLOAD_NAMES.iommu)) return null;
  const category = r.detail.workload_category;
  if (category !== undefined) return category === 'real trace' ? 'real capture' : 'illustrative scenario';
  return parseSpec(r.workload).params.trace ? 'real capture' : 'illustrative scenario';
}

/** Is this record's workload a real IOMMU capture (iommu:trace=)? */
export const isRealCapture = (r: Pick<FullRecord, 'workload' | 'detail'>): boolean =>
  iommuGroupOf(r) === 'real capture';

/** Is this record's workload an illustrative IOMMU scenario (iommu:scenario=)? */
export const isIommuScenario = (r: Pick<FullRecord, 'workload' | 'detail'>): boolean =>
  iommuGroupOf(r) === 'illustrative scenario';
