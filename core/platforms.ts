/**
 * The platforms l2bench answers for: an IOMMU that uses io-pgtable-arm-v7s, its driver, the board it
 * sits on, and per kernel what the answer depends on. Every fact carries the source it was read
 * from (file and function, kernel version; a device tree; a mail by its Message-ID), which the report
 * prints. The facts come from the project's research of the 5.1, 6.1 and 6.18 trees: 5.1.0, 6.1
 * (6.1-rc7, checked against 6.1.166 stable where it matters) and 6.18.2.
 *
 * A platform runs a kernel when it has facts for it. Facts are keyed by KernelVersion, and the
 * per-kernel tables below are Records of it: adding a kernel to KERNEL_VERSIONS does not compile
 * until each table says what that kernel does, so no kernel is quietly given another's facts.
 */
import { isKernelVersion, KERNEL_VERSIONS, type KernelVersion } from './kernel.ts';
import { GiB } from './sizes.ts';

/** A fact and where it comes from. */
export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/** The flags io-pgtable-arm-v7s creates its L2 kmem_cache with. */
type L2CacheFlags = 'SLAB_CACHE_DMA32' | 'SLAB_CACHE_DMA' | '0';

/** What a platform is under one kernel. */
export interface PlatformKernel {
  /** The IOMMU walks its tables coherently: no cache maintenance, and dma_alloc_coherent memory is in the linear map. */
  readonly coherentWalk: Sourced<boolean>;
  /**
   * Tables must lie below 2^bits of physical address: 32 (`phys != (arm_v7s_iopte)phys`), or `oas`
   * under MediaTek's TTBR_EXT quirk (`phys >= (1ULL << cfg->oas)`), both in __arm_v7s_alloc_table.
   */
  readonly tableAddressBits: Sourced<number>;
  readonly l2CacheFlags: Sourced<L2CacheFlags>;
  /** The gfp an L2 table is allocated with on the map path, in words. */
  readonly mapGfp: Sourced<string>;
  /** Whether every table allocation may sleep: false when some caller maps in atomic context. */
  readonly allocMaySleep: Sourced<boolean>;
  /** The most L2 tables one page table can hold: 4096 at ias 32, 16,384 at ias 34. */
  readonly maxL2Tables: Sourced<number>;
  /** The largest order the page allocator hands out (MAX_ORDER − 1, or MAX_PAGE_ORDER). */
  readonly maxPageOrder: Sourced<number>;
  /** Bytes of the CMA area dma_alloc_from_contiguous could use; null when the kernel's config is not known. */
  readonly cmaBytes: Sourced<number | null>;
  /** The built-in strategy that models what upstream allocates L2 tables with here. */
  readonly upstream: Sourced<string>;
}

/** The board: what the simulated machine is made of. */
interface Board {
  /** A board a user would know (a Chromebook, a tablet, an evaluation board). */
  readonly name: string;
  readonly cpus: Sourced<number>;
  /** Physical address where DRAM starts. */
  readonly dramBase: Sourced<number>;
  readonly dramBytes: Sourced<number>;
}

export interface Platform {
  /** What `--platform` and the `platform` column say. */
  readonly name: string;
  /** One line for `l2bench list platforms`. */
  readonly description: string;
  /** The IOMMU driver, and its device-tree compatible. */
  readonly driver: string;
  /** No such hardware exists upstream: kept apart from the real platforms, never their answer. */
  readonly hypothetical: boolean;
  readonly board: Board;
  /** Typical live L2 tables, when a source gives a count (null: none found). */
  readonly typicalL2Tables: Sourced<number | null>;
  /** What the simulated machine does not describe of this platform (empty when nothing known). */
  readonly modelGaps: readonly string[];
  /** The facts per kernel version; a kernel without facts is one the platform does not run. */
  readonly kernels: Readonly<Partial<Record<KernelVersion, PlatformKernel>>>;
}

const fact = <T>(value: T, source: string): Sourced<T> => ({ value, source });

/** One fact per kernel l2bench models: a kernel added to KERNEL_VERSIONS does not compile until each says its own. */
type PerKernel<T> = Readonly<Record<KernelVersion, Sourced<T>>>;

// Facts every v7s user inherits from io-pgtable-arm-v7s and the arm64 page allocator.

