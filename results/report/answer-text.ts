import { specName } from '../../core/spec.ts';
import { formatBytes, formatCount, plural } from '../number-text.ts';
import type { Aggregation } from './aggregations.ts';
import { formatNs } from './cost.ts';
import type { AggregateRow, ConstraintRow, CostSummary, Crossover, ObjectiveInfo, Recommendation } from './model.ts';
import type { ScopeFacts } from './scope.ts';
import { HOLD_SWEEP } from './workload-units.ts';

/** The answer in words: its headline, the bytes where an engineer decides, and what would change it. */

/** A count as the answer names it: `100 tables`, or `128 tables (the first measured above 100)`. */
function countText(c: { wanted: number; measured: number | null }): string {
  if (c.measured === null) return `${plural(c.wanted, 'table')} (not run: the hold sweep stops below)`;
  return c.measured === c.wanted
    ? plural(c.wanted, 'table')
    : `${plural(c.measured, 'table')} (the first point measured above ${formatCount(c.wanted)})`;
}

/** "X B", or "X B (Y holds Z B)" when another strategy compared holds less at that count. */
function atCount(table: readonly AggregateRow[], chosen: string, pick: (r: AggregateRow) => number | null): string {
  const mine = table.find((r) => r.strategy === chosen);
  const v = mine ? pick(mine) : null;
  if (v === null) return 'not run';
  const less = table
    .filter((r) => r.strategy !== chosen && pick(r) !== null && (pick(r) as number) < v)
    .sort((a, b) => (pick(a) as number) - (pick(b) as number))[0];
  return less
    ? `${formatBytes(v)} (${less.strategy} holds ${formatBytes(pick(less) as number)}, ${formatBytes(v - (pick(less) as number))} less)`
    : `${formatBytes(v)} (the least)`;
}

/** The strategies equal to the answer under every aggregation. */
export function tiedWith(table: readonly AggregateRow[], mine: AggregateRow): string[] {
  return table
    .filter(
      (r) =>
        r.strategy !== mine.strategy &&
        r.sum === mine.sum &&
        r.worst === mine.worst &&
        r.geomean === mine.geomean &&
        r.won === mine.won,
    )
    .map((r) => r.strategy);
}

/**
 * The answer in one sentence: the winner, only when it is best under every aggregation; else the
 * decision rule's pick, saying that the aggregations disagree. A hypothetical platform's answer is
 * kept apart: it is never a real platform's.
 */
export function headlineOf(
  mine: AggregateRow,
  tied: readonly string[],
  agreed: boolean,
  n: number,
  objective: ObjectiveInfo,
  facts: ScopeFacts,
): string {
  const ties = tied.length ? ` (equal to ${tied.join(', ')} under every aggregation)` : '';
  const sentence = agreed
    ? `Use ${mine.strategy}${ties}: it holds the least under every aggregation (${objective.label}: ${formatBytes(mine.sum)} summed over ${plural(n, 'workload')}, ${formatBytes(mine.worst)} at worst, ${mine.geomean.toFixed(2)}× the least by geometric mean, smallest on ${mine.won} of ${n}).`
    : `No strategy holds the least under every aggregation; by the decision rule, ${mine.strategy}${ties} (${objective.label}: ${formatBytes(mine.sum)} summed over ${plural(n, 'workload')}).`;
  return facts.hypothetical
    ? `Hypothetical platform, never a real answer: ${sentence.replace(/^./, (c) => c.toLowerCase())}`
    : sentence;
}

