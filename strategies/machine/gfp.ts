/**
 * GFP flags (include/linux/gfp.h, v5.1 values), as far as the model needs them. Only the zone
 * modifiers change where pages come from: the model has no reclaim and no watermarks. The other
 * flags are kept so that strategies pass what the kernel passes.
 */
export const __GFP_DMA = 0x01;
export const __GFP_DMA32 = 0x04;
export const __GFP_HIGH = 0x20;
export const __GFP_IO = 0x40;
export const __GFP_FS = 0x80;
export const __GFP_NOWARN = 0x200;
export const __GFP_NORETRY = 0x1000;
export const __GFP_COMP = 0x4000;
export const __GFP_ZERO = 0x8000;
export const __GFP_NOMEMALLOC = 0x10000;
export const __GFP_ATOMIC = 0x80000;
export const __GFP_DIRECT_RECLAIM = 0x200000;
export const __GFP_KSWAPD_RECLAIM = 0x400000;

export const GFP_ATOMIC = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | __GFP_IO | __GFP_FS;
/** @alias include/linux/gfp.h defines GFP_DMA32 as __GFP_DMA32. */
export const GFP_DMA32 = __GFP_DMA32;

/** Zone indexes of the simulated arm64 machine: v5.1 arm64 has ZONE_DMA32 and ZONE_NORMAL, no ZONE_DMA. */
export const ZONE_DMA32 = 0;
export const ZONE_NORMAL = 1;
export const ZONE_NAMES = ['DMA32', 'Normal'] as const;

/**
 * gfp_zone(): the highest zone a request may use. arm64 v5.1 has no ZONE_DMA (removed by
 * ad67f5a6545f), so OPT_ZONE_DMA is ZONE_NORMAL and __GFP_DMA means ZONE_NORMAL: the pre-patch bug.
 */
export function gfpZone(gfp: number): number {
  return gfp & __GFP_DMA32 ? ZONE_DMA32 : ZONE_NORMAL;
}