const MAX_ORDER_ARM64: PerKernel<number> = {
  '5.1': fact(
    10,
    'include/linux/mmzone.h MAX_ORDER = CONFIG_FORCE_MAX_ZONEORDER, default 11, orders 0–10 (arch/arm64/Kconfig, 5.1)',
  ),
  '6.1': fact(
    10,
    'include/linux/mmzone.h MAX_ORDER = CONFIG_ARCH_FORCE_MAX_ORDER, default 11, orders 0–10 (arch/arm64/Kconfig, 6.1)',
  ),
  '6.18': fact(
    10,
    'include/linux/mmzone.h MAX_PAGE_ORDER = CONFIG_ARCH_FORCE_MAX_ORDER, default 10 with 4K pages (arch/arm64/Kconfig, 6.18)',
  ),
};
const MAX_ORDER_ARM: PerKernel<number> = {
  '5.1': fact(10, 'CONFIG_FORCE_MAX_ZONEORDER default 11, orders 0–10 (arch/arm/Kconfig, 5.1)'),
  '6.1': fact(10, 'CONFIG_ARCH_FORCE_MAX_ORDER default 11, orders 0–10 (arch/arm/Kconfig, 6.1)'),
  '6.18': fact(10, 'CONFIG_ARCH_FORCE_MAX_ORDER default 10 (arch/arm/Kconfig, 6.18)'),
};

const BELOW_4G: PerKernel<number> = {
  '5.1': fact(32, 'phys != (arm_v7s_iopte)phys in __arm_v7s_alloc_table (drivers/iommu/io-pgtable-arm-v7s.c, 5.1)'),
  '6.1': fact(
    32,
    'no IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT: phys != (u32)phys in __arm_v7s_alloc_table (drivers/iommu/io-pgtable-arm-v7s.c, 6.1)',
  ),
  '6.18': fact(
    32,
    'no IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT: phys != (u32)phys in __arm_v7s_alloc_table (drivers/iommu/io-pgtable-arm-v7s.c, 6.18)',
  ),
};
const TTBR_EXT_35 = fact(
  35,
  'PGTABLE_PA_35_EN sets IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT, oas 35 (mtk_iommu_domain_finalise, drivers/iommu/mtk_iommu.c, 6.18): phys >= (1ULL << cfg->oas) in __arm_v7s_alloc_table',
);

const DMA32_FLAGS: PerKernel<L2CacheFlags> = {
  '5.1': fact<L2CacheFlags>(
    'SLAB_CACHE_DMA32',
    'ARM_V7S_TABLE_SLAB_FLAGS with CONFIG_ZONE_DMA32, in arm_v7s_alloc_pgtable (drivers/iommu/io-pgtable-arm-v7s.c, 5.1)',
  ),
  '6.1': fact<L2CacheFlags>(
    'SLAB_CACHE_DMA32',
    'no TTBR_EXT: ARM_V7S_TABLE_SLAB_FLAGS with CONFIG_ZONE_DMA32, in arm_v7s_alloc_pgtable (drivers/iommu/io-pgtable-arm-v7s.c, 6.1)',
  ),
  '6.18': fact<L2CacheFlags>(
    'SLAB_CACHE_DMA32',
    'no TTBR_EXT: ARM_V7S_TABLE_SLAB_FLAGS with CONFIG_ZONE_DMA32, in arm_v7s_alloc_pgtable (drivers/iommu/io-pgtable-arm-v7s.c, 6.18)',
  ),
};
const TTBR_EXT_FLAGS = fact<L2CacheFlags>(
  '0',
  'TTBR_EXT ? 0 : ARM_V7S_TABLE_SLAB_FLAGS in arm_v7s_alloc_pgtable (drivers/iommu/io-pgtable-arm-v7s.c, 6.18)',
);

