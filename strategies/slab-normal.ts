import { __GFP_DMA } from './machine/gfp.ts';
import { slubStrategy } from './slub/strategy.ts';

/**
 * The pre-patch baseline (v4.15–v5.0 on arm64): the cache has SLAB_CACHE_DMA, so s->allocflags is
 * GFP_DMA, which arm64 maps to ZONE_NORMAL: slabs land above 4 GiB when ZONE_NORMAL has room.
 */
export const slabNormal = slubStrategy({
  name: 'slab-normal',
  description: 'pre-patch baseline: SLUB cache whose GFP_DMA means ZONE_NORMAL on arm64, tables may land above 4 GiB',
  placement: 'any',
  allocFlags: __GFP_DMA,
});
