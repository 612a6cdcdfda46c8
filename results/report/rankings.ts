import { comparedCellId } from '../../core/cell-key.ts';
import { METRICS, type MetricDef } from '../../core/metrics.ts';
import type { FullRecord } from '../../core/record.ts';
import { metricValue } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { formatMetric } from '../metric-text.ts';
import { exclusionOf } from './constraints.ts';
import type { CellRanking, MetricRanking, RankedValue } from './model.ts';
import { groupBy } from './record-groups.ts';

/** The metrics ranked per workload, in report order: those the registry marks `rank`. */
const RANKED_METRICS = METRICS.filter((m) => m.rank && m.better !== 'neutral');

/** Two throughputs whose 95 % margins overlap cannot be told apart. */
function overlap(a: FullRecord, b: FullRecord): boolean {
  const x = a.ops_per_sec ?? 0;
  const y = b.ops_per_sec ?? 0;
  const mx = (x * (a.ops_per_sec_rme ?? 0)) / 100;
  const my = (y * (b.ops_per_sec_rme ?? 0)) / 100;
  return Math.abs(x - y) <= mx + my;
}

/**
 * Rank one metric among the strategies of one cell that met the hard constraints there; equal
 * values share a rank. Excluded strategies follow, unranked: a strategy that failed allocations or
 * placed tables above 4 GiB in a cell is never best in it, whatever its figures.
 */
function rank(rows: readonly FullRecord[], m: MetricDef): RankedValue[] {
  const value = (r: FullRecord) => metricValue(r, m);
  const numeric = rows.filter((r) => typeof value(r) === 'number');
  const ranked = numeric.filter((r) => exclusionOf(r) === null);
  const sorted = [...ranked].sort((a, b) =>
    m.better === 'lower' ? (value(a) as number) - (value(b) as number) : (value(b) as number) - (value(a) as number),
  );
  const out: RankedValue[] = sorted.map((r, i) => {
    const v = value(r) as number;
    const prev = sorted[i - 1];
    return {
      strategy: r.strategy,
      value: v,
      text: formatMetric(m, r),
      rank: sorted.findIndex((s) => value(s) === v) + 1,
      tie: sorted.some((s) => s !== r && value(s) === v),
      within_noise: m.kind === 'timing' && prev !== undefined && overlap(prev, r),
    };
  });
  for (const r of numeric.filter((x) => exclusionOf(x) !== null)) {
    out.push({
      strategy: r.strategy,
      value: value(r) as number,
      text: formatMetric(m, r),
      rank: null,
      tie: false,
      within_noise: false,
    });
  }
  return out;
}

/** Rankings per cell (hold sweep points excluded: the sweep chart and crossovers cover them). */
export function rankings(records: readonly FullRecord[]): CellRanking[] {
  const out: CellRanking[] = [];
  for (const rows of groupBy(
    records.filter((r) => !isHoldWorkload(r.workload)),
    comparedCellId,
  ).values()) {
    const first = rows[0] as FullRecord;
    const metrics: MetricRanking[] = [];
    for (const m of RANKED_METRICS) {
      const ranked = rank(rows, m);
      if (ranked.length === 0) continue;
      metrics.push({ metric: m.key, label: m.label, better: m.better as 'lower' | 'higher', rows: ranked });
    }
    out.push({
      workload: first.workload,
      cpus: first.cpus,
      kernel: first.kernel,
      seed: first.seed,
      strategies: rows.map((r) => ({
        strategy: r.strategy,
        allocs: r.allocs,
        alloc_failures: r.alloc_failures,
        dma32_violations: r.dma32_violations,
        excluded: exclusionOf(r),
      })),
      metrics,
    });
  }
  return out;
}
