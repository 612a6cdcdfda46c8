import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { chartLabel, type StrategyPalette, type StrategySymbol } from './colors.ts';

/** Width of every chart, in px (the HTML report's text column is about as wide). */
export const CHART_WIDTH = 760;

const SVG_NS = 'http://www.w3.org/2000/svg';
const LEGEND_ROW = 18;
const LEGEND_TOP = 18;

export interface ChartFrame {
  /** Read by screen readers (aria-label) and shown as a tooltip (<title>). */
  title: string;
  /** A swatch legend of these strategies, drawn inside the SVG above the plot. */
  legend?: StrategyPalette;
  /** Show each strategy's dot symbol on its swatch (for charts that draw Plot symbols). */
  symbols?: boolean;
}

/**
 * Render Plot options to a standalone SVG string through linkedom: fixed width, xmlns set, a
 * <title> and aria-label, and optionally a strategy legend drawn into the top margin.
 */
export function renderPlot(options: Plot.PlotOptions, frame: ChartFrame): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const marginTop = frameTop(options.marginTop, frame.legend);
  const svg = Plot.plot({
    width: CHART_WIDTH,
    style: { fontSize: '11px', background: 'white' },
    ...options,
    marginTop,
    ariaLabel: frame.title,
    document: document as unknown as Document,
  });
  if (svg.tagName.toLowerCase() !== 'svg')
    throw new Error('Plot returned a figure: leave title and legend to renderPlot');
  svg.setAttribute('xmlns', SVG_NS);
  svg.setAttribute('role', 'img');
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = frame.title;
  svg.insertBefore(title, svg.firstChild);
  if (frame.legend) {
    const legend = legendGroup(
      document as unknown as Document,
      frame.legend,
      options.marginLeft ?? 40,
      !!frame.symbols,
    );
    svg.appendChild(legend);
  }
  return serialize(svg);
}

/**
 * Markup of an SVG element. linkedom's outerHTML leaves `<`, `>` and `&` raw in attribute values
 * (an aria-label holding a workload name), so serialize here: text and attribute values always
 * escaped, <style> content as it is.
 */
