/**
 * What a strategy needs from the platform it runs on, as data its definition states, and whether a
 * platform under a kernel offers it. A strategy a platform cannot use is "not applicable" there: its
 * figures may be shown for information, never ranked, bolded or drawn as the best. That is apart
 * from "excluded", which a run decides (failed allocations, misplaced tables).
 */
import { type KernelVersion, unknownKernel } from './kernel.ts';
import type { Platform, PlatformKernel } from './platforms.ts';

export type Requirement =
  /** The memory it hands out comes from dma_alloc_coherent, and io-pgtable needs it in the linear map. */
  | { readonly kind: 'linear-coherent-memory' }
  /** It models the atomic pool a non-coherent device's GFP_ATOMIC dma_alloc_coherent draws from. */
  | { readonly kind: 'non-coherent-atomic-pool' }
  /** It is created for a device (dma_pool_create takes one). */
  | { readonly kind: 'struct-device' }
  /** Its pages come from GFP_DMA32, which must give memory below the placement limit. */
  | { readonly kind: 'dma32-pages' }
  /** A table allocation may sleep. */
  | { readonly kind: 'sleeping-alloc' }
  /** Setting it up may sleep (GFP_KERNEL when the page table is created). */
  | { readonly kind: 'sleeping-setup' }
  /** One block of this order from the page allocator. */
  | { readonly kind: 'block-order'; readonly order: number };

export interface Applicability {
  readonly applicable: boolean;
  /** One sentence naming the kernel function and the platform fact; '' when applicable. */
  readonly reason: string;
}

const APPLICABLE: Applicability = { applicable: true, reason: '' };

/** Where a non-coherent device's dma_alloc_coherent memory comes from under this kernel. */
function remappedBy(kernel: KernelVersion): string {
  switch (kernel) {
    case '5.1':
      return 'arch_dma_alloc gives it from dma_alloc_from_pool or dma_common_contiguous_remap (kernel/dma/remap.c, 5.1)';
    case '6.1':
    case '6.18':
      return `dma_direct_alloc gives it from the atomic pool or dma_common_contiguous_remap (kernel/dma/direct.c, ${kernel})`;
    default:
      return unknownKernel(kernel);
  }
}

/** Whether `facts` (the platform under `kernel`) offers `req`, and if not, why. */
function offers(req: Requirement, platform: Platform, kernel: KernelVersion, facts: PlatformKernel): Applicability {
  const coherent = facts.coherentWalk;
  switch (req.kind) {
    case 'linear-coherent-memory':
      return coherent.value
        ? APPLICABLE
        : {
            applicable: false,
            reason: `${platform.name}'s IOMMU does not walk coherently (${coherent.source}), so dma_alloc_coherent returns a remapped address (${remappedBy(kernel)}), while io-pgtable-arm-v7s needs a linear-map one (virt_to_phys(table) in __arm_v7s_alloc_table, phys_to_virt in iopte_deref).`,
          };
    case 'non-coherent-atomic-pool':
      return coherent.value
        ? {
            applicable: false,
            reason: `${platform.name}'s IOMMU walks coherently (${coherent.source}), so dma_alloc_coherent gives it plain pages (dma_direct_alloc, kernel/dma/direct.c, ${kernel}), never the atomic pool this variant models (coherent_pool=0 models a coherent device).`,
          }
        : APPLICABLE;
    case 'struct-device':
      // Every v7s user passes its IOMMU's device as io_pgtable_cfg.iommu_dev (mtk_iommu_domain_finalise,
      // msm_iommu_domain_config, arm_smmu_init_domain_context).
      return APPLICABLE;
    case 'dma32-pages':
      // arm64: ZONE_DMA32 (5.1) or ZONE_DMA (6.x, which GFP_DMA32 falls back to) covers DRAM below
      // 4 GiB (zone_sizes_init, arch/arm64/mm/init.c); arm without LPAE has no memory above 4 GiB.
      // Every platform's limit is 4 GiB or more, so GFP_DMA32 memory always fits.
      return APPLICABLE;
    case 'sleeping-alloc':
      return facts.allocMaySleep.value
        ? APPLICABLE
        : {
            applicable: false,
            reason: `it sleeps to allocate a table, but ${platform.name} allocates tables with ${facts.mapGfp.value} (${facts.allocMaySleep.source}).`,
          };
    case 'sleeping-setup':
      // The page table is created when a domain is attached (alloc_io_pgtable_ops from the driver's
      // attach_dev path, process context, under a mutex in mtk_iommu_attach_device).
      return APPLICABLE;
    case 'block-order':
      return req.order <= facts.maxPageOrder.value
        ? APPLICABLE
        : {
            applicable: false,
            reason: `it needs one block of order ${req.order}, above the page allocator's largest, ${facts.maxPageOrder.value} (${facts.maxPageOrder.source}).`,
          };
  }
}

/**
 * Whether a strategy with these requirements can serve `platform` under `kernel`: the first
 * requirement it does not offer gives the reason. A platform that does not run the kernel offers nothing.
 */
export function applicabilityOf(
  requires: readonly Requirement[],
  platform: Platform,
  kernel: KernelVersion,
): Applicability {
  const facts = platform.kernels[kernel];
  if (!facts) return { applicable: false, reason: `${platform.name} does not run Linux ${kernel}.` };
  for (const req of requires) {
    const a = offers(req, platform, kernel, facts);
    if (!a.applicable) return a;
  }
  return APPLICABLE;
}
