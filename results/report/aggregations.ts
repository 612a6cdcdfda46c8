import type { FullRecord } from '../../core/record.ts';
import { formatBytes, plural } from '../number-text.ts';
import { geometricMean } from '../statistics.ts';
import { HOLD_SWEEP, type WorkloadUnit, workloadUnits } from './workload-units.ts';

/**
 * Four ways to add up memory over the workloads, so that an answer cannot hide a loss behind one of
 * them: the geometric mean of ratios to the best (each workload's relative standing, however small
 * the workload), the sum of bytes (what the system pays in all), the worst case (the most held in any
 * cell: what a board must provision) and the workloads won. Each workload counts once, the hold sweep
 * as one (workload-units.ts).
 */
export type AggregationName = 'geomean' | 'sum' | 'worst' | 'won';

/** The aggregations, each with how a sentence names it, in full and in a list. */
const AGGREGATIONS: readonly { name: AggregationName; words: string; short: string }[] = [
  { name: 'geomean', words: 'the geometric mean of ratios to the least', short: 'the geometric mean of ratios' },
  { name: 'sum', words: 'the sum of bytes over the workloads', short: 'the sum of bytes' },
  { name: 'worst', words: 'the worst case, the most held in any cell', short: 'the worst case' },
  { name: 'won', words: 'the workloads won', short: 'the workloads won' },
];

/** The aggregations' names, in the order the report lists them. */
export const AGGREGATION_NAMES: readonly AggregationName[] = AGGREGATIONS.map((a) => a.name);

/** How a sentence names an aggregation: in full, or short, as one item of a list. */
export const aggregationWords = (name: AggregationName, short = false): string => {
  const a = AGGREGATIONS.find((x) => x.name === name);
  return (short ? a?.short : a?.words) ?? name;
};

/** One strategy under each aggregation. */
export interface StrategyAggregates {
  strategy: string;
  /** Geometric mean over the workloads of its figure ÷ the smallest figure there (1 = smallest everywhere). */
  geomean: number;
  /** Its figures summed over the workloads, in bytes. */
  sum: number;
  /** The most it held in any one cell, in bytes, and that cell's workload. */
  worst: number;
  worstWorkload: string;
  /** Workloads where its figure is the smallest (a tie counts for each). */
  won: number;
}

export interface Aggregation {
  /** The workloads compared: those where every strategy compared has a figure. */
  units: WorkloadUnit[];
  rows: StrategyAggregates[];
  /** The strategies best under each aggregation (several when tied). */
  winners: Record<AggregationName, string[]>;
  /** The strategies best under every aggregation: usually one or none. */
  agreed: string[];
}

/** Better under an aggregation: smaller, except for workloads won. */
function best(rows: readonly StrategyAggregates[], name: AggregationName): string[] {
  if (rows.length === 0) return [];
  const v = (r: StrategyAggregates) => (name === 'won' ? -r.won : r[name]);
  const top = Math.min(...rows.map(v));
  return rows.filter((r) => v(r) === top).map((r) => r.strategy);
}

/**
 * The four aggregations of `value` (bytes held, by one figure) over the strategies `compared`, on the
 * workloads where each of them has a figure.
 */
export function aggregate(
  records: readonly FullRecord[],
  value: (r: FullRecord) => number,
  compared: readonly string[],
): Aggregation {
  const among = new Set(compared);
  const units = workloadUnits(records, value, among).filter((u) => compared.every((s) => u.figures.has(s)));
  const rows = compared.map((strategy): StrategyAggregates => {
    const ratios: number[] = [];
    let sum = 0;
    let worst = 0;
    let worstWorkload = '';
    let won = 0;
    for (const u of units) {
      const mine = u.figures.get(strategy) as number;
      const smallest = Math.min(...u.figures.values());
      // Two strategies both holding nothing are equal.
      ratios.push(smallest === 0 ? (mine === 0 ? 1 : Number.POSITIVE_INFINITY) : mine / smallest);
      sum += mine;
      if (mine === smallest) won++;
      for (const r of u.records.get(strategy) ?? []) {
        const v = value(r);
        if (v > worst || worstWorkload === '') {
          worst = v;
          worstWorkload = r.workload;
        }
      }
    }
    return { strategy, geomean: ratios.length ? geometricMean(ratios) : Number.NaN, sum, worst, worstWorkload, won };
  });
  const winners = Object.fromEntries(AGGREGATIONS.map((a) => [a.name, best(rows, a.name)])) as Record<
    AggregationName,
    string[]
  >;
  const agreed = compared.filter((s) => AGGREGATIONS.every((a) => winners[a.name].includes(s)));
  return { units, rows, winners, agreed };
}

