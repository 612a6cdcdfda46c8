import { dmaPool } from './dma-pool.ts';
import { fullPage } from './full-page.ts';
import { genalloc } from './genalloc.ts';
import { pageFrag } from './page-frag.ts';
import { slabDma32 } from './slab-dma32.ts';
import { slabNormal } from './slab-normal.ts';
import type { Strategy } from './types.ts';

/** The built-in strategies, in the order of the comparison: the v5.1 candidates, then the baseline and dma_pool. */
export const STRATEGIES: readonly Strategy[] = [slabDma32, genalloc, pageFrag, fullPage, slabNormal, dmaPool];

export function findStrategy(name: string): Strategy | undefined {
  return STRATEGIES.find((s) => s.name === name);
}