const GFP_MTK: PerKernel<string> = {
  '5.1': fact(
    'GFP_ATOMIC, hard-coded',
    '__arm_v7s_map allocates L2 tables with GFP_ATOMIC (drivers/iommu/io-pgtable-arm-v7s.c, 5.1)',
  ),
  '6.1': fact(
    'GFP_ATOMIC from every dma-iommu mapping path',
    "__arm_v7s_map passes the caller's gfp; __iommu_dma_map, __iommu_dma_alloc_noncontiguous and iommu_dma_map_sg map with iommu_map_atomic/iommu_map_sg_atomic; only an MSI page is mapped with GFP_KERNEL (drivers/iommu/dma-iommu.c, 6.1)",
  ),
  '6.18': fact(
    'GFP_ATOMIC, GFP_KERNEL only from a blocking non-contiguous dma_alloc_attrs',
    "__arm_v7s_map passes the caller's gfp; __iommu_dma_map and iommu_dma_map_sg pass GFP_ATOMIC, __iommu_dma_alloc_noncontiguous the caller's (drivers/iommu/dma-iommu.c, 6.18)",
  ),
};
const ATOMIC_CALLERS: PerKernel<boolean> = {
  '5.1': fact(
    false,
    'GFP_ATOMIC in __arm_v7s_map, called under spin_lock_irqsave; map/unmap "can be called in irq context" (W. Deacon, <20181205144130.GA16121@arm.com>)',
  ),
  '6.1': fact(
    false,
    'dma-iommu maps with GFP_ATOMIC (drivers/iommu/dma-iommu.c, 6.1); map/unmap "can be called in irq context" (W. Deacon, <20181205144130.GA16121@arm.com>)',
  ),
  '6.18': fact(
    false,
    'dma-iommu maps with GFP_ATOMIC except the blocking non-contiguous alloc (drivers/iommu/dma-iommu.c, 6.18); map/unmap "can be called in irq context" (W. Deacon, <20181205144130.GA16121@arm.com>)',
  ),
};

const L2_4096 = fact(
  4096,
  'ias 32: a 16 KiB L1 of 4096 entries, one L2 table each (ARM_V7S_TABLE_SIZE, io-pgtable-arm-v7s.c)',
);

const CMA_CHROMEOS = fact<number | null>(
  null,
  "the board's kernel config is not known; upstream arm64 defconfig has CONFIG_DMA_CMA=y, CONFIG_CMA_SIZE_MBYTES=32 (arch/arm64/configs/defconfig, 5.1 and 6.18)",
);

const NOT_COHERENT_MTK: PerKernel<boolean> = {
  '5.1': fact(
    false,
    'no IO_PGTABLE_QUIRK_NO_DMA in mtk_iommu_domain_finalise (drivers/iommu/mtk_iommu.c, 5.1); no dma-coherent on the m4u node',
  ),
  '6.1': fact(
    false,
    'coherent_walk never set in mtk_iommu_domain_finalise (drivers/iommu/mtk_iommu.c, 6.1); no dma-coherent on the m4u node',
  ),
  '6.18': fact(
    false,
    'coherent_walk never set in mtk_iommu_domain_finalise (drivers/iommu/mtk_iommu.c, 6.18); no dma-coherent on any MediaTek iommu node',
  ),
};

const UPSTREAM_SLAB_DMA32 = fact('slab-dma32', 'the L2 kmem_cache with SLAB_CACHE_DMA32 (arm_v7s_alloc_pgtable)');
const UPSTREAM_SLAB_TTBR_EXT = fact(
  'slab-normal',
  'under TTBR_EXT the L2 kmem_cache has flags 0: ZONE_NORMAL first, tables anywhere below 2^35 (arm_v7s_alloc_pgtable, 6.18)',
);

/** An mtk_iommu SoC whose tables must lie below 4 GiB under this kernel. */
function mtkBelow4G(kernel: KernelVersion, maxL2Tables = L2_4096): PlatformKernel {
  return {
    coherentWalk: NOT_COHERENT_MTK[kernel],
    tableAddressBits: BELOW_4G[kernel],
    l2CacheFlags: DMA32_FLAGS[kernel],
    mapGfp: GFP_MTK[kernel],
    allocMaySleep: ATOMIC_CALLERS[kernel],
    maxL2Tables,
    maxPageOrder: MAX_ORDER_ARM64[kernel],
    cmaBytes: CMA_CHROMEOS,
    upstream: UPSTREAM_SLAB_DMA32,
  };
}

/** An mtk_iommu SoC with PGTABLE_PA_35_EN on 6.18: TTBR_EXT, tables below 2^35, an L2 cache without zone flags. */
function mtkTtbrExt618(maxL2Tables: Sourced<number>): PlatformKernel {
  return {
    ...mtkBelow4G('6.18', maxL2Tables),
    tableAddressBits: TTBR_EXT_35,
    l2CacheFlags: TTBR_EXT_FLAGS,
    upstream: UPSTREAM_SLAB_TTBR_EXT,
  };
}

