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

export const STRATEGY_SYMBOLS: Readonly<Record<string, StrategySymbol>> = {
  'slab-dma32': 'circle',
  genalloc: 'square2',
  'page-frag': 'triangle2',
  'full-page': 'diamond2',
  'slab-normal': 'times',
  'dma-pool': 'plus',
};

const FALLBACK_SYMBOLS: readonly StrategySymbol[] = ['asterisk', 'circle', 'square2', 'triangle2', 'diamond2'];

/** Strategies drawn dashed in line charts: the pre-patch baseline, which coincides with slab-dma32 in memory. */
export const DASHED_STRATEGIES: ReadonlySet<string> = new Set(['slab-normal']);

export interface StrategyPalette {
  /** Strategy names, in order of first appearance. */
  domain: string[];
  /** Their colours, index for index. */
  range: string[];
  /** Their dot symbols, index for index. */
  symbols: StrategySymbol[];
}

/** The colour and symbol scales for these strategies (duplicates ignored). */
export function strategyPalette(strategies: Iterable<string>): StrategyPalette {
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
  return { domain, range, symbols };
}

/** The part of a palette for these strategies, keeping each one's colour and symbol and the palette's order. */
export function pickStrategies(palette: StrategyPalette, strategies: Iterable<string>): StrategyPalette {
  const wanted = new Set(strategies);
  const picked: StrategyPalette = { domain: [], range: [], symbols: [] };
  palette.domain.forEach((s, i) => {
    if (!wanted.has(s)) return;
    picked.domain.push(s);
    picked.range.push(palette.range[i] as string);
    picked.symbols.push(palette.symbols[i] as StrategySymbol);
  });
  return picked;
}
