/**
 * The allocators the v5.1 decision weighed for the L2 tables (Boichat's series, Nov–Dec 2018), by
 * the names l2bench gives their strategies: the strategies take their names from here, and the
 * report's claims of that decision are about them.
 */
export const V51_CANDIDATES = {
  slabDma32: 'slab-dma32',
  genalloc: 'genalloc',
  pageFrag: 'page-frag',
  fullPage: 'full-page',
} as const;
