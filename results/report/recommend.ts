import type { FullRecord } from '../../core/record.ts';
import { specName } from '../../core/spec.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { formatBytes, formatCount, plural } from '../number-text.ts';
import { type Aggregation, aggregate, DECISION_RULE, decide, disagreements } from './aggregations.ts';
import { eligible } from './applicability.ts';
import { formatNs } from './cost.ts';
import { givenBack } from './given-back.ts';
import type {
  AggregateRow,
  ConstraintRow,
  CostSummary,
  Crossover,
  ObjectiveInfo,
  Recommendation,
  Unavailable,
} from './model.ts';
import { groupBy } from './record-groups.ts';
import type { ScopeFacts } from './scope.ts';
import { HOLD_SWEEP, workloadUnits } from './workload-units.ts';

/** What a strategy held at a hold of exactly `n` tables asked for, or null when the sweep has no such point. */
function heldAt(records: readonly FullRecord[], strategy: string, n: number | null, value: (r: FullRecord) => number) {
  const r = records.find((x) => x.strategy === strategy && isHoldWorkload(x.workload) && x.allocs === n);
  return r ? value(r) : null;
}

/**
 * The count the hold sweep measured for a wanted one: the count itself, else the first point above it
 * (the sweep steps by 64 above 64 tables), else null when the sweep stops below it.
 */
function measuredCount(records: readonly FullRecord[], wanted: number): number | null {
  const counts = records.filter((r) => isHoldWorkload(r.workload)).map((r) => r.allocs);
  const above = counts.filter((n) => n >= wanted);
  return above.length ? Math.min(...above) : null;
}

/** A count as the answer names it: `100 tables`, or `128 tables (the first measured above 100)`. */
function countText(c: { wanted: number; measured: number | null }): string {
  if (c.measured === null) return `${plural(c.wanted, 'table')} (not run: the hold sweep stops below)`;
  return c.measured === c.wanted
    ? plural(c.wanted, 'table')
    : `${plural(c.measured, 'table')} (the first point measured above ${formatCount(c.wanted)})`;
}

/** Every strategy compared, in the order of the decision rule, with the pages alone and the deciding counts. */
function tableOf(
  records: readonly FullRecord[],
  agg: Aggregation,
  objective: ObjectiveInfo,
  counts: Recommendation['counts'],
): AggregateRow[] {
  const compared = new Set(agg.rows.map((r) => r.strategy));
  const ids = new Set(agg.units.map((u) => u.id));
  const pages = workloadUnits(records, objective.pages, compared).filter((u) => ids.has(u.id));
  const order = decideOrder(agg);
  return order.map((row) => ({
    ...row,
    pages_sum: pages.reduce((s, u) => s + (u.figures.get(row.strategy) ?? 0), 0),
    at_typical: heldAt(records, row.strategy, counts.typical.measured, objective.held),
    at_max: heldAt(records, row.strategy, counts.max.measured, objective.held),
  }));
}

/** The rows in the decision rule's order: the answer first. */
function decideOrder(agg: Aggregation) {
  const rest = [...agg.rows];
  const out = [];
  while (rest.length) {
    const next = decide({ ...agg, rows: rest });
    const i = rest.findIndex((r) => r.strategy === next);
    out.push(...rest.splice(i, 1));
  }
  return out;
}

/** The strategies never the answer for one reason, together: the reason is said once. */
export function unavailableGroups(list: readonly Unavailable[]): { strategies: string[]; kind: string; why: string }[] {
  return [...groupBy(list, (u) => `${u.kind}\u0000${u.why}`).values()].map((us) => ({
    strategies: us.map((u) => u.strategy),
    kind: (us[0] as Unavailable).kind,
    why: (us[0] as Unavailable).why,
  }));
}

