import { compareKernels } from '../../core/kernel.ts';
import type { FullRecord } from '../../core/record.ts';
import {
  type CostTable,
  contendedScale,
  kernelNsPerOp,
  type UnitScale,
  unitCounts,
  walkerNsPerOp,
  walkerOpNs,
} from '../costs.ts';
import { formatCount, formatPercentValue, formatRate } from '../number-text.ts';
import { geometricMean, most } from '../statistics.ts';
import type { CostSummary, SpeedSummary } from './model.ts';
import { groupBy } from './record-groups.ts';
import type { ScopeFacts } from './scope.ts';
import { workloadUnits } from './workload-units.ts';

/**
 * A cost as the report prints it: two significant digits, and the range from every unit at its low
 * end to every unit at its high end. The units carry 3–10× ranges; more digits would claim a
 * precision the model does not have.
 */
export function formatNs(c: { ns_per_op: number; low: number; high: number }): string {
  return `${sig2(c.ns_per_op)} ns (${sig2(c.low)}–${sig2(c.high)})`;
}

/** Two significant digits, thousands separated: 0.53, 22, 180, 1,200. */
export function sig2(x: number): string {
  return formatCount(Number(x.toPrecision(2)));
}

/**
 * Each strategy's modelled kernel cost over the records (one platform's and kernel's): per workload
 * (the hold sweep as one, workload-units.ts) the mean ns per event, then the geometric mean over the
 * workloads where every strategy in `among` could be costed, so all are averaged over the same ones.
 */
function costScores(
  records: readonly FullRecord[],
  among: ReadonlySet<string>,
  cost: (r: FullRecord) => number | null,
): Map<string, number> {
  const units = workloadUnits(
    records,
    (r) => {
      const c = cost(r);
      return c === null || c <= 0 ? null : c;
    },
    among,
  ).filter((u) => [...among].every((s) => u.figures.has(s)));
  const out = new Map<string, number>();
  if (units.length === 0) return out;
  for (const s of among) out.set(s, geometricMean(units.map((u) => u.figures.get(s) as number)));
  return out;
}

const order = (scores: Map<string, number>) => [...scores].sort((a, b) => a[1] - b[1]).map(([s]) => s);

/** The scale that puts every unit used at its low or high end. */
function endScale(table: CostTable, used: ReadonlySet<string>, end: 'low' | 'high'): UnitScale {
  return Object.fromEntries([...used].map((u) => [u, (table.units[u]?.[end] ?? 0) / (table.units[u]?.ns || 1)]));
}

type Scorer = (scale?: UnitScale) => Map<string, number>;

/** Each one-unit change (halved, doubled) and each all-low or all-high end that reorders the strategies. */
function reorderings(
  scored: Scorer,
  ranked: readonly string[],
  used: ReadonlySet<string>,
  table: CostTable,
  ends: { low: Map<string, number>; high: Map<string, number> },
): string[] {
  const reorders: string[] = [];
  const same = (o: string[]) => o.join('\u0000') === ranked.join('\u0000');
  for (const unit of [...used].sort()) {
    for (const [factor, verb] of [
      [0.5, 'Halving'],
      [2, 'Doubling'],
    ] as const) {
      const o = order(scored({ [unit]: factor }));
      if (!same(o)) reorders.push(`${verb} ${unit} (${table.units[unit]?.ns} ns) orders them ${o.join(' < ')}.`);
    }
  }
  for (const end of ['low', 'high'] as const) {
    const o = order(ends[end]);
    if (!same(o)) reorders.push(`With every unit at its ${end} end: ${o.join(' < ')}.`);
  }
  return reorders;
}

/** What contention changes, priced only where a source measured it. */
function contentionText(
  scored: Scorer,
  ranked: readonly string[],
  used: ReadonlySet<string>,
  table: CostTable,
  kernel: string,
): string {
  const { scale: contended, cpus } = contendedScale(table);
  const paid = Object.keys(contended).filter((u) => used.has(u));
  if (!paid.length) return 'No unit the strategies pay has a contended figure in the cost table.';
  const c = scored(contended);
  const o = order(c);
  const same = o.join('\u0000') === ranked.join('\u0000');
  const text = o.map((s) => `${s} ${sig2(c.get(s) as number)} ns`).join(', ');
  let contention = `With ${cpus.join(' or ')} CPUs allocating at once, as [S14b] measured it for ${paid.join(', ')} (x86, Linux 4.6; the other units as uncontended): ${text}${same ? ': the same order' : `: the order becomes ${o.join(' < ')}`}.`;
  // 44042b449872 (v5.13) put orders 1-3 on the per-CPU lists too: the zone lock [S14b] measured is then rarer.
  if (compareKernels(kernel, '5.13') >= 0 && paid.some((u) => /order[1-3]$/.test(u)))
    contention += ` Since 44042b449872 (v5.13) orders 1 to 3 also come from the per-CPU lists, so the order-3 contention [S14b] measured on the zone lock overstates Linux ${kernel}.`;
  return contention;
}

