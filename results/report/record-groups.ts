import { compareKernels } from '../../core/kernel.ts';
import type { Placement } from '../../core/placement.ts';
import type { FullRecord } from '../../core/record.ts';

/** Where a strategy promises to place its tables, as its records say ('unknown' for runs that did not say). */
export function placementOf(records: readonly FullRecord[], strategy: string): Placement | 'unknown' {
  return records.find((r) => r.strategy === strategy && r.detail.placement)?.detail.placement ?? 'unknown';
}

/** Records grouped by a key, in first-seen order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** The kernels of some records, oldest first. */
export function kernelsOf(records: readonly FullRecord[]): string[] {
  return [...new Set(records.map((r) => r.kernel))].sort(compareKernels);
}
