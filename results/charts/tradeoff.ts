import * as Plot from '@observablehq/plot';
import type { FullRecord } from '../../core/record.ts';
import { plural } from '../number-text.ts';
import { heldAtPeak } from '../report/held.ts';
import { workloadUnits } from '../report/workload-units.ts';
import { geometricMean } from '../statistics.ts';
import { pickStrategies, recordsPalette } from './colors.ts';
import { CHART_WIDTH, frameTop, renderPlot } from './svg.ts';

/** One point per strategy. */
export interface TradeoffPoint {
  strategy: string;
  /** Geometric mean over the workloads of the modelled kernel ns per event. */
  kernel_ns_per_op: number;
  /** Geometric mean over the workloads of what it held at its peak ÷ the least any strategy drawn held there. */
  footprint_ratio: number;
  /** Workloads averaged over (the hold sweep counted once). */
  cells: number;
}

/**
 * The points of the trade-off chart, weighted as everywhere in the report (workload-units.ts: each
 * workload once, the hold sweep as one): only strategies that may be the answer (applicable, never
 * failed, never misplaced a table), so none that is never the answer is drawn as best; only
 * workloads where every one of them has a modelled cost, so each is averaged over the same ones;
 * memory as the answer counts it, pages and metadata at the peak. [] when nothing could be costed.
 */
export function tradeoffPoints(records: readonly FullRecord[]): TradeoffPoint[] {
  const palette = recordsPalette(records);
  const drawn = new Set(palette.domain.filter((_, i) => palette.excluded[i] === null));
  const cost = (r: FullRecord) => (r.kernel_ns_per_op !== null && r.kernel_ns_per_op > 0 ? r.kernel_ns_per_op : null);
  const costs = workloadUnits(records, cost, drawn);
  const strategies = [...drawn].filter((s) => costs.some((u) => u.figures.has(s)));
  const ids = new Set(costs.filter((u) => strategies.every((s) => u.figures.has(s))).map((u) => u.id));
  const held = workloadUnits(records, heldAtPeak, new Set(strategies)).filter(
    (u) => ids.has(u.id) && strategies.every((s) => u.figures.has(s)) && Math.min(...u.figures.values()) > 0,
  );
  const complete = costs.filter((u) => held.some((h) => h.id === u.id));
  if (complete.length === 0 || strategies.length === 0) return [];
  return strategies.map((s) => ({
    strategy: s,
    kernel_ns_per_op: geometricMean(complete.map((u) => u.figures.get(s) as number)),
    footprint_ratio: geometricMean(held.map((u) => (u.figures.get(s) as number) / Math.min(...u.figures.values()))),
    cells: complete.length,
  }));
}

const HEIGHT = 360;
const MARGIN = { left: 64, right: 110, bottom: 30 };
const INSET = 12;

/**
 * Memory against modelled kernel cost, a labelled point per strategy that may be the answer: x the
 * geometric mean of kernel ns per event, y the geometric mean of peak held relative to the least of
 * each workload (1 = always the smallest; log scale). Lower left is better. Strategies that are not
 * applicable or excluded are not drawn. '' when nothing could be costed.
 */
export function tradeoff(records: readonly FullRecord[]): string {
  const points = tradeoffPoints(records);
  if (points.length === 0) return '';
  const palette = recordsPalette(records);
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
        label: `modelled kernel ns per event (geometric mean over ${plural(n, 'workload')}, the hold sweep as one)`,
        domain: [0, xMax],
        grid: true,
      },
      y: {
        type: 'log',
        label: 'peak held (pages and metadata) ÷ the least (geometric mean)',
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
            text: (d: TradeoffPoint) => d.strategy,
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
    // The 11 px bold label: Chromium draws up to 7 px a character ("dma-pool:coherent_pool=0", 167 px).
    const w = p.strategy.length * 7.2;
    const box = (c: Placement): Box => {
      const left = c.anchor === 'start' ? x + c.dx : c.anchor === 'end' ? x + c.dx - w : x - w / 2;
      return [left, y + c.dy - 7, left + w, y + c.dy + 7];
    };
    const free = candidates.find((c) => {
      const b = box(c);
      // Inside the frame: left of it are the y axis's tick labels.
      if (b[0] < MARGIN.left || b[2] > CHART_WIDTH) return false;
      return !placed.some((o) => overlaps(b, o)) && !dots.some((d, j) => j !== i && overlaps(b, d));
    });
    const chosen = free ?? (candidates[0] as Placement);
    placed.push(box(chosen));
    return chosen;
  });
}
