import type { WorkloadKind } from './events.ts';
import { iommu } from './iommu/index.ts';
import { churn } from './synthetic/churn.ts';
import { fragAdversary } from './synthetic/frag-adversary.ts';
import { handoff } from './synthetic/handoff.ts';
import { hold } from './synthetic/hold.ts';
import { ramp, sawtooth } from './synthetic/sawtooth.ts';
import { worstCase } from './synthetic/worst-case.ts';
import { trace } from './trace/index.ts';

/** The built-in workload kinds. */
export const WORKLOADS: readonly WorkloadKind[] = [
  hold,
  churn,
  ramp,
  sawtooth,
  handoff,
  fragAdversary,
  worstCase,
  iommu,
  trace,
];

export function findWorkload(name: string): WorkloadKind | undefined {
  return WORKLOADS.find((w) => w.name === name);
}
