import { DEFAULT_KERNEL, type KernelVersion, unknownKernel } from '../../core/kernel.ts';
import { intParam, type ParamDefs } from '../../core/params.ts';
import type { Placement } from '../../core/placement.ts';
import type { Requirement } from '../../core/requirements.ts';
import { PAGE_SIZE, TABLE_SIZE } from '../../core/sizes.ts';
import { GFP_ATOMIC } from '../machine/gfp.ts';
import type { PageAllocator, Strategy, StrategyContext, TableAllocator } from '../types.ts';
import type { SlubCacheBase, SlubMetadata, SlubOptions } from './base.ts';
import { SlubCache } from './cache.ts';
import { Slub61Cache } from './cache-6.1.ts';
import { Slub618Cache } from './cache-6.18.ts';
import { getOrder, minPartialFor, SLUB_DEFAULTS, slubGeometry, slubGeometry61, slubGeometry618 } from './geometry.ts';

/**
 * What SLUB keeps outside its slabs for one cache on arm64 v5.1 (SLUB_DEBUG, SYSFS,
 * SLUB_CPU_PARTIAL, MEMCG; one node). arm64 aligns slab objects to ARCH_KMALLOC_MINALIGN = 128:
 * struct kmem_cache is offsetof(node) 320 + one node pointer = 328 → 384 bytes; struct
 * kmem_cache_node 64 → 128 bytes; struct kmem_cache_cpu is 32 bytes of percpu memory per CPU.
 */
export const SLUB_METADATA: SlubMetadata = {
  cacheBytes: 384,
  nodeBytes: 128,
  perCpuBytes: 32,
};

const SLUB_PARAMS: ParamDefs = {
  min_order: {
    kind: 'int',
    description: 'slub_min_order boot parameter',
    default: SLUB_DEFAULTS.minOrder,
    min: 0,
    max: 10,
  },
  max_order: {
    kind: 'int',
    description: 'slub_max_order boot parameter',
    default: SLUB_DEFAULTS.maxOrder,
    min: 0,
    max: 10,
  },
  min_objects: {
    kind: 'int',
    description: 'slub_min_objects boot parameter (0: 4 × (fls(nr_cpu_ids) + 1))',
    default: SLUB_DEFAULTS.minObjects,
    min: 0,
    max: 4096,
  },
  cpu_partial: {
    kind: 'int',
    description:
      "objects kept on per-CPU partial lists (sysfs cpu_partial); -1: the kernel's set_cpu_partial() (6 on v5.1, 24 on 6.1 and 6.18)",
    default: -1,
    min: -1,
    max: 100000,
  },
  min_partial: {
    kind: 'int',
    description: 'slabs kept on the node partial list before empty ones are freed (sysfs min_partial)',
    default: minPartialFor(TABLE_SIZE),
    min: 0,
    max: 100000,
  },
};

/** The geometry of a cache as /sys/kernel/slab/<cache>/ shows it (order, objs_per_slab, cpu_partial, min_partial). */
interface ShownGeometry {
  order: number;
  objectsPerSlab: number;
  cpuPartial: number;
  minPartial: number;
}

/**
 * A SLUB cache as a running kernel built it, for the live check to replay: objects of
 * `objectSize` bytes (a msg_msg bucket's), the geometry the kernel shows rather than one computed
 * here, and the model of `kernel`. It is the same model the strategies run, inspected through
 * TableAllocator.sysfsCounters and sysfsView, which the models of 6.1 and 6.18 have (the live
 * check runs on 6.18, the guest check on 6.1).
 */
export function slubCacheModel(o: SlubModelInput): TableAllocator {
  return cacheOf(o.kernel, o.pages, slubModelOptions(o));
}

/** What slubCacheModel builds a cache from. */
export interface SlubModelInput {
  pages: PageAllocator;
  kernel: KernelVersion;
  cpus: number;
  objectSize: number;
  geometry: ShownGeometry;
  /** The gfp of the caller's kmalloc (msg_msg: GFP_KERNEL_ACCOUNT). */
  callerGfp: number;
}

/** The options slubCacheModel gives the cache (a variant of the model is built with the same). */
export function slubModelOptions(o: SlubModelInput): SlubOptions {
  // calculate_sizes(): oo is the shown order and its objects; min is the smallest order an object fits.
  const minOrder = getOrder(o.objectSize);
  return {
    objectSize: o.objectSize,
    cpus: o.cpus,
    geometry: {
      order: o.geometry.order,
      objects: o.geometry.objectsPerSlab,
      minOrder,
      minObjects: Math.floor((PAGE_SIZE << minOrder) / o.objectSize),
      minPartial: o.geometry.minPartial,
      cpuPartial: o.geometry.cpuPartial,
    },
    allocFlags: 0,
    callerGfp: o.callerGfp,
    metadata: SLUB_METADATA,
  };
}

/** The SLUB cache of each kernel l2bench models. */
function cacheOf(kernel: KernelVersion, pages: PageAllocator, options: SlubOptions): SlubCacheBase {
  switch (kernel) {
    case '5.1':
      return new SlubCache(pages, options);
    case '6.1':
      return new Slub61Cache(pages, options);
    case '6.18':
      return new Slub618Cache(pages, options);
    default:
      return unknownKernel(kernel);
  }
}

/** calculate_order() and the cache's limits as each kernel sets them. */
const GEOMETRY: Record<KernelVersion, typeof slubGeometry> = {
  '5.1': slubGeometry,
  '6.1': slubGeometry61,
  '6.18': slubGeometry618,
};

/**
 * A SLUB cache of 1 KiB, 1 KiB-aligned objects as io-pgtable-arm-v7s creates it, with the given slab
 * flags: the model of ctx.kernel (v5.1's by default).
 */
export function slubStrategy(spec: {
  name: string;
  description: string;
  placement: Placement;
  /** s->allocflags from the cache's SLAB_CACHE_DMA / SLAB_CACHE_DMA32 flag. */
  allocFlags: number;
  requires: readonly Requirement[];
}): Strategy {
  return {
    name: spec.name,
    description: spec.description,
    placement: spec.placement,
    requires: spec.requires,
    params: SLUB_PARAMS,
    create(ctx: StrategyContext): TableAllocator {
      const p = ctx.params;
      const tunables = {
        minOrder: intParam(p, 'min_order'),
        maxOrder: intParam(p, 'max_order'),
        minObjects: intParam(p, 'min_objects'),
      };
      const kernel = ctx.kernel ?? DEFAULT_KERNEL;
      // 6.1 and 6.18 compute the order from num_present_cpus(), v5.1 from nr_cpu_ids: both are ctx.cpus here.
      const computed = GEOMETRY[kernel](TABLE_SIZE, ctx.cpus, tunables);
      const cpuPartial = intParam(p, 'cpu_partial');
      const geometry = {
        ...computed,
        cpuPartial: cpuPartial < 0 ? computed.cpuPartial : cpuPartial,
        minPartial: intParam(p, 'min_partial'),
      };
      const options = {
        objectSize: TABLE_SIZE,
        cpus: ctx.cpus,
        geometry,
        allocFlags: spec.allocFlags,
        // __arm_v7s_alloc_table: kmem_cache_zalloc(data->l2_tables, gfp): always GFP_ATOMIC on v5.1; the
        // caller's gfp since v5.9, which dma-iommu's maps still make GFP_ATOMIC on 6.1 (iommu_map_atomic).
        callerGfp: GFP_ATOMIC,
        metadata: SLUB_METADATA,
      };
      return cacheOf(kernel, ctx.pages, options);
    },
  };
}