/** The bytes where an engineer decides: at the typical and the largest count, summed, at worst; and the cost. */
export function decisiveNumbers(
  table: readonly AggregateRow[],
  mine: AggregateRow,
  tied: readonly string[],
  r: Pick<Recommendation, 'counts' | 'units'>,
  objective: ObjectiveInfo,
  cost: CostSummary,
): { label: string; value: string }[] {
  const next = table.find((x) => x.strategy !== mine.strategy && !tied.includes(x.strategy));
  const numbers = [
    {
      label: `${objective.label} at ${countText(r.counts.typical)}, typical here`,
      value: atCount(table, mine.strategy, (x) => x.at_typical),
    },
    {
      label: `${objective.label} at ${countText(r.counts.max)}, the most one page table holds`,
      value: atCount(table, mine.strategy, (x) => x.at_max),
    },
    {
      label: `${objective.label} summed over ${plural(r.units, 'workload')}`,
      value: next
        ? `${formatBytes(mine.sum)} (next: ${next.strategy}, ${formatBytes(next.sum)}, ${next.sum >= mine.sum ? `${formatBytes(next.sum - mine.sum)} more` : `${formatBytes(mine.sum - next.sum)} less`})`
        : formatBytes(mine.sum),
    },
    { label: `${objective.label} at worst`, value: `${formatBytes(mine.worst)} (${mine.worstWorkload})` },
  ];
  // Speed rests on the modelled kernel cost, never on the simulator's own speed.
  const mineCost = cost.strategies.find((c) => c.strategy === mine.strategy);
  if (mineCost)
    numbers.push({ label: 'modelled kernel cost (geometric mean; all units low–high)', value: formatNs(mineCost) });
  return numbers;
}

/**
 * What would change the answer: the workloads where another strategy holds less, the crossovers of
 * the hold sweep that involve the answer, the modelled cost, and an excluded strategy's variant.
 */
export function flipsOf(
  agg: Aggregation,
  table: readonly AggregateRow[],
  chosen: string,
  gate: readonly ConstraintRow[],
  cross: readonly Crossover[],
  objective: ObjectiveInfo,
  cost: CostSummary,
): string[] {
  const flips: string[] = [];
  // Where another strategy compared holds less, workload by workload (the sweep: its crossovers below).
  for (const u of agg.units) {
    if (u.workload === HOLD_SWEEP) continue;
    const m = u.figures.get(chosen) as number;
    const [who, v] = [...u.figures].reduce((a, b) => (b[1] < a[1] ? b : a));
    if (v < m)
      flips.push(
        `On ${u.workload}, ${who} holds less (${objective.label} ${formatBytes(v)} against ${formatBytes(m)}, ${formatBytes(m - v)} less).`,
      );
  }
  for (const c of cross) {
    if (c.above === chosen && c.changes === 1) flips.push(`Holding at most ${plural(c.from, 'table')}: ${c.sentence}`);
    else if (c.below === chosen && c.changes === 1)
      flips.push(`Holding ${plural(c.to, 'table')} or more: ${c.sentence}`);
    else if (c.above === chosen || c.below === chosen) flips.push(c.sentence);
  }
  const cheapest = cost.strategies[0];
  const mineCost = cost.strategies.find((c) => c.strategy === chosen);
  if (cheapest && mineCost && cheapest.strategy !== chosen) {
    flips.push(
      cheapest.high < mineCost.low
        ? `If kernel CPU time mattered more than memory: ${cheapest.strategy} has the lowest modelled kernel cost, ${formatNs(cheapest)} per event against ${formatNs(mineCost)} (a model: see the cost section).`
        : `By modelled kernel cost ${cheapest.strategy} is cheapest, ${formatNs(cheapest)} per event against ${formatNs(mineCost)}, but the ranges overlap: the cost does not separate them.`,
    );
  }
  // An excluded strategy whose variant may be the answer: does that variant change it?
  const ranked = table.map((r) => r.strategy);
  for (const g of gate.filter((x) => x.applicable && !x.qualifies)) {
    const i = ranked.findIndex((s) => s !== g.strategy && specName(s) === specName(g.strategy));
    const found = ranked[i];
    if (found === undefined) continue;
    flips.push(
      found === chosen
        ? `${found}, a variant of ${g.strategy} that qualifies, is the answer.`
        : `${found}, a variant of ${g.strategy} that qualifies, comes #${i + 1} by the decision rule: the answer does not change.`,
    );
  }
  return flips;
}
