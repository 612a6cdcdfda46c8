import { formatMetric, METRICS, type MetricDef, metricValue } from '../metrics.ts';
import type { FullRecord } from '../record.ts';
import type { RankedValue, Ranking } from './model.ts';
import { cellKey, groupBy, isHold } from './util.ts';

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

/** Rank one metric among the strategies of one cell; equal values share a rank. */
function rank(rows: readonly FullRecord[], m: MetricDef): RankedValue[] {
  const value = (r: FullRecord) => metricValue(r, m);
  const withValue = rows.filter((r) => typeof value(r) === 'number');
  const sorted = [...withValue].sort((a, b) =>
    m.better === 'lower' ? (value(a) as number) - (value(b) as number) : (value(b) as number) - (value(a) as number),
  );
  return sorted.map((r, i) => {
    const v = value(r) as number;
    const first = sorted.findIndex((s) => value(s) === v);
    const prev = sorted[i - 1];
    return {
      strategy: r.strategy,
      value: v,
      text: formatMetric(m, r),
      rank: first + 1,
      tie: sorted.some((s) => s !== r && value(s) === v),
      within_noise: m.kind === 'timing' && prev !== undefined && overlap(prev, r),
    };
  });
}

/** Rankings per workload (hold sweep points excluded: the sweep chart and crossovers cover them). */
export function rankings(records: readonly FullRecord[]): Ranking[] {
  const out: Ranking[] = [];
  for (const rows of groupBy(
    records.filter((r) => !isHold(r)),
    cellKey,
  ).values()) {
    const first = rows[0] as FullRecord;
    for (const m of RANKED_METRICS) {
      const ranked = rank(rows, m);
      if (ranked.length === 0) continue;
      out.push({
        workload: first.workload,
        cpus: first.cpus,
        seed: first.seed,
        metric: m.key,
        label: m.label,
        better: m.better as 'lower' | 'higher',
        rows: ranked,
      });
    }
  }
  return out;
}