/** The walker's cache maintenance: the same for every strategy, on a platform whose walker is not coherent. */
function walkerSummary(
  table: CostTable,
  facts: ScopeFacts,
  mine: readonly FullRecord[],
  costed: ReadonlySet<string>,
  ranked: readonly string[],
): CostSummary['walker'] {
  const w = table.walker;
  if (!w) return null;
  const unitsOf = (counts: Readonly<Record<string, number>>) => new Set(Object.keys(counts));
  const op = (name: string, counts: Readonly<Record<string, number>>) => ({
    op: name,
    counts: Object.entries(counts)
      .map(([u, n]) => `${n} × ${u}`)
      .join(' + '),
    ns: walkerOpNs(counts, table),
    low: walkerOpNs(counts, table, endScale(table, unitsOf(counts), 'low')),
    high: walkerOpNs(counts, table, endScale(table, unitsOf(counts), 'high')),
  });
  const withWalker = facts.coherentWalk
    ? null
    : costScores(mine, costed, (r) => {
        const a = kernelNsPerOp(r, table);
        const m = walkerNsPerOp(r, table);
        return a === null || m === null ? null : a + m;
      });
  return {
    coherent: facts.coherentWalk,
    source: facts.coherentSource,
    ops: [
      op('a table created (a page mapped into a new L2 table)', w.table_alloc),
      op('a table freed (a 1M/16M unmap)', w.table_free),
      op('a page mapped into an existing table', w.page_map),
      op('a page unmapped', w.page_unmap),
    ],
    with_walker: withWalker ? ranked.map((s) => ({ strategy: s, ns_per_op: withWalker.get(s) as number })) : [],
  };
}

/**
 * The modelled kernel cost of the strategies that may be the answer, cheapest first, with the range
 * of each (every unit low, every unit high), and how robust that order is: every unit the run's
 * strategies pay, halved and doubled one at a time, and all units at their low and at their high
 * ends; each change that reorders the strategies is named. Then what contention, where a source
 * measured it, changes, and the cache maintenance of the platform's walker.
 */
export function costSummary(
  records: readonly FullRecord[],
  eligible: ReadonlySet<string>,
  table: CostTable,
  facts: ScopeFacts,
  kernel: string,
): CostSummary {
  const costed = new Set(
    [...eligible].filter((s) => records.some((r) => r.strategy === s && kernelNsPerOp(r, table) !== null)),
  );
  // Every strategy of the run the table cannot cost, eligible or not: its column stays empty.
  const uncosted = [...new Set(records.map((r) => r.strategy))].filter(
    (s) => !records.some((r) => r.strategy === s && kernelNsPerOp(r, table) !== null),
  );
  const mine = records.filter((x) => costed.has(x.strategy));
  const scored: Scorer = (scale = {}) => costScores(mine, costed, (r) => kernelNsPerOp(r, table, scale));
  const base = scored();
  const ranked = order(base);
  const used = new Set<string>();
  for (const r of mine) for (const u of unitCounts(r, table)?.keys() ?? []) used.add(u);
  const low = scored(endScale(table, used, 'low'));
  const high = scored(endScale(table, used, 'high'));
  const reorders = reorderings(scored, ranked, used, table, { low, high });
  const units = [...used, ...(table.walker && !facts.coherentWalk ? Object.keys(table.walker.table_alloc) : [])];
  return {
    strategies: ranked.map((s) => ({
      strategy: s,
      ns_per_op: base.get(s) as number,
      low: low.get(s) as number,
      high: high.get(s) as number,
    })),
    uncosted,
    units: [...new Set(units)].sort().map((u) => ({ unit: u, ...(table.units[u] as CostTable['units'][string]) })),
    sensitivity:
      reorders.length === 0
        ? `No unit halved or doubled, and neither all-low nor all-high costs, changes the order ${ranked.join(' < ')}.`
        : `The order ${ranked.join(' < ')} changes when: ${reorders.join(' ')}`,
    contention: contentionText(scored, ranked, used, table, kernel),
    walker: walkerSummary(table, facts, mine, costed, ranked),
  };
}

/**
 * The simulator's own speed per strategy: the geometric mean of its events/s over the timed
 * workloads. The speed of this JavaScript model, reported apart: never ranked, never an input to the answer.
 */
export function speedSummary(records: readonly FullRecord[]): SpeedSummary {
  const timed = records.filter((r) => r.ops_per_sec !== null && r.ops_per_sec > 0);
  // A strategy's model differs by kernel: one row per kernel when the run has several.
  const kernels = new Set(timed.map((r) => r.kernel)).size > 1;
  const label = (r: FullRecord) => (kernels ? `${r.strategy} (Linux ${r.kernel})` : r.strategy);
  const rows = [...groupBy(timed, label)].map(([strategy, rs]) => {
    const rme = most(rs.map((r) => r.ops_per_sec_rme ?? 0));
    return {
      strategy,
      text: `${formatRate(geometricMean(rs.map((r) => r.ops_per_sec as number)))} (worst margin ± ${formatPercentValue(rme)}, ${rs.length} workloads)`,
    };
  });
  return { rows };
}