const MT8173_BOARD: Board = {
  name: 'Acer Chromebook R13 (elm), 4 GB',
  cpus: fact(4, 'cpu@0..3, 2× Cortex-A53 + 2× Cortex-A72 (arch/arm64/boot/dts/mediatek/mt8173.dtsi)'),
  dramBase: fact(1 * GiB, 'memory@40000000 (arch/arm64/boot/dts/mediatek/mt8173-elm.dtsi, 6.18)'),
  dramBytes: fact(
    4 * GiB,
    'the R13 has 4 GB of RAM (retail specification); the DT size is a placeholder the firmware fills in',
  ),
};

// What each kernel's io-pgtable calls a coherent walk, and where msm_iommu's map path gets its gfp.
const COHERENT_WALK_FLAG: Readonly<Record<KernelVersion, string>> = {
  '5.1': 'IO_PGTABLE_QUIRK_NO_DMA',
  '6.1': 'cfg.coherent_walk',
  '6.18': 'cfg.coherent_walk',
};
const MSM_NOT_COHERENT: Readonly<Record<KernelVersion, string>> = {
  '5.1': 'no IO_PGTABLE_QUIRK_NO_DMA',
  '6.1': 'coherent_walk not set',
  '6.18': 'coherent_walk not set',
};
const MSM_MAP_GFP: Readonly<Record<KernelVersion, string>> = {
  '5.1': '__arm_v7s_map allocates with GFP_ATOMIC, under spin_lock_irqsave(&priv->pgtlock) in msm_iommu_map (5.1)',
  '6.1': 'msm_iommu_map passes GFP_ATOMIC under spin_lock_irqsave(&priv->pgtlock) (drivers/iommu/msm_iommu.c, 6.1)',
  '6.18': 'msm_iommu_map passes GFP_ATOMIC under spin_lock_irqsave(&priv->pgtlock) (drivers/iommu/msm_iommu.c, 6.18)',
};

const MSM_NOTE =
  'a 32-bit ARM board on the simulated arm64 machine: all of its DRAM lies below 4 GiB in one zone; the lowmem/highmem split, arm32 SLUB and kmalloc sizes and arm32 DMA-mapping code are not modelled';

