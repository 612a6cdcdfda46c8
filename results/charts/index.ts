import type { FullRecord } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { footprintOverTime } from './footprint-over-time.ts';
import { holdSweepChart } from './hold-sweep.ts';
import { strandedUnderChurn } from './stranded-under-churn.ts';
import { tradeoff } from './tradeoff.ts';

export { FALLBACK_PALETTE, STRATEGY_COLORS, strategyPalette } from './colors.ts';
export { footprintOverTime } from './footprint-over-time.ts';
export { holdSweep } from './hold-sweep.ts';
export { strandedUnderChurn } from './stranded-under-churn.ts';
export { tradeoff, tradeoffPoints } from './tradeoff.ts';

/** A rendered chart for the report. */
export interface Chart {
  title: string;
  svg: string;
  /** What to read from it, one or two sentences. */
  caption?: string;
}

/**
 * The report's charts, in order: footprint over time for each non-hold workload (its first cpus
 * value and seed), the hold sweep, the trade-off and stranded memory under churn. Charts without
 * data are left out.
 */
export function reportCharts(records: readonly FullRecord[]): Chart[] {
  const charts: Chart[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (isHoldWorkload(r.workload) || seen.has(r.workload)) continue;
    seen.add(r.workload);
    charts.push({
      title: `Footprint over time: ${r.workload}`,
      svg: footprintOverTime(records, r.workload, r.cpus, r.seed),
      caption: `Pages each strategy holds from the page allocator as the workload runs (cpus=${r.cpus}, seed=${r.seed}; log scale; each point is the highest footprint of its stretch of events).`,
    });
  }
  const sweep = holdSweepChart(records);
  charts.push(
    {
      title: 'Hold sweep: peak held against tables held',
      svg: sweep.svg,
      caption: `What each strategy held at its peak, pages and metadata, for a given number of tables held at once, log–log. Where lines cross, the cheaper strategy changes. A red cross marks the first point measured where a strategy fails allocations, and its label the table it first failed at; strategies that are excluded or not applicable are drawn muted, beneath the others, and named so.${sweep.note}`,
    },
    {
      title: 'Trade-off: footprint against modelled kernel cost',
      svg: tradeoff(records),
      caption:
        'Each strategy that may be the answer at its modelled kernel cost (ns per event, from exact operation counts and the cost table) and what it held at its peak, pages and metadata, relative to the least of each workload (geometric mean; 1× = always the smallest); each workload counts once, the hold sweep as one, as in the answer. Lower left is better. Strategies that are excluded or not applicable are not drawn: they are never the answer.',
    },
    {
      title: 'Stranded memory under churn',
      svg: strandedUnderChurn(records),
      caption:
        'Freed table memory a strategy still holds but cannot hand out again, at its highest, for each churn workload.',
    },
  );
  return charts.filter((c) => c.svg !== '');
}
