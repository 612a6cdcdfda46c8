import * as Plot from '@observablehq/plot';
import type { FullRecord } from '../../core/record.ts';
import { plural } from '../number-text.ts';
import { pickStrategies, recordsPalette } from './colors.ts';
import { CHART_WIDTH, frameTop, renderPlot } from './svg.ts';

/** One point per strategy. */
export interface TradeoffPoint {
  strategy: string;
  /** Geometric mean over the cells of the modelled kernel ns per event. */
  kernel_ns_per_op: number;
  /** Geometric mean over the cells of peak footprint ÷ the best qualifying strategy's peak footprint there. */
  footprint_ratio: number;
  /** (workload, cpus, seed) cells averaged over. */
  cells: number;
}

const qualifies = (r: FullRecord) => r.alloc_failures === 0 && r.dma32_violations === 0;

/**
 * The points of the trade-off chart. Only cells (workload, cpus, seed) where every strategy has a
 * modelled kernel cost, so that each strategy is averaged over the same workloads; cells whose best
 * footprint is 0 are left out. [] when nothing could be costed.
 */
export function tradeoffPoints(records: readonly FullRecord[]): TradeoffPoint[] {
  const costed = records.filter((r) => r.kernel_ns_per_op !== null && (r.kernel_ns_per_op as number) > 0);
  const strategies = [...new Set(costed.map((r) => r.strategy))];
  const cells = new Map<string, Map<string, FullRecord>>();
  for (const r of costed) {
    const key = JSON.stringify([r.workload, r.cpus, r.seed]);
    const cell = cells.get(key) ?? new Map<string, FullRecord>();
    if (!cell.has(r.strategy)) cell.set(r.strategy, r);
    cells.set(key, cell);
  }
  // The best footprint of a cell among the strategies that met the hard constraints in it (else all).
  const best = (cell: Map<string, FullRecord>) => {
    const rows = [...cell.values()];
    const ok = rows.filter(qualifies);
    return Math.min(...(ok.length ? ok : rows).map((r) => r.peak_footprint_bytes));
  };
  const complete = [...cells.values()].filter((cell) => strategies.every((s) => cell.has(s)) && best(cell) > 0);
  if (complete.length === 0) return [];
  const geo = (xs: number[]) => Math.exp(xs.reduce((a, b) => a + Math.log(b), 0) / xs.length);
  return strategies.map((s) => ({
    strategy: s,
    kernel_ns_per_op: geo(complete.map((cell) => (cell.get(s) as FullRecord).kernel_ns_per_op as number)),
    footprint_ratio: geo(complete.map((cell) => (cell.get(s) as FullRecord).peak_footprint_bytes / best(cell))),
    cells: complete.length,
  }));
}

const HEIGHT = 360;
const MARGIN = { left: 64, right: 110, bottom: 30 };
const INSET = 12;

/**
 * Footprint against modelled kernel cost, a labelled point per strategy: x the geometric mean of
 * kernel ns per event, y the geometric mean of peak footprint relative to the best qualifying
 * strategy of each workload (1 = always the smallest; log scale). Lower left is better; excluded
 * strategies are muted and named so. '' when nothing could be costed.
 */
