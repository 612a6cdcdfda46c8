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

/** The kernels of some records, oldest first ('5.1' before '6.18'). */
export function kernelsOf(records: readonly FullRecord[]): string[] {
  const parts = (k: string) => k.split('.').map(Number);
  return [...new Set(records.map((r) => r.kernel))].sort((a, b) => {
    const [x, y] = [parts(a), parts(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d !== 0) return d;
    }
    return a.localeCompare(b);
  });
}