/**
 * The decision rule, applied: the fewest bytes summed over the workloads; at equal sums the smaller
 * worst case, then the smaller geometric mean, then more workloads won; equal under all four, what
 * upstream allocates with on the platform (slab-normal under TTBR_EXT, not the DMA32 cache it holds
 * as much as). Null when nothing is compared.
 */
export function decide(agg: Aggregation, upstream = ''): string | null {
  const mine = (r: StrategyAggregates) => (r.strategy === upstream ? 0 : 1);
  const sorted = [...agg.rows].sort(
    (a, b) => a.sum - b.sum || a.worst - b.worst || a.geomean - b.geomean || b.won - a.won || mine(a) - mine(b),
  );
  return sorted[0]?.strategy ?? null;
}

/** The decision rule in one sentence, as the answer states it. */
export const DECISION_RULE =
  'Of the strategies this platform can use that never failed an allocation and kept every table where the walker can reach it, take the one that holds the fewest bytes (pages and metadata) summed over the workloads, the hold sweep counted once by its mean; at equal sums, the smaller worst case; equal under every aggregation, what upstream allocates with here.';

/** A value under an aggregation, as text. */
export function aggregateText(r: StrategyAggregates, name: AggregationName, units: number): string {
  switch (name) {
    case 'geomean':
      return `${r.geomean.toFixed(2)}×`;
    case 'sum':
      return formatBytes(r.sum);
    case 'worst':
      return formatBytes(r.worst);
    case 'won':
      return `${r.won} of ${units}`;
  }
}

/**
 * A winner's figure against another's under an aggregation: "4 MiB against 4 MiB, 616 B less" when the
 * rounding would hide the bytes between them.
 */
export function againstText(
  winner: StrategyAggregates,
  other: StrategyAggregates,
  name: AggregationName,
  units: number,
) {
  const a = aggregateText(winner, name, units);
  const b = aggregateText(other, name, units);
  const gap = name === 'sum' || name === 'worst' ? other[name] - winner[name] : 0;
  return `${a} against ${b}${a === b && gap > 0 ? `, ${formatBytes(gap)} less` : ''}`;
}

const unitName = (u: WorkloadUnit) =>
  u.workload === HOLD_SWEEP ? 'the hold sweep (mean over its points)' : u.workload;

/**
 * Where the aggregations disagree, in words: for each strategy that wins some aggregation the chosen
 * one does not, which aggregations it wins (with both figures), and on which workloads each of the
 * two holds less, by how many bytes at most and in all.
 */
export function disagreements(agg: Aggregation, chosen: string): string[] {
  const row = new Map(agg.rows.map((r) => [r.strategy, r]));
  const mine = row.get(chosen);
  if (!mine) return [];
  const rivals = new Map<string, AggregationName[]>();
  for (const a of AGGREGATIONS) {
    if (agg.winners[a.name].includes(chosen)) continue;
    for (const w of agg.winners[a.name]) rivals.set(w, [...(rivals.get(w) ?? []), a.name]);
  }
  const n = agg.units.length;
  return [...rivals].map(([rival, names]) => {
    const other = row.get(rival) as StrategyAggregates;
    const wins = names.map((name) => `${aggregationWords(name)} (${againstText(other, mine, name, n)})`).join(' and ');
    return `${rival} wins by ${wins}: ${where(agg.units, rival, chosen)}.`;
  });
}

/** On which workloads `a` holds less than `b`, and the reverse, with the largest and the total difference. */
function where(units: readonly WorkloadUnit[], a: string, b: string): string {
  const side = (sign: 1 | -1) => {
    const diffs = units
      .map((u) => ({ u, d: sign * ((u.figures.get(b) as number) - (u.figures.get(a) as number)) }))
      .filter((x) => x.d > 0)
      .sort((x, y) => y.d - x.d);
    const top = diffs[0];
    if (!top) return null;
    const total = diffs.reduce((s, x) => s + x.d, 0);
    return { count: diffs.length, most: top, total };
  };
  const less = side(1);
  const more = side(-1);
  const text = (x: NonNullable<ReturnType<typeof side>>, who: string, than: string) =>
    `${who} holds less than ${than} on ${plural(x.count, 'workload')}, by up to ${formatBytes(x.most.d)} (${unitName(x.most.u)})${x.count > 1 ? `, ${formatBytes(x.total)} in all` : ''}`;
  const parts = [less ? text(less, a, b) : `${a} holds less than ${b} on no workload`];
  if (more) parts.push(text(more, b, a));
  return parts.join('; ');
}
