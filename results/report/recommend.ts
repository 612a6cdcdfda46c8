import type { FullRecord } from '../../core/record.ts';
import { specName } from '../../core/spec.ts';
import { formatBytes } from '../number-text.ts';
import { aggregate, DECISION_RULE, decide, disagreements } from './aggregations.ts';
import { deciding, tableOf, unavailableOf } from './answer-table.ts';
import { decisiveNumbers, flipsOf, headlineOf, tiedWith } from './answer-text.ts';
import { eligible } from './applicability.ts';
import { givenBack } from './given-back.ts';
import type { AggregateRow, ConstraintRow, CostSummary, Crossover, ObjectiveInfo, Recommendation } from './model.ts';
import type { ScopeFacts } from './scope.ts';
import { sumsByGroup } from './workload-groups.ts';

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
  const counts = deciding(records, facts);
  const agg = aggregate(records, objective.held, compared);
  const chosen = compared.length ? decide(agg, facts.upstream) : null;
  const none = {
    strategy: null,
    agreed: false,
    tied: [],
    rule: DECISION_RULE,
    headline: 'No strategy may be the answer: none of those run is both usable on this platform and free of failures.',
    numbers: [],
    table: [],
    counts,
    units: 0,
    winners: agg.winners,
    disagreements: [],
    groups: [],
    givenBack: [],
    unavailable,
    flips: [],
    setting: '',
  };
  if (chosen === null) return none;
  const table = tableOf(records, agg, objective, counts, facts.upstream);
  const mine = table.find((r) => r.strategy === chosen) as AggregateRow;
  const agreed = agg.agreed.includes(chosen);
  const tied = tiedWith(table, mine);
  const units = agg.units.length;
  const flips = flipsOf(agg, table, chosen, gate, cross, objective, cost);
  // The answer's setting, said once; and the best strategy of another kind, should that setting not hold.
  const setting = records.find((r) => r.strategy === chosen)?.detail.strategy_note ?? '';
  const fallback = setting ? table.find((r) => specName(r.strategy) !== specName(chosen)) : undefined;
  if (fallback) {
    flips.unshift(
      `Where the setting of ${chosen} does not hold, ${fallback.strategy} is the best of the other strategies (${formatBytes(fallback.sum)} summed).`,
    );
  }
  return {
    ...none,
    strategy: chosen,
    agreed,
    tied,
    headline: headlineOf(mine, tied, agreed, units, objective, facts),
    numbers: decisiveNumbers(table, mine, tied, { counts, units }, objective, cost),
    table,
    units,
    disagreements: disagreements(agg, chosen),
    groups: sumsByGroup(agg.units),
    givenBack: givenBack(
      records,
      table.map((r) => r.strategy),
    ),
    flips,
    setting,
    ...(fallback ? { otherwise: fallback.strategy } : {}),
  };
}
