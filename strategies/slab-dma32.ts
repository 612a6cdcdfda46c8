import { V51_CANDIDATES } from '../core/v51-candidates.ts';
import { __GFP_DMA32 } from './machine/gfp.ts';
import { slubStrategy } from './slub/strategy.ts';

/** The v5.1 fix: kmem_cache_create(..., SLAB_CACHE_DMA32), so s->allocflags carries GFP_DMA32. */
export const slabDma32 = slubStrategy({
  name: V51_CANDIDATES.slabDma32,
  description: 'SLUB kmem_cache with SLAB_CACHE_DMA32 (the v5.1 choice): slabs from ZONE_DMA32 only',
  placement: 'dma32',
  allocFlags: __GFP_DMA32,
  // Slabs from GFP_DMA32; kmem_cache_alloc with the caller's gfp, so any context.
  requires: [{ kind: 'dma32-pages' }],
});
