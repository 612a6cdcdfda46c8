import type { FullRecord } from '../../core/record.ts';
import type { WorkloadCategory } from '../../core/workload-kind.ts';
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
