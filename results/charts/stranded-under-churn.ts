import * as Plot from '@observablehq/plot';
import type { FullRecord } from '../../core/record.ts';
import { isWorkloadOf, WORKLOAD_NAMES } from '../../core/workload-kind.ts';
import { formatBytes } from '../number-text.ts';
import { recordsPalette } from './colors.ts';
import { renderPlot } from './svg.ts';

interface Bar {
  cell: string;
  strategy: string;
  stranded: number;
}

/**
 * Peak stranded bytes (freed table memory held but not reusable) per strategy, one panel per
 * `churn:` workload (and per cpus/seed when the run has several). '' without churn workloads.
 */
export function strandedUnderChurn(records: readonly FullRecord[]): string {
  const churn = records.filter((r) => isWorkloadOf(r.workload, WORKLOAD_NAMES.churn));
  if (churn.length === 0) return '';
  const several = new Set(churn.map((r) => `${r.cpus}/${r.seed}`)).size > 1;
  const bars: Bar[] = churn.map((r) => ({
    cell: several ? `${r.workload} (cpus=${r.cpus}, seed=${r.seed})` : r.workload,
    strategy: r.strategy,
    stranded: r.peak_stranded_bytes,
  }));
  const cells = [...new Set(bars.map((b) => b.cell))];
  const palette = recordsPalette(records);
  const strategies = palette.domain.filter((s) => bars.some((b) => b.strategy === s));
  const max = Math.max(...bars.map((b) => b.stranded));
  const ticks = binaryTicks(max, 7);
  const panel = strategies.length * 18 + 30;
  // Room for the longest name on the y axis (11 px text, at most 6.6 px a character in Chromium).
  const marginLeft = Math.max(90, Math.ceil(14 + 6.6 * Math.max(...strategies.map((x) => x.length))));
  return renderPlot(
    {
      height: 30 + 40 + cells.length * panel,
      marginTop: 30,
      marginLeft,
      marginRight: 70,
      x: {
        label: 'peak stranded bytes',
        grid: true,
        domain: [0, ticks[ticks.length - 1] as number],
        ticks,
        tickFormat: formatBytes,
      },
      y: { domain: strategies, label: null },
      fy: { domain: cells, axis: null, padding: 0.22 },
      color: { domain: palette.domain, range: palette.range },
      marks: [
        Plot.barX(bars, { fy: 'cell', y: 'strategy', x: 'stranded', fill: 'strategy' }),
        Plot.text(bars, {
          fy: 'cell',
          y: 'strategy',
          x: 'stranded',
          text: (b: Bar) => formatBytes(b.stranded),
          dx: 4,
          textAnchor: 'start',
        }),
        Plot.text(cells, {
          fy: (c: string) => c,
          text: (c: string) => c,
          frameAnchor: 'top-left',
          dy: -8,
          dx: 4 - marginLeft,
          lineAnchor: 'bottom',
          fontWeight: 600,
        }),
        Plot.ruleX([0]),
      ],
    },
    { title: 'Stranded memory under churn: peak stranded bytes per strategy' },
  );
}

/** 0 to at least `max` in binary-friendly steps (a power of two bytes), about `count` ticks. */
function binaryTicks(max: number, count: number): number[] {
  if (!(max > 0)) return [0, 1024];
  let step = 2 ** Math.ceil(Math.log2(max / count));
  if (max / step < 3) step /= 2;
  const ticks: number[] = [];
  for (let t = 0; t < max + step; t += step) ticks.push(t);
  return ticks;
}
