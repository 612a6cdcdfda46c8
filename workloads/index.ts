import type { WorkloadKind } from './events.ts';
import { hold } from './hold.ts';

/** The built-in workload kinds. */
export const WORKLOADS: readonly WorkloadKind[] = [hold];

export function findWorkload(name: string): WorkloadKind | undefined {
  return WORKLOADS.find((w) => w.name === name);
}
