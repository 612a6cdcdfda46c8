import type { FullRecord, Placement } from '../record.ts';

/** The workload kind of a spec: `hold:tables=8` → hold. */
export function kindOf(workload: string): string {
  return workload.split(':')[0] as string;
}

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

/** The cell a record belongs to, without the strategy: records of one cell compare strategies. */
export const cellKey = (r: FullRecord): string => `${r.workload}\u0000${r.cpus}\u0000${r.kernel}\u0000${r.seed}`;

export function geometricMean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

export const isHold = (r: FullRecord): boolean => kindOf(r.workload) === 'hold';
