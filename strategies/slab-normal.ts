import { __GFP_DMA } from './machine/gfp.ts';
import { slubStrategy } from './slub/strategy.ts';

/**
 * The SLUB cache without SLAB_CACHE_DMA32. On arm64 it is the pre-patch baseline (v4.15–v5.0): the
 * cache has SLAB_CACHE_DMA, so s->allocflags is GFP_DMA, which arm64 maps to ZONE_NORMAL, and slabs
 * land above 4 GiB when ZONE_NORMAL has room: the bug v5.1 fixed wherever tables must lie below
 * 4 GiB. Where they need not, it is what upstream ships: under MediaTek's TTBR_EXT (6.18 mt8186,
 * mt8188) the cache has flags 0 and ZONE_NORMAL is first too; on 32-bit msm, SLAB_CACHE_DMA is plain
 * lowmem (core/platforms.ts says which, per platform and kernel: strategyRole).
 */
export const slabNormal = slubStrategy({
  name: 'slab-normal',
  description:
    "SLUB cache without DMA32 (ZONE_NORMAL first, tables may land above 4 GiB): the pre-fix bug where tables must lie below 4 GiB, upstream's cache under MediaTek TTBR_EXT and on 32-bit msm",
  placement: 'any',
  allocFlags: __GFP_DMA,
  requires: [],
});