export function tradeoff(records: readonly FullRecord[]): string {
  const points = tradeoffPoints(records);
  if (points.length === 0) return '';
  const palette = recordsPalette(records);
  const excluded = new Set(palette.domain.filter((_, i) => palette.excluded[i]));
  const legend = pickStrategies(
    palette,
    points.map((p) => p.strategy),
  );
  const xMax = Math.max(...points.map((p) => p.kernel_ns_per_op)) * 1.1;
  const yMax = Math.max(2, Math.max(...points.map((p) => p.footprint_ratio)) * 1.2);
  const top = frameTop(undefined, legend);
  const n = points[0]?.cells ?? 0;
  const labels = placeLabels(points, (p) => [
    MARGIN.left + INSET + (p.kernel_ns_per_op / xMax) * (CHART_WIDTH - MARGIN.left - MARGIN.right - 2 * INSET),
    HEIGHT -
      MARGIN.bottom -
      INSET -
      (Math.log(p.footprint_ratio) / Math.log(yMax)) * (HEIGHT - MARGIN.bottom - top - 2 * INSET),
  ]);
  return renderPlot(
    {
      height: HEIGHT,
      marginLeft: MARGIN.left,
      marginRight: MARGIN.right,
      marginBottom: MARGIN.bottom,
      inset: INSET,
      x: {
        label: `modelled kernel ns per event (geometric mean over ${plural(n, 'workload')})`,
        domain: [0, xMax],
        grid: true,
      },
      y: {
        type: 'log',
        label: 'peak footprint ÷ best qualifying (geometric mean)',
        grid: true,
        domain: [1, yMax],
        ticks: [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].filter((t) => t <= yMax),
        tickFormat: (d: number) => `${+d.toPrecision(3)}×`,
      },
      color: { domain: palette.domain, range: palette.range },
      symbol: { domain: palette.domain, range: palette.symbols },
      marks: [
        Plot.ruleY([1], { stroke: '#999' }),
        // Hollow symbols, as in the hold sweep: strategies that land on one another stay visible.
        Plot.dot(points, {
          x: 'kernel_ns_per_op',
          y: 'footprint_ratio',
          stroke: 'strategy',
          symbol: 'strategy',
          fill: 'white',
          r: 5,
          strokeWidth: 2,
        }),
        ...points.map((p, i) => {
          const at = labels[i] as Placement;
          return Plot.text([p], {
            x: 'kernel_ns_per_op',
            y: 'footprint_ratio',
            text: (d: TradeoffPoint) => (excluded.has(d.strategy) ? `${d.strategy} (excluded)` : d.strategy),
            fill: 'strategy',
            dx: at.dx,
            dy: at.dy,
            textAnchor: at.anchor,
            fontWeight: 600,
          });
        }),
      ],
    },
    { title: 'Trade-off: footprint against modelled kernel cost (lower left is better)', legend, symbols: true },
  );
}

interface Placement {
  dx: number;
  dy: number;
  anchor: 'start' | 'end' | 'middle';
}

/** Where to put each point's label so that labels do not cover each other or the dots (greedy, pixel estimates). */
function placeLabels(points: TradeoffPoint[], pixel: (p: TradeoffPoint) => [number, number]): Placement[] {
  type Box = [number, number, number, number];
  const xy = points.map(pixel);
  const dots: Box[] = xy.map(([x, y]) => [x - 6, y - 6, x + 6, y + 6]);
  const placed: Box[] = [];
  const candidates: Placement[] = [
    { dx: 8, dy: 0, anchor: 'start' },
    { dx: -8, dy: 0, anchor: 'end' },
    { dx: 8, dy: -12, anchor: 'start' },
    { dx: 8, dy: 12, anchor: 'start' },
    { dx: -8, dy: -12, anchor: 'end' },
    { dx: -8, dy: 12, anchor: 'end' },
    { dx: 0, dy: -14, anchor: 'middle' },
    { dx: 0, dy: 14, anchor: 'middle' },
    { dx: 8, dy: -24, anchor: 'start' },
    { dx: 8, dy: 24, anchor: 'start' },
  ];
  const overlaps = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
  return points.map((p, i) => {
    const [x, y] = xy[i] as [number, number];
    const w = p.strategy.length * 6.8;
    const box = (c: Placement): Box => {
      const left = c.anchor === 'start' ? x + c.dx : c.anchor === 'end' ? x + c.dx - w : x - w / 2;
      return [left, y + c.dy - 7, left + w, y + c.dy + 7];
    };
    const free = candidates.find((c) => {
      const b = box(c);
      if (b[0] < 0 || b[2] > CHART_WIDTH) return false;
      return !placed.some((o) => overlaps(b, o)) && !dots.some((d, j) => j !== i && overlaps(b, d));
    });
    const chosen = free ?? (candidates[0] as Placement);
    placed.push(box(chosen));
    return chosen;
  });
}
