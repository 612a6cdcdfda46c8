import type { FullRecord } from '../../harness/record.ts';
import { STRATEGIES } from '../../strategies/index.ts';

const KiB = 1024;

export function bytes(n: number): string {
  if (n >= KiB * KiB) return `${+(n / KiB / KiB).toFixed(2)} MiB`;
  if (n >= KiB) return `${+(n / KiB).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

export function percent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)} %`;
}

export function rate(opsPerSec: number): string {
  return `${(opsPerSec / 1e6).toFixed(2)} M events/s`;
}

/** The workload kind of a spec: `hold:tables=8` → hold. */
export function kindOf(workload: string): string {
  return workload.split(':')[0] as string;
}

/** A strategy label's built-in strategy (labels may carry parameters: genalloc:algo=best). */
export function placementOf(label: string): 'dma32' | 'any' | 'unknown' {
  const s = STRATEGIES.find((x) => x.name === label.split(':')[0]);
  return s ? s.placement : 'unknown';
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
export const cellKey = (r: FullRecord): string => `${r.workload}\u0000${r.cpus}\u0000${r.seed}`;

export function geometricMean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

/** Strategies in the order they first appear in the run. */
export function strategiesOf(records: readonly FullRecord[]): string[] {
  return [...new Set(records.map((r) => r.strategy))];
}

export const isHold = (r: FullRecord): boolean => kindOf(r.workload) === 'hold';