function serialize(node: Node): string {
  if (node.nodeType === 3) {
    const text = node.textContent ?? '';
    return node.parentNode?.nodeName.toLowerCase() === 'style' ? text : escapeXml(text);
  }
  if (node.nodeType !== 1) return '';
  const el = node as Element;
  const attrs = Array.from(el.attributes, (a) => ` ${a.name}="${escapeXml(a.value)}"`).join('');
  const children = Array.from(el.childNodes, serialize).join('');
  return children === '' ? `<${el.localName}${attrs}/>` : `<${el.localName}${attrs}>${children}</${el.localName}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/**
 * The top margin renderPlot gives a chart: Plot draws the y-axis label at the very top of the SVG,
 * and the legend goes between it and the frame.
 */
export function frameTop(marginTop: number | undefined, legend: StrategyPalette | undefined): number {
  const rows = legend ? legendLayout(legend).rows : 0;
  return (marginTop ?? 20) + (rows > 0 ? rows * LEGEND_ROW + 6 : 0);
}

/** Swatches wrap onto rows; text width is estimated (no font metrics without a browser). */
function legendLayout(palette: StrategyPalette): { rows: number; at: { x: number; row: number }[] } {
  const at: { x: number; row: number }[] = [];
  let x = 0;
  let row = 0;
  for (const [_i, name] of palette.domain.entries()) {
    const label = chartLabel(palette, name);
    const w = 26 + label.length * 6.5 + 14;
    if (x > 0 && x + w > CHART_WIDTH - 80) {
      x = 0;
      row++;
    }
    at.push({ x, row });
    x += w;
  }
  return { rows: palette.domain.length > 0 ? row + 1 : 0, at };
}

function legendGroup(document: Document, palette: StrategyPalette, left: number, symbols: boolean): Element {
  const g = document.createElementNS(SVG_NS, 'g');
  g.setAttribute('class', 'legend');
  g.setAttribute('aria-label', 'legend');
  g.setAttribute('transform', `translate(${left},${LEGEND_TOP})`);
  g.setAttribute('text-anchor', 'start');
  const { at } = legendLayout(palette);
  palette.domain.forEach((name, i) => {
    const { x, row } = at[i] as { x: number; row: number };
    const y = row * LEGEND_ROW + 8;
    const line = document.createElementNS(SVG_NS, 'line');
    for (const [k, v] of Object.entries({ x1: x, x2: x + 20, y1: y, y2: y })) line.setAttribute(k, String(v));
    line.setAttribute('stroke', palette.range[i] as string);
    line.setAttribute('stroke-width', '3');
    if (palette.dashed[i]) line.setAttribute('stroke-dasharray', '5,3');
    if (symbols) {
      const mark = document.createElementNS(SVG_NS, 'path');
      mark.setAttribute('d', symbolPath(palette.symbols[i] as StrategySymbol, x + 10, y));
      mark.setAttribute('stroke', palette.range[i] as string);
      mark.setAttribute('stroke-width', '1.5');
      mark.setAttribute('fill', 'white');
      g.append(line, mark);
    } else {
      g.append(line);
    }
    const text = document.createElementNS(SVG_NS, 'text');
    text.setAttribute('x', String(x + 26));
    text.setAttribute('y', String(y));
    text.setAttribute('dy', '0.32em');
    text.textContent = chartLabel(palette, name);
    if (palette.excluded[i]) text.setAttribute('fill', '#59636e');
    g.append(text);
  });
  return g;
}

/** Outline of a Plot stroke symbol, about 9 px across, centred at (x, y): for legend swatches. */
function symbolPath(symbol: StrategySymbol, x: number, y: number): string {
  const r = 4.5;
  const at = (pts: [number, number][]) => pts.map(([dx, dy], i) => `${i ? 'L' : 'M'}${x + dx},${y + dy}`).join('');
  switch (symbol) {
    case 'circle':
      return `M${x - r},${y}A${r},${r} 0 1 0 ${x + r},${y}A${r},${r} 0 1 0 ${x - r},${y}Z`;
    case 'square2':
      return `${at([
        [-r, -r],
        [r, -r],
        [r, r],
        [-r, r],
      ])}Z`;
    case 'triangle2':
      return `${at([
        [0, -r - 1],
        [r + 0.5, r - 1],
        [-r - 0.5, r - 1],
      ])}Z`;
    case 'diamond2':
      return `${at([
        [0, -r - 1],
        [r, 0],
        [0, r + 1],
        [-r, 0],
      ])}Z`;
    case 'plus':
      return `${at([
        [-r, 0],
        [r, 0],
      ])}${at([
        [0, -r],
        [0, r],
      ])}`;
    case 'times':
      return `${at([
        [-r, -r],
        [r, r],
      ])}${at([
        [r, -r],
        [-r, r],
      ])}`;
    case 'asterisk':
      return `${at([
        [-r, 0],
        [r, 0],
      ])}${at([
        [-2.2, -r],
        [2.2, r],
      ])}${at([
        [2.2, -r],
        [-2.2, r],
      ])}`;
  }
}

/**
 * A base-2 log axis over [lo, hi]: the domain widened to whole powers of two, and ticks at powers
 * of two thinned to at most `max` by taking every 2nd, 4th… power (e.g. 1 KiB, 4 KiB, 16 KiB).
 */
export function log2Axis(lo: number, hi: number, max = 8): { domain: [number, number]; ticks: number[] } {
  if (!(lo > 0) || !(hi >= lo)) return { domain: [1, 2], ticks: [1, 2] };
  const a = Math.floor(Math.log2(lo));
  const b = Math.max(a + 1, Math.ceil(Math.log2(hi)));
  let step = 1;
  while ((b - a) / step + 1 > max) step *= 2;
  const ticks: number[] = [];
  for (let e = b; e >= a; e -= step) ticks.unshift(2 ** e);
  return { domain: [2 ** a, 2 ** b], ticks };
}

/**
 * Line marks for strategy series: excluded strategies first, so every qualifying line is drawn over
 * them (slab-dma32 stays visible over its excluded twin slab-normal); dashed strategies in a mark of
 * their own.
 */
export function strategyLines<T extends { strategy: string }>(
  rows: T[],
  options: Plot.LineOptions,
  palette: StrategyPalette,
): Plot.Markish[] {
  const flag = (list: boolean[]) => new Set(palette.domain.filter((_, i) => list[i]));
  const dashed = flag(palette.dashed);
  const excluded = flag(palette.excluded.map((x) => x !== null));
  const marks: Plot.Markish[] = [];
  for (const muted of [true, false]) {
    for (const dash of [false, true]) {
      const part = rows.filter((r) => excluded.has(r.strategy) === muted && dashed.has(r.strategy) === dash);
      if (part.length === 0) continue;
      marks.push(
        Plot.line(part, {
          ...options,
          ...(dash ? { strokeDasharray: '5,3' } : {}),
          ...(muted ? { strokeWidth: 1.5 } : {}),
        }),
      );
    }
  }
  return marks;
}
