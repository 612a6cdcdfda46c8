import type { CellRecord, FullRecord } from '../../harness/record.ts';
import type { RankedValue, Ranking } from './model.ts';
import { bytes, cellKey, groupBy, isHold, percent, rate } from './util.ts';

interface Metric {
  key: keyof CellRecord;
  label: string;
  better: 'low' | 'high';
  show: (v: number, r: FullRecord) => string;
}

/** The metrics ranked per workload, in report order. */
export const RANKED_METRICS: Metric[] = [
  { key: 'peak_footprint_bytes', label: 'peak footprint', better: 'low', show: bytes },
  { key: 'mean_footprint_bytes', label: 'mean footprint', better: 'low', show: bytes },
  { key: 'frag_mean', label: 'J&W mean frag', better: 'low', show: (v) => v.toFixed(2) },
  { key: 'frag_at_peak_live', label: 'J&W frag at peak live', better: 'low', show: (v) => v.toFixed(2) },
  { key: 'frag_at_peak_footprint', label: 'J&W frag at peak footprint', better: 'low', show: (v) => v.toFixed(2) },
  { key: 'frag_peak_over_peak', label: 'J&W peak over peak', better: 'low', show: (v) => v.toFixed(2) },
  { key: 'reuse_rate', label: 'reuse', better: 'high', show: (v) => percent(v) },
  { key: 'peak_stranded_bytes', label: 'peak stranded', better: 'low', show: bytes },
  { key: 'page_alloc_calls', label: 'page-allocator calls', better: 'low', show: (v) => String(v) },
  {
    key: 'ops_per_sec',
    label: 'throughput',
    better: 'high',
    show: (v, r) => `${rate(v)} ± ${(r.ops_per_sec_rme ?? 0).toFixed(1)} %`,
  },
];

/** Two throughputs whose 95 % margins overlap cannot be told apart. */
function overlap(a: FullRecord, b: FullRecord): boolean {
  const x = a.ops_per_sec ?? 0;
  const y = b.ops_per_sec ?? 0;
  const mx = (x * (a.ops_per_sec_rme ?? 0)) / 100;
  const my = (y * (b.ops_per_sec_rme ?? 0)) / 100;
  return Math.abs(x - y) <= mx + my;
}

/** Rank one metric among the strategies of one cell; equal values share a rank. */
export function rank(rows: readonly FullRecord[], m: Metric): RankedValue[] {
  const withValue = rows.filter((r) => typeof r[m.key] === 'number');
  const sorted = [...withValue].sort((a, b) =>
    m.better === 'low' ? (a[m.key] as number) - (b[m.key] as number) : (b[m.key] as number) - (a[m.key] as number),
  );
  return sorted.map((r, i) => {
    const v = r[m.key] as number;
    const first = sorted.findIndex((s) => s[m.key] === v);
    const prev = sorted[i - 1];
    return {
      strategy: r.strategy,
      value: v,
      text: m.show(v, r),
      rank: first + 1,
      tie: sorted.some((s) => s !== r && s[m.key] === v),
      within_noise: m.key === 'ops_per_sec' && prev !== undefined && overlap(prev, r),
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
        better: m.better,
        rows: ranked,
      });
    }
  }
  return out;
}
