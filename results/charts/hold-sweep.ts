import * as Plot from '@observablehq/plot';
import type { FullRecord } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { formatBytes, formatCount } from '../number-text.ts';
import { heldAtPeak } from '../report/held.ts';
import { least, mean, most } from '../statistics.ts';
import { pickStrategies, recordsPalette } from './colors.ts';
import { log2Axis, renderPlot, strategyLines } from './svg.ts';

interface Point {
  strategy: string;
  cpus: number;
  /** Tables the workload asked for (allocations): a strategy that fails holds fewer. */
  tables: number;
  footprint: number;
  /** Allocations that failed at this point. */
  failures: number;
}

/**
 * The hold records by strategy, cpus value and workload, in the order each first appears: the first
 * record of each, and the others (more seeds) of those that have more. Nested maps of the names the
 * records share, not a key string and a list per group: a sweep of 10^6 cells has 10^6 groups.
 */
function holdGroups(records: readonly FullRecord[]): { firsts: FullRecord[]; more: Map<number, FullRecord[]> } {
  const index = new Map<string, Map<number, Map<string, number>>>();
  const firsts: FullRecord[] = [];
  const more = new Map<number, FullRecord[]>();
  for (const r of records) {
    if (!isHoldWorkload(r.workload)) continue;
    const byWorkload = inner(inner(index, r.strategy), r.cpus);
    const group = byWorkload.get(r.workload);
    if (group === undefined) {
      byWorkload.set(r.workload, firsts.length);
      firsts.push(r);
    } else {
      const list = more.get(group);
      if (list) list.push(r);
      else more.set(group, [r]);
    }
  }
  return { firsts, more };
}

/** The map under `key`, made empty if there is none. */
function inner<K, K2, V>(outer: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  const found = outer.get(key);
  if (found) return found;
  const made = new Map<K2, V>();
  outer.set(key, made);
  return made;
}

/** One point per strategy, cpus value and hold workload, its seeds averaged; by tables asked for. */
function holdPoints(records: readonly FullRecord[]): Point[] {
  const { firsts, more } = holdGroups(records);
  const points: Point[] = [];
  firsts.forEach((first, group) => {
    const rs = [first, ...(more.get(group) ?? [])];
    const tables = mean(rs.map((r) => r.allocs));
    const footprint = mean(rs.map(heldAtPeak));
    const failures = mean(rs.map((r) => r.alloc_failures));
    if (tables > 0 && footprint > 0) {
      points.push({ strategy: first.strategy, cpus: first.cpus, tables, footprint, failures });
    }
  });
  return points.sort((a, b) => a.tables - b.tables);
}

/** Both axes log2: tables held, and peak held (pages and metadata) in bytes. */
function logAxes(xs: readonly number[], ys: readonly number[]) {
  return {
    x: {
      type: 'log' as const,
      base: 2,
      label: 'tables held (asked for)',
      grid: true,
      ...log2Axis(least(xs), most(xs), 13),
      tickFormat: (d: number) => String(d),
    },
    y: {
      type: 'log' as const,
      base: 2,
      label: 'peak held (pages and metadata)',
      grid: true,
      ...log2Axis(least(ys), most(ys), 9),
      tickFormat: formatBytes,
    },
  };
}

/** The most table counts the chart draws: a sweep of more is drawn at every k-th count. */
const MOST_DRAWN_COUNTS = 1000;

/**
 * The points at the table counts drawn: every count when there are at most `most`, else every k-th
 * count in order (k the fewest that leaves at most `most`) and the last, so that a sweep of 250,000
 * counts is not a page of hundreds of MB. Points are sorted by tables.
 */
function drawnPoints(points: readonly Point[], most: number): { drawn: Point[]; counts: number; kept: number } {
  const counts = [...new Set(points.map((p) => p.tables))];
  if (counts.length <= most) return { drawn: [...points], counts: counts.length, kept: counts.length };
  const every = Math.ceil(counts.length / most);
  const kept = new Set(counts.filter((_, i) => i % every === 0 || i === counts.length - 1));
  return { drawn: points.filter((p) => kept.has(p.tables)), counts: counts.length, kept: kept.size };
}

/** holdSweep, and what its caption must add when the sweep has more counts than it draws ('' when it draws them all). */
export function holdSweepChart(
  records: readonly FullRecord[],
  most = MOST_DRAWN_COUNTS,
): { svg: string; note: string } {
  const points = holdPoints(records);
  if (points.length === 0) return { svg: '', note: '' };
  const { drawn, counts, kept } = drawnPoints(points, most);
  const note =
    kept < counts
      ? ` The sweep measured ${formatCount(counts)} table counts; ${formatCount(kept)} of them are drawn (one in every ${formatCount(Math.ceil(counts / most))} in order, and the last), with every first failure; the crossovers read them all.`
      : '';
  return { svg: sweepPlot(records, points, drawn), note };
}

