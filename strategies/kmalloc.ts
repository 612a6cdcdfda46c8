import type { KernelVersion } from '../core/kernel.ts';

/**
 * The bytes kmalloc(size) takes on the modelled arm64 kernel: the size of the smallest kmalloc cache
 * that holds it.
 *
 * v5.1 and 6.1: ARCH_DMA_MINALIGN is 128, so KMALLOC_MIN_SIZE is 128 and nothing smaller than
 * kmalloc-128 exists (kmalloc-192 is not used either: 136..192 bytes go to kmalloc-256); 6.1's
 * include/linux/slab.h and setup_kmalloc_cache_index_table() are v5.1's here [src].
 *
 * 6.18: since v6.5 the kmalloc caches on arm64 go down to ARCH_KMALLOC_MINALIGN (8 bytes) when
 * CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC is set and swiotlb is allocated (`__kmalloc_minalign()`,
 * mm/slab_common.c), and arm64's mem_init allocates swiotlb whenever that option is on (for ZONE_DMA
 * bouncing, or a small one for kmalloc bouncing). The research note tags that bucket choice
 * [unverified]: a kernel without kmalloc bouncing rounds to the cache line (64 bytes) instead.
 */
const KMALLOC_CACHES: Record<KernelVersion, readonly number[]> = {
  '5.1': [128, 256],
  '6.1': [128, 256],
  '6.18': [8, 16, 32, 64, 96, 128, 192, 256],
};

export function kmallocSize(size: number, kernel: KernelVersion): number {
  const fit = KMALLOC_CACHES[kernel].find((c) => c >= size);
  if (fit !== undefined) return fit;
  let bucket = 512;
  while (bucket < size) bucket *= 2;
  return bucket;
}