/** The platforms, real ones first in the order of their kernels, the hypothetical one last. */
export const PLATFORMS: readonly Platform[] = [
  {
    name: 'mt8173',
    description: 'MediaTek MT8173 (Chromebooks such as the Acer R13): one shared v7s page table, tables below 4 GiB',
    driver: 'mtk_iommu (mediatek,mt8173-m4u)',
    hypothetical: false,
    board: MT8173_BOARD,
    typicalL2Tables: fact(
      100,
      '"a few 10s of L2 tables at most on my system, I assume we rarely have >100" (N. Boichat on elm, 4.19, <CANMq1KDzKJqJwGsW3A90JY_0kgDtAMjOikT-3C9zQG01=3dibQ@mail.gmail.com>): the upper end',
    ),
    modelGaps: [],
    kernels: { '5.1': mtkBelow4G('5.1'), '6.1': mtkBelow4G('6.1'), '6.18': mtkBelow4G('6.18') },
  },
  {
    name: 'mt8183',
    description:
      'MediaTek MT8183 (Lenovo IdeaPad Duet): tables below 4 GiB although oas is 35 (no TTBR_EXT); not in 5.1',
    driver: 'mtk_iommu (mediatek,mt8183-m4u)',
    hypothetical: false,
    board: {
      name: 'Lenovo IdeaPad Duet (krane), 4 GB',
      cpus: fact(8, '4× Cortex-A53 + 4× Cortex-A73 (arch/arm64/boot/dts/mediatek/mt8183.dtsi)'),
      dramBase: fact(1 * GiB, 'memory@40000000 (arch/arm64/boot/dts/mediatek/mt8183-kukui.dtsi)'),
      dramBytes: fact(4 * GiB, 'the Duet has 4 GB of LPDDR4X (retail specification)'),
    },
    typicalL2Tables: fact(null, 'no count found for this SoC'),
    modelGaps: [],
    kernels: { '6.1': mtkBelow4G('6.1'), '6.18': mtkBelow4G('6.18') },
  },
  {
    name: 'mt8186',
    description:
      'MediaTek MT8186 (corsola Chromebooks): 34-bit IOVA (16,384 L2 tables); below 4 GiB on 6.1, TTBR_EXT (tables up to 2^35, L2 cache without DMA32) on 6.18',
    driver: 'mtk_iommu (mediatek,mt8186-iommu-mm)',
    hypothetical: false,
    board: {
      name: 'MT8186 evaluation board, 2 GB (no retail size found)',
      cpus: fact(8, '6× Cortex-A55 + 2× Cortex-A76 (arch/arm64/boot/dts/mediatek/mt8186.dtsi)'),
      dramBase: fact(1 * GiB, 'memory@40000000 (arch/arm64/boot/dts/mediatek/mt8186-evb.dts, 6.18)'),
      dramBytes: fact(
        2 * GiB,
        'reg <0 0x40000000 0 0x80000000> (mt8186-evb.dts, 6.18); corsola boards leave the size to the bootloader',
      ),
    },
    typicalL2Tables: fact(null, 'no count found for this SoC'),
    modelGaps: [],
    kernels: {
      '6.1': mtkBelow4G(
        '6.1',
        fact(
          16384,
          'mt8186_data_mm has IOVA_34_EN and no PGTABLE_PA_35_EN (drivers/iommu/mtk_iommu.c, 6.1-rc7 and 6.1.166)',
        ),
      ),
      '6.18': mtkTtbrExt618(
        fact(
          16384,
          'mt8186_data_mm has IOVA_34_EN | PGTABLE_PA_35_EN (drivers/iommu/mtk_iommu.c, 6.18; added by <20241017112036.368772-1-konrada@google.com>)',
        ),
      ),
    },
  },
  {
    name: 'mt8188',
    description:
      'MediaTek MT8188 (Lenovo Chromebook Duet Gen 9): TTBR_EXT (tables up to 2^35, L2 cache without DMA32), 34-bit IOVA; 6.18 only',
    driver: 'mtk_iommu (mediatek,mt8188-iommu-vdo/-vpp, sharing one page table)',
    hypothetical: false,
    board: {
      name: 'Lenovo Chromebook Duet Gen 9 (ciri), 8 GB',
      cpus: fact(8, '6× Cortex-A55 + 2× Cortex-A78 (arch/arm64/boot/dts/mediatek/mt8188.dtsi, 6.18)'),
      dramBase: fact(1 * GiB, 'memory@40000000 (arch/arm64/boot/dts/mediatek/mt8188-evb.dts, 6.18)'),
      dramBytes: fact(
        8 * GiB,
        'the Duet Gen 9 comes with 4 or 8 GB (retail reviews); the larger, with 5 GiB above 4 GiB',
      ),
    },
    typicalL2Tables: fact(null, 'no count found for this SoC'),
    modelGaps: [],
    kernels: {
      '6.18': mtkTtbrExt618(
        fact(
          16384,
          'mt8188_data_vdo/_vpp: IOVA_34_EN | SHARE_PGTABLE | PGTABLE_PA_35_EN, one page table for both (drivers/iommu/mtk_iommu.c, 6.18)',
        ),
      ),
    },
  },
  {
    name: 'apq8064',
    description:
      'Qualcomm APQ8064 on 32-bit ARM (Nexus 7 2013): msm_iommu, always GFP_ATOMIC, every table below 4 GiB (32-bit physical addresses)',
    driver: 'msm_iommu (qcom,apq8064-iommu)',
    hypothetical: false,
    board: {
      name: 'Asus Nexus 7 2013 (flo), 2 GB',
      cpus: fact(4, 'cpu@0..3, Krait (arch/arm/boot/dts/qcom/qcom-apq8064.dtsi, 6.18)'),
      dramBase: fact(
        2 * GiB,
        'smem@80000000 at the start of DRAM (qcom-apq8064.dtsi, 6.18); the size is filled in by the bootloader',
      ),
      dramBytes: fact(2 * GiB, 'the Nexus 7 (2013) has 2 GB DDR3L (retail specification)'),
    },
    typicalL2Tables: fact(null, 'no count found for this SoC'),
    modelGaps: [MSM_NOTE],
    kernels: Object.fromEntries(
      KERNEL_VERSIONS.map((k) => [
        k,
        {
          coherentWalk: fact(
            false,
            `${MSM_NOT_COHERENT[k]} in msm_iommu_domain_config (drivers/iommu/msm_iommu.c, ${k})`,
          ),
          tableAddressBits: fact(
            32,
            `phys_addr_t is 32 bits on ARM without LPAE; phys != (arm_v7s_iopte)phys in __arm_v7s_alloc_table (${k})`,
          ),
          l2CacheFlags: fact<L2CacheFlags>(
            'SLAB_CACHE_DMA',
            `ARM_V7S_TABLE_SLAB_FLAGS without CONFIG_ZONE_DMA32 (arm has none); without CONFIG_ZONE_DMA it is ZONE_NORMAL (io-pgtable-arm-v7s.c, ${k})`,
          ),
          mapGfp: fact('GFP_ATOMIC', MSM_MAP_GFP[k]),
          allocMaySleep: fact(
            false,
            `msm_iommu_map holds a spinlock with interrupts off (drivers/iommu/msm_iommu.c, ${k})`,
          ),
          maxL2Tables: L2_4096,
          maxPageOrder: MAX_ORDER_ARM[k],
          cmaBytes: fact<number | null>(
            null,
            'qcom_defconfig sets no CONFIG_DMA_CMA (arch/arm/configs/qcom_defconfig, 5.1); the board config is not known',
          ),
          upstream: fact(
            'slab-normal',
            'SLAB_CACHE_DMA on a kernel without ZONE_DMA: ZONE_NORMAL (lowmem), below 4 GiB on this board',
          ),
        } satisfies PlatformKernel,
      ]),
    ),
  },
  {
    name: 'coherent-v7s',
    description:
      'hypothetical: the MT8173 board with a coherent table walk; no upstream v7s IOMMU walks coherently, so this is never a real answer',
    driver: 'none upstream (arm-smmu could, on 32-bit ARM without LPAE with a dma-coherent SMMU; no DT has one)',
    hypothetical: true,
    board: MT8173_BOARD,
    typicalL2Tables: fact(null, 'hypothetical: no count'),
    modelGaps: [
      'hypothetical hardware: no upstream v7s user sets coherent_walk (mtk_iommu, msm_iommu; arm-smmu DTs with v7s have no dma-coherent)',
    ],
    kernels: Object.fromEntries(
      KERNEL_VERSIONS.map((k) => [
        k,
        {
          ...mtkBelow4G(k),
          coherentWalk: fact(
            true,
            `hypothetical: as arm-smmu sets ${COHERENT_WALK_FLAG[k]} from ARM_SMMU_FEAT_COHERENT_WALK (arm_smmu_init_domain_context, ${k})`,
          ),
        } satisfies PlatformKernel,
      ]),
    ),
  },
];

