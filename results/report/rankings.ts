import { comparedCellId } from '../../core/cell-key.ts';
import { METRICS, type MetricDef } from '../../core/metrics.ts';
import type { FullRecord } from '../../core/record.ts';
import { metricValue } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { formatMetric } from '../metric-text.ts';
import { notApplicableOf } from './applicability.ts';
import { exclusionOf } from './constraints.ts';
import type { CellRanking, KernelAnswer, MetricRanking, RankedValue } from './model.ts';
import { groupBy } from './record-groups.ts';
import { platformOf } from './scope.ts';

/**
 * The metrics ranked per workload, in report order: those the registry marks `rank`, but never a
 * timing one. The simulator's throughput is the speed of this JavaScript model (±150 % on a busy
 * machine), not of the kernel: it is reported apart, in the harness speed section, never ranked.
 */
const RANKED_METRICS = METRICS.filter((m) => m.rank && m.better !== 'neutral' && m.kind !== 'timing');

/**
 * Rank one metric among the strategies of one cell that may be ranked there; equal values share a
 * rank. The others follow, unranked: a strategy that is not applicable on the platform, or that
 * failed allocations or placed tables above 4 GiB anywhere in its platform's and kernel's records,
 * is never best, whatever its figures.
 */
function rank(rows: readonly FullRecord[], m: MetricDef, unranked: (r: FullRecord) => string | null): RankedValue[] {
  const value = (r: FullRecord) => metricValue(r, m);
  const numeric = rows.filter((r) => typeof value(r) === 'number');
  const ranked = numeric.filter((r) => unranked(r) === null);
  const sorted = [...ranked].sort((a, b) =>
    m.better === 'lower' ? (value(a) as number) - (value(b) as number) : (value(b) as number) - (value(a) as number),
  );
  const out: RankedValue[] = sorted.map((r, _i) => {
    const v = value(r) as number;
    return {
      strategy: r.strategy,
      value: v,
      text: formatMetric(m, r),
      rank: sorted.findIndex((s) => value(s) === v) + 1,
      tie: sorted.some((s) => s !== r && value(s) === v),
    };
  });
  for (const r of numeric.filter((x) => unranked(x) !== null)) {
    out.push({
      strategy: r.strategy,
      value: value(r) as number,
      text: formatMetric(m, r),
      rank: null,
      tie: false,
    });
  }
  return out;
}

/**
 * Why a record is not ranked: not applicable on its platform; failed or misplaced in this cell; or
 * excluded by its platform's and kernel's records elsewhere (a strategy that failed anywhere is never
 * the answer, so never best in any table). Null when it may be ranked.
 */
function unrankedWhy(r: FullRecord, answers: readonly KernelAnswer[]): string | null {
  const gate = answers
    .find((a) => a.kernel === r.kernel && a.platform === platformOf(r))
    ?.constraints.find((c) => c.strategy === r.strategy);
  const na = notApplicableOf(r) ?? (gate && !gate.applicable ? gate.not_applicable : null);
  if (na !== null) return `not applicable: ${na}`;
  const here = exclusionOf(r);
  if (here !== null) return here;
  if (gate && !gate.qualifies) return `elsewhere in this run: ${gate.verdict}`;
  return null;
}

/** Rankings per cell (hold sweep points excluded: the sweep chart and crossovers cover them). */
export function rankings(records: readonly FullRecord[], answers: readonly KernelAnswer[] = []): CellRanking[] {
  const out: CellRanking[] = [];
  for (const rows of groupBy(
    records.filter((r) => !isHoldWorkload(r.workload)),
    comparedCellId,
  ).values()) {
    const first = rows[0] as FullRecord;
    const metrics: MetricRanking[] = [];
    for (const m of RANKED_METRICS) {
      const ranked = rank(rows, m, (r) => unrankedWhy(r, answers));
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
        placement_violations: r.placement_violations,
        excluded: unrankedWhy(r, answers),
      })),
      metrics,
    });
  }
  return out;
}
