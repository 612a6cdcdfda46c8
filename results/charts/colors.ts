import type { FullRecord } from '../../core/record.ts';
import { notApplicableOf } from '../report/applicability.ts';

/**
 * How each strategy is drawn, the same in every chart: a fixed colour (Tableau 10 hues) and dot
 * symbol for the built-in strategies, then fallback palettes for the others in order of first
 * appearance.
 */
export const STRATEGY_COLORS: Readonly<Record<string, string>> = {
  'slab-dma32': '#4e79a7',
  genalloc: '#f28e2b',
  'page-frag': '#e15759',
  'full-page': '#59a14f',
  'slab-normal': '#b07aa1',
  'dma-pool': '#9c755f',
};

/** Colours for strategies outside the built-in six, handed out in order. */
export const FALLBACK_PALETTE: readonly string[] = ['#76b7b2', '#edc948', '#ff9da7', '#bab0ac', '#17becf', '#7f7f7f'];

/** Plot's stroke symbols, which stay distinguishable when points of several strategies coincide. */
export type StrategySymbol = 'circle' | 'square2' | 'triangle2' | 'diamond2' | 'plus' | 'times' | 'asterisk';

const STRATEGY_SYMBOLS: Readonly<Record<string, StrategySymbol>> = {
  'slab-dma32': 'circle',
  genalloc: 'square2',
  'page-frag': 'triangle2',
  'full-page': 'diamond2',
  'slab-normal': 'times',
  'dma-pool': 'plus',
};

const FALLBACK_SYMBOLS: readonly StrategySymbol[] = ['asterisk', 'circle', 'square2', 'triangle2', 'diamond2'];

export interface StrategyPalette {
  /** Strategy names, in order of first appearance. */
  domain: string[];
  /** Their colours, index for index. */
  range: string[];
  /** Their dot symbols, index for index. */
  symbols: StrategySymbol[];
  /** Drawn dashed, index for index: strategies that do not promise DMA32 placement (the pre-patch baseline). */
  dashed: boolean[];
  /**
   * Why a strategy is never the answer, index for index ('excluded': it failed allocations or placed
   * tables above 4 GiB; 'not applicable': the platform cannot use it), or null: drawn muted, beneath
   * the others, and named so in the legend.
   */
  excluded: (MutedWhy | null)[];
}

/** Why a strategy is drawn muted. */
export type MutedWhy = 'excluded' | 'not applicable';

/** A strategy's name as a chart labels it: `dma-pool (not applicable)`. */
export function chartLabel(palette: StrategyPalette, strategy: string): string {
  const why = palette.excluded[palette.domain.indexOf(strategy)];
  return why ? `${strategy} (${why})` : strategy;
}

/** A colour mixed 60 % toward white: how an excluded strategy is drawn. */
function mute(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(c + (255 - c) * 0.6);
  const rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(mix);
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The colour and symbol scales for these strategies (duplicates ignored); those in `dashed` are
 * drawn dashed in line charts, those in `excluded` muted (a set: excluded; a map: with why).
 */
export function strategyPalette(
  strategies: Iterable<string>,
  dashed: ReadonlySet<string> = new Set(),
  excluded: ReadonlySet<string> | ReadonlyMap<string, MutedWhy> = new Set(),
): StrategyPalette {
  const why = (s: string): MutedWhy | null =>
    excluded instanceof Map ? (excluded.get(s) ?? null) : (excluded as ReadonlySet<string>).has(s) ? 'excluded' : null;
  const domain = [...new Set(strategies)];
  let fallback = 0;
  const range: string[] = [];
  const symbols: StrategySymbol[] = [];
  for (const s of domain) {
    const color = STRATEGY_COLORS[s];
    const symbol = STRATEGY_SYMBOLS[s];
    if (color !== undefined && symbol !== undefined) {
      range.push(color);
      symbols.push(symbol);
    } else {
      range.push(FALLBACK_PALETTE[fallback % FALLBACK_PALETTE.length] as string);
      symbols.push(FALLBACK_SYMBOLS[fallback % FALLBACK_SYMBOLS.length] as StrategySymbol);
      fallback++;
    }
  }
  return {
    domain,
    range: range.map((c, i) => (why(domain[i] as string) ? mute(c) : c)),
    symbols,
    dashed: domain.map((s) => dashed.has(s)),
    excluded: domain.map(why),
  };
}

/**
 * The palette of a run's strategies (one platform's and kernel's), in order of first appearance: a
 * strategy that places its tables anywhere (a negative control such as the pre-patch baseline) is
 * drawn dashed; one the platform cannot use is not applicable, and one that failed an allocation or
 * placed a table above 4 GiB anywhere in the records is excluded: both muted, never drawn as best.
 */
export function recordsPalette(records: readonly FullRecord[]): StrategyPalette {
  const anywhere = new Set(records.filter((r) => r.detail.placement === 'any').map((r) => r.strategy));
  const muted = new Map<string, MutedWhy>();
  for (const r of records) if (notApplicableOf(r) !== null) muted.set(r.strategy, 'not applicable');
  for (const r of records)
    if (!muted.has(r.strategy) && (r.alloc_failures > 0 || r.placement_violations > 0))
      muted.set(r.strategy, 'excluded');
  return strategyPalette(
    records.map((r) => r.strategy),
    anywhere,
    muted,
  );
}

/** The part of a palette for these strategies, keeping each one's colour and symbol and the palette's order. */
export function pickStrategies(palette: StrategyPalette, strategies: Iterable<string>): StrategyPalette {
  const wanted = new Set(strategies);
  const picked: StrategyPalette = { domain: [], range: [], symbols: [], dashed: [], excluded: [] };
  palette.domain.forEach((s, i) => {
    if (!wanted.has(s)) return;
    picked.domain.push(s);
    picked.range.push(palette.range[i] as string);
    picked.symbols.push(palette.symbols[i] as StrategySymbol);
    picked.dashed.push(palette.dashed[i] as boolean);
    picked.excluded.push(palette.excluded[i] ?? null);
  });
  return picked;
}