/** The strategies that may never be the answer here, and why (a reason as one clause, no final stop). */
function unavailableOf(gate: readonly ConstraintRow[]): Unavailable[] {
  return [
    ...gate
      .filter((g) => !g.applicable)
      .map((g) => ({
        strategy: g.strategy,
        kind: 'not applicable' as const,
        why: (g.not_applicable ?? '').replace(/\.$/, ''),
      })),
    ...gate
      .filter((g) => g.applicable && !g.qualifies)
      .map((g) => ({
        strategy: g.strategy,
        kind: 'excluded' as const,
        why: `${g.verdict}${g.qualify.length ? `. ${g.qualify.join('; ')}` : ''}`,
      })),
  ];
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

/**
 * The answer for one platform and kernel: by the decision rule (DECISION_RULE) among the strategies
 * that may be the answer; a winner only when it is best under every aggregation, else the rule's
 * pick with the disagreements in words. Then the bytes where an engineer decides, memory given back,
 * what is never the answer and why, and the conditions that change the answer.
 */
export function recommend(
  records: readonly FullRecord[],
  gate: readonly ConstraintRow[],
  cross: readonly Crossover[],
  objective: ObjectiveInfo,
  cost: CostSummary,
  facts: ScopeFacts,
): Recommendation {
  const compared = gate.filter(eligible).map((g) => g.strategy);
  const unavailable = unavailableOf(gate);
  const counts = {
    typical: { wanted: facts.typicalTables, measured: measuredCount(records, facts.typicalTables) },
    max: { wanted: facts.maxTables, measured: measuredCount(records, facts.maxTables) },
  };
  const agg = aggregate(records, objective.held, compared);
  const chosen = compared.length ? decide(agg) : null;
  if (chosen === null) {
    return {
      strategy: null,
      agreed: false,
      tied: [],
      rule: DECISION_RULE,
      headline:
        'No strategy may be the answer: none of those run is both usable on this platform and free of failures.',
      numbers: [],
      table: [],
      counts,
      units: 0,
      winners: agg.winners,
      disagreements: [],
      givenBack: [],
      unavailable,
      flips: [],
      setting: '',
    };
  }
  const table = tableOf(records, agg, objective, counts);
  const mine = table.find((r) => r.strategy === chosen) as AggregateRow;
  const agreed = agg.agreed.includes(chosen);
  const tied = table
    .filter(
      (r) =>
        r.strategy !== chosen &&
        r.sum === mine.sum &&
        r.worst === mine.worst &&
        r.geomean === mine.geomean &&
        r.won === mine.won,
    )
    .map((r) => r.strategy);
  const n = agg.units.length;
  const ties = tied.length ? ` (equal to ${tied.join(', ')} under every aggregation)` : '';
  const sentence = agreed
    ? `Use ${chosen}${ties}: it holds the least under every aggregation (${objective.label}: ${formatBytes(mine.sum)} summed over ${plural(n, 'workload')}, ${formatBytes(mine.worst)} at worst, ${mine.geomean.toFixed(2)}× the least by geometric mean, smallest on ${mine.won} of ${n}).`
    : `No strategy holds the least under every aggregation; by the decision rule, ${chosen}${ties} (${objective.label}: ${formatBytes(mine.sum)} summed over ${plural(n, 'workload')}).`;
  // A hypothetical platform's answer is kept apart: it is never a real platform's.
  const headline = facts.hypothetical
    ? `Hypothetical platform, never a real answer: ${sentence.replace(/^./, (c) => c.toLowerCase())}`
    : sentence;
  const next = table.find((r) => r.strategy !== chosen && !tied.includes(r.strategy));
  const numbers: { label: string; value: string }[] = [
    {
      label: `${objective.label} at ${countText(counts.typical)}, typical here`,
      value: atCount(table, chosen, (r) => r.at_typical),
    },
    {
      label: `${objective.label} at ${countText(counts.max)}, the most one page table holds`,
      value: atCount(table, chosen, (r) => r.at_max),
    },
    {
      label: `${objective.label} summed over ${plural(n, 'workload')}`,
      value: next
        ? `${formatBytes(mine.sum)} (next: ${next.strategy}, ${formatBytes(next.sum)}, ${next.sum >= mine.sum ? `${formatBytes(next.sum - mine.sum)} more` : `${formatBytes(mine.sum - next.sum)} less`})`
        : formatBytes(mine.sum),
    },
    { label: `${objective.label} at worst`, value: `${formatBytes(mine.worst)} (${mine.worstWorkload})` },
  ];
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
  // Speed rests on the modelled kernel cost, never on the simulator's own speed.
  const cheapest = cost.strategies[0];
  const mineCost = cost.strategies.find((c) => c.strategy === chosen);
  if (cheapest && mineCost) {
    numbers.push({ label: 'modelled kernel cost (geometric mean; all units low–high)', value: formatNs(mineCost) });
    if (cheapest.strategy !== chosen && cheapest.high < mineCost.low) {
      flips.push(
        `If kernel CPU time mattered more than memory: ${cheapest.strategy} has the lowest modelled kernel cost, ${formatNs(cheapest)} per event against ${formatNs(mineCost)} (a model: see the cost section).`,
      );
    } else if (cheapest.strategy !== chosen) {
      flips.push(
        `By modelled kernel cost ${cheapest.strategy} is cheapest, ${formatNs(cheapest)} per event against ${formatNs(mineCost)}, but the ranges overlap: the cost does not separate them.`,
      );
    }
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
  // The answer's setting, said once; and the best strategy of another kind, should that setting not hold.
  const setting = records.find((r) => r.strategy === chosen)?.detail.strategy_note ?? '';
  const fallback = setting ? table.find((r) => specName(r.strategy) !== specName(chosen)) : undefined;
  if (fallback) {
    flips.unshift(
      `Where the setting of ${chosen} does not hold, ${fallback.strategy} is the best of the other strategies (${formatBytes(fallback.sum)} summed).`,
    );
  }
  return {
    strategy: chosen,
    agreed,
    tied,
    rule: DECISION_RULE,
    headline,
    numbers,
    table,
    counts,
    units: n,
    winners: agg.winners,
    disagreements: disagreements(agg, chosen),
    givenBack: givenBack(
      records,
      table.map((r) => r.strategy),
    ),
    unavailable,
    flips,
    setting,
    ...(fallback ? { otherwise: fallback.strategy } : {}),
  };
}
