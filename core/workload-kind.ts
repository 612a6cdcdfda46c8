import { specName } from './spec.ts';

/**
 * What a workload is, for readers of results: a synthetic pattern (stress and adversarial cases), a
 * model of a kernel subsystem driven by illustrative inputs, or a real trace.
 */
export const WORKLOAD_CATEGORIES = ['synthetic', 'model', 'real trace'] as const;

export type WorkloadCategory = (typeof WORKLOAD_CATEGORIES)[number];

/**
 * The workloads the report reads by name, with the names the workloads take from here: the hold
 * sweep and its crossovers, stranded memory under churn, and the claims of the v5.1 decision
 * (page_frag's reuse on the fragmentation adversary, the field report on the IOMMU scenarios).
 */
export const WORKLOAD_NAMES = {
  hold: 'hold',
  churn: 'churn',
  fragAdversary: 'frag-adversary',
  iommu: 'iommu',
} as const;

/** Is this workload spec of the named kind (`churn:tables=64` is a churn)? */
export function isWorkloadOf(workload: string, name: (typeof WORKLOAD_NAMES)[keyof typeof WORKLOAD_NAMES]): boolean {
  return specName(workload) === name;
}

/** Is this workload spec (`hold:tables=8`) a hold workload? */
export const isHoldWorkload = (workload: string): boolean => isWorkloadOf(workload, WORKLOAD_NAMES.hold);
