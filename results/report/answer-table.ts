import type { FullRecord } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { least } from '../statistics.ts';
import { type Aggregation, decide } from './aggregations.ts';
import type { AggregateRow, ConstraintRow, ObjectiveInfo, Recommendation, Unavailable } from './model.ts';
import { groupBy } from './record-groups.ts';
import type { ScopeFacts } from './scope.ts';
import { workloadUnits } from './workload-units.ts';

/**
 * The figures of the answer's table: every strategy that may be the answer in the order of the
 * decision rule, with the pages alone and what it holds at the platform's deciding table counts;
 * and the strategies that may not, with why.
 */

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
  return above.length ? least(above) : null;
}

/** The platform's typical and largest table counts, and the hold-sweep points that measured them. */
export function deciding(records: readonly FullRecord[], facts: ScopeFacts): Recommendation['counts'] {
  return {
    typical: { wanted: facts.typicalTables, measured: measuredCount(records, facts.typicalTables) },
    max: { wanted: facts.maxTables, measured: measuredCount(records, facts.maxTables) },
  };
}

/** Every strategy compared, in the order of the decision rule, with the pages alone and the deciding counts. */
export function tableOf(
  records: readonly FullRecord[],
  agg: Aggregation,
  objective: ObjectiveInfo,
  counts: Recommendation['counts'],
  upstream = '',
): AggregateRow[] {
  const compared = new Set(agg.rows.map((r) => r.strategy));
  const ids = new Set(agg.units.map((u) => u.id));
  const pages = workloadUnits(records, objective.pages, compared).filter((u) => ids.has(u.id));
  const order = decideOrder(agg, upstream);
  return order.map((row) => ({
    ...row,
    pages_sum: pages.reduce((s, u) => s + (u.figures.get(row.strategy) ?? 0), 0),
    at_typical: heldAt(records, row.strategy, counts.typical.measured, objective.held),
    at_max: heldAt(records, row.strategy, counts.max.measured, objective.held),
  }));
}

/** The rows in the decision rule's order: the answer first. */
function decideOrder(agg: Aggregation, upstream: string) {
  const rest = [...agg.rows];
  const out = [];
  while (rest.length) {
    const next = decide({ ...agg, rows: rest }, upstream);
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
export function unavailableOf(gate: readonly ConstraintRow[]): Unavailable[] {
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