/**
 * The platform of runs without `--platform`, and of records written before the platform column:
 * MT8173 on the board the simulated machine has always been (4 CPUs, 4 GiB of DRAM from 1 GiB).
 */
export const DEFAULT_PLATFORM = 'mt8173';

/** A platform by name, or undefined. */
export function findPlatform(name: string): Platform | undefined {
  return PLATFORMS.find((p) => p.name === name);
}

/** A platform's facts under a kernel named in a record (any text), or undefined when it does not run it. */
export function factsUnder(platform: Platform, kernel: string): PlatformKernel | undefined {
  return isKernelVersion(kernel) ? platform.kernels[kernel] : undefined;
}

/** The bytes below which its tables must lie: 4 GiB, or 2^oas under TTBR_EXT. */
export function placementLimitBytes(facts: PlatformKernel): number {
  return 2 ** facts.tableAddressBits.value;
}

/**
 * What a strategy stands for on a platform under a kernel, when the platform makes it more than an
 * allocator ('' otherwise): which cache is upstream's, and whether the cache without a DMA flag is
 * the bug v5.1 fixed or what upstream ships (TTBR_EXT, 32-bit ARM).
 */
export function strategyRole(facts: PlatformKernel, strategy: string): string {
  const upstream = facts.upstream.value === strategy;
  const flags = facts.l2CacheFlags.value;
  if (strategy === 'slab-normal') {
    return upstream
      ? `upstream's L2 cache here (flags ${flags}: ${facts.upstream.source}), not a bug`
      : 'the pre-fix bug: the cache before v5.1 (SLAB_CACHE_DMA, ZONE_NORMAL on arm64 since v4.15), whose tables may land above 4 GiB';
  }
  if (strategy === 'slab-dma32') {
    return upstream
      ? "upstream's L2 cache here (SLAB_CACHE_DMA32, the v5.1 fix)"
      : `the v5.1 fix's cache (SLAB_CACHE_DMA32), which upstream does not create here (flags ${flags}: ${facts.l2CacheFlags.source})`;
  }
  return '';
}
