import type { FullRecord } from '../../core/record.ts';
import { formatBytes } from '../number-text.ts';
import { pickStrategies, recordsPalette } from './colors.ts';
import { log2Axis, renderPlot, strategyLines } from './svg.ts';

interface Point {
  strategy: string;
  event: number;
  footprint: number;
}

/**
 * Footprint over time in one (workload, cpus, seed) cell: a line per strategy through its
 * footprint series (each point the highest footprint of its stride). The y axis is logarithmic,
 * because strategies differ by orders of magnitude (genalloc's 4 MiB block against a few slabs);
 * with a zero in the data it is symlog, linear below one page. '' when the cell has no series.
 */
export function footprintOverTime(
  records: readonly FullRecord[],
  workload: string,
  cpus: number,
  seed: number,
): string {
  const cell = records.filter((r) => r.workload === workload && r.cpus === cpus && r.seed === seed);
  const points: Point[] = [];
  for (const r of cell) {
    const s = r.detail.series;
    for (let i = 0; i < s.event.length; i++) {
      points.push({ strategy: r.strategy, event: s.event[i] as number, footprint: s.footprint_bytes[i] as number });
    }
  }
  if (points.length === 0) return '';
  const ys = points.map((p) => p.footprint);
  const hi = Math.max(...ys);
  const positive = ys.filter((y) => y > 0);
  const lo = positive.length > 0 ? Math.min(...positive) : 4096;
  const hasZero = positive.length < ys.length;
  const axis = log2Axis(lo, Math.max(hi, lo));
  const legend = recordsPalette(records);
  const shown = pickStrategies(
    legend,
    cell.filter((r) => r.detail.series.event.length > 0).map((r) => r.strategy),
  );
  const title = `Footprint over time: ${workload} (cpus=${cpus}, seed=${seed})`;
  return renderPlot(
    {
      height: 300,
      marginLeft: 64,
      x: { label: 'event', grid: true, tickFormat: '~s' },
      y: {
        type: hasZero ? 'symlog' : 'log',
        ...(hasZero ? { constant: 4096 } : { base: 2 }),
        label: 'footprint (pages held from the page allocator)',
        inset: 6,
        grid: true,
        domain: hasZero ? [0, axis.domain[1]] : axis.domain,
        ticks: hasZero ? [0, ...axis.ticks] : axis.ticks,
        tickFormat: formatBytes,
      },
      color: { domain: legend.domain, range: legend.range },
      marks: [
        ...strategyLines(
          points,
          {
            x: 'event',
            y: 'footprint',
            stroke: 'strategy',
            strokeWidth: 2,
            curve: 'step-after',
          },
          legend,
        ),
      ],
    },
    { title, legend: shown },
  );
}
