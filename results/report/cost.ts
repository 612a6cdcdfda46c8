import { comparedCellId } from '../../core/cell-key.ts';
import type { FullRecord } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { type CostTable, kernelNsPerOp, type UnitScale, unitCounts } from '../costs.ts';
import { formatPercentValue, formatRate } from '../number-text.ts';
import { geometricMean } from '../statistics.ts';
import type { CostSummary, SpeedSummary } from './model.ts';
import { groupBy } from './record-groups.ts';

/**
 * Each strategy's modelled kernel cost over the run: the geometric mean of its ns per event over
 * the workloads where every strategy in `among` could be costed (the hold sweep counting as one
 * workload), so all are averaged over the same workloads.
 */
function costScores(
  records: readonly FullRecord[],
  among: ReadonlySet<string>,
  table: CostTable,
  scale: UnitScale = {},
): Map<string, number> {
  const per = new Map<string, number[]>();
  const hold = new Map<string, number[]>();
  for (const rows of groupBy(records, comparedCellId).values()) {
    const mine = rows.filter((r) => among.has(r.strategy));
    const costs = mine.map((r) => [r, kernelNsPerOp(r, table, scale)] as const);
    if (costs.length < among.size || costs.some(([, c]) => c === null || c <= 0)) continue;
    for (const [r, c] of costs) {
      const target = isHoldWorkload(r.workload) ? hold : per;
      const list = target.get(r.strategy);
      if (list) list.push(c as number);
      else target.set(r.strategy, [c as number]);
    }
  }
  const out = new Map<string, number>();
  for (const s of among) {
    const parts = [...(per.get(s) ?? [])];
    const h = hold.get(s);
    if (h?.length) parts.push(geometricMean(h));
    if (parts.length) out.set(s, geometricMean(parts));
  }
  return out;
}

const order = (scores: Map<string, number>) => [...scores].sort((a, b) => a[1] - b[1]).map(([s]) => s);

/**
 * The modelled kernel cost of the qualifying strategies, cheapest first, and how robust that order
 * is: every unit the run's strategies pay, halved and doubled one at a time, and all units at their
 * low and at their high ends; each change that reorders the strategies is named.
 */
export function costSummary(
  records: readonly FullRecord[],
  qualifying: ReadonlySet<string>,
  table: CostTable,
): CostSummary {
  const costed = new Set(
    [...qualifying].filter((s) => records.some((r) => r.strategy === s && kernelNsPerOp(r, table) !== null)),
  );
  // Every strategy of the run the table cannot cost, qualifying or not: its column stays empty.
  const uncosted = [...new Set(records.map((r) => r.strategy))].filter(
    (s) => !records.some((r) => r.strategy === s && kernelNsPerOp(r, table) !== null),
  );
  const base = costScores(records, costed, table);
  const ranked = order(base);
  const used = new Set<string>();
  for (const r of records.filter((x) => costed.has(x.strategy))) {
    for (const u of unitCounts(r, table)?.keys() ?? []) used.add(u);
  }
  const reorders: string[] = [];
  const same = (o: string[]) => o.join('\u0000') === ranked.join('\u0000');
  for (const unit of [...used].sort()) {
    for (const [factor, verb] of [
      [0.5, 'Halving'],
      [2, 'Doubling'],
    ] as const) {
      const o = order(costScores(records, costed, table, { [unit]: factor }));
      if (!same(o)) reorders.push(`${verb} ${unit} (${table.units[unit]?.ns} ns) orders them ${o.join(' < ')}.`);
    }
  }
  for (const end of ['low', 'high'] as const) {
    const scale = Object.fromEntries(
      [...used].map((u) => [u, (table.units[u]?.[end] ?? 0) / (table.units[u]?.ns || 1)]),
    );
    const o = order(costScores(records, costed, table, scale));
    if (!same(o)) reorders.push(`With every unit at its ${end} end: ${o.join(' < ')}.`);
  }
  return {
    strategies: ranked.map((s) => ({ strategy: s, ns_per_op: base.get(s) as number })),
    uncosted,
    units: [...used].sort().map((u) => ({ unit: u, ...(table.units[u] as CostTable['units'][string]) })),
    sensitivity:
      reorders.length === 0
        ? `No unit halved or doubled, and neither all-low nor all-high costs, changes the order ${ranked.join(' < ')}.`
        : `The order ${ranked.join(' < ')} changes when: ${reorders.join(' ')}`,
  };
}

/** The simulator's own speed per strategy: the geometric mean of its events/s over the timed workloads. */
export function speedSummary(records: readonly FullRecord[]): SpeedSummary {
  const timed = records.filter((r) => r.ops_per_sec !== null && r.ops_per_sec > 0);
  // A strategy's model differs by kernel: one row per kernel when the run has several.
  const kernels = new Set(timed.map((r) => r.kernel)).size > 1;
  const label = (r: FullRecord) => (kernels ? `${r.strategy} (Linux ${r.kernel})` : r.strategy);
  const rows = [...groupBy(timed, label)].map(([strategy, rs]) => {
    const rme = Math.max(...rs.map((r) => r.ops_per_sec_rme ?? 0));
    return {
      strategy,
      text: `${formatRate(geometricMean(rs.map((r) => r.ops_per_sec as number)))} (worst margin ± ${formatPercentValue(rme)}, ${rs.length} workloads)`,
    };
  });
  return { rows };
}