/**
 * Peak held (pages and metadata, as the answer counts it) against the tables asked for across the
 * `hold:` workloads, log–log, a line with
 * dots per strategy. Where a strategy starts failing allocations, a cross and a label say so (its
 * line goes on, flat, at what it could hold). Seeds are averaged; with several cpus values, one row
 * (facet) per cpus value. '' without hold workloads. At most `most` table counts are drawn (holdSweepChart).
 */
export function holdSweep(records: readonly FullRecord[], most = MOST_DRAWN_COUNTS): string {
  return holdSweepChart(records, most).svg;
}

/** The chart of the points `drawn` of the sweep `points` (its axes and first failures from them all). */
function sweepPlot(records: readonly FullRecord[], points: readonly Point[], drawn: Point[]): string {
  const cpusValues = [...new Set(points.map((p) => p.cpus))].sort((a, b) => a - b);
  const facet = cpusValues.length > 1;
  const xs = points.map((p) => p.tables);
  const ys = points.map((p) => p.footprint);
  const legend = recordsPalette(records);
  const shown = pickStrategies(
    legend,
    points.map((p) => p.strategy),
  );
  // The first point where each strategy fails an allocation, per cpus value, and the table it failed at.
  const failing = [...groupFirst(points.filter((p) => p.failures > 0)).values()].map((p) => ({
    ...p,
    from: firstFailure(p, points),
  }));
  const cpusText = facet ? `cpus=${cpusValues.join(', ')}` : `cpus=${cpusValues[0]}`;
  return renderPlot(
    {
      height: facet ? 120 + 260 * cpusValues.length : 380,
      marginLeft: 64,
      marginRight: facet ? 60 : 20,
      ...logAxes(xs, ys),
      ...(facet ? { fy: { label: 'cpus' } } : {}),
      color: { domain: legend.domain, range: legend.range },
      symbol: { domain: legend.domain, range: legend.symbols },
      marks: [
        ...strategyLines(
          drawn,
          {
            x: 'tables',
            y: 'footprint',
            stroke: 'strategy',
            strokeWidth: 2,
            ...(facet ? { fy: 'cpus' } : {}),
          },
          legend,
        ),
        // Hollow symbols, so that strategies with the same footprint (often) stay visible on one another.
        Plot.dot(drawn, {
          x: 'tables',
          y: 'footprint',
          stroke: 'strategy',
          symbol: 'strategy',
          fill: 'white',
          r: 3.5,
          strokeWidth: 1.5,
          ...(facet ? { fy: 'cpus' } : {}),
        }),
        Plot.dot(failing, {
          x: 'tables',
          y: 'footprint',
          symbol: 'times',
          stroke: '#cf222e',
          r: 5,
          strokeWidth: 2,
          ...(facet ? { fy: 'cpus' } : {}),
        }),
        Plot.text(failing, {
          x: 'tables',
          y: 'footprint',
          text: (p: Point & { from: string }) => `${p.strategy} fails ${p.from}`,
          fill: '#cf222e',
          dy: -10,
          textAnchor: 'end',
          ...(facet ? { fy: 'cpus' } : {}),
        }),
      ],
    },
    { title: `Hold sweep: peak held against tables held (${cpusText})`, legend: shown, symbols: true },
  );
}

/**
 * Which table a strategy first failed at, in words. A hold allocates its tables one by one and frees
 * none before the end, so a strategy that served `allocs − failures` tables failed from the next one
 * on: exact when that count lies past the largest point where it failed nothing, as it does for every
 * allocator whose failures, once they start, go on (dma-pool's atomic pool). Otherwise the points
 * only bound it.
 */
function firstFailure(p: Point, points: readonly Point[]): string {
  const served = p.tables - p.failures;
  const clean = points.filter(
    (q) => q.strategy === p.strategy && q.cpus === p.cpus && q.failures === 0 && q.tables < p.tables,
  );
  const lastClean = Math.max(0, ...clean.map((q) => q.tables));
  return served >= lastClean && Number.isInteger(served)
    ? `from table ${served + 1}`
    : `from somewhere in ${lastClean + 1}..${p.tables} tables`;
}

/** The first point of each (strategy, cpus), points being sorted by tables. */
function groupFirst(points: readonly Point[]): Map<string, Point> {
  const out = new Map<string, Point>();
  for (const p of points) {
    const key = `${p.strategy}\u0000${p.cpus}`;
    if (!out.has(key)) out.set(key, p);
  }
  return out;
}
