import { TABLE_SIZE } from '../machine/constants.ts';
import { GFP_ATOMIC } from '../machine/gfp.ts';
import { intParam, type ParamDefs } from '../params.ts';
import type { Placement, Strategy, StrategyContext, TableAllocator } from '../types.ts';
import { SlubCache, type SlubMetadata } from './cache.ts';
import { cpuPartialFor, minPartialFor, SLUB_DEFAULTS, slubGeometry } from './geometry.ts';

/**
 * What SLUB keeps outside its slabs for one cache on arm64 v5.1 (SLUB_DEBUG, SYSFS,
 * SLUB_CPU_PARTIAL, MEMCG; one node). arm64 aligns slab objects to ARCH_KMALLOC_MINALIGN = 128:
 * struct kmem_cache is offsetof(node) 320 + one node pointer = 328 → 384 bytes; struct
 * kmem_cache_node 64 → 128 bytes; struct kmem_cache_cpu is 32 bytes of percpu memory per CPU.
 */
const SLUB_METADATA: SlubMetadata = {
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
    description: 'objects kept on per-CPU partial lists (sysfs cpu_partial)',
    default: cpuPartialFor(TABLE_SIZE),
    min: 0,
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

/** A SLUB cache of 1 KiB, 1 KiB-aligned objects as io-pgtable-arm-v7s creates it, with the given slab flags. */
export function slubStrategy(spec: {
  name: string;
  description: string;
  placement: Placement;
  /** s->allocflags from the cache's SLAB_CACHE_DMA / SLAB_CACHE_DMA32 flag. */
  allocFlags: number;
}): Strategy {
  return {
    name: spec.name,
    description: spec.description,
    placement: spec.placement,
    params: SLUB_PARAMS,
    create(ctx: StrategyContext): TableAllocator {
      const p = ctx.params;
      const tunables = {
        minOrder: intParam(p, 'min_order'),
        maxOrder: intParam(p, 'max_order'),
        minObjects: intParam(p, 'min_objects'),
      };
      const geometry = {
        ...slubGeometry(TABLE_SIZE, ctx.cpus, tunables),
        cpuPartial: intParam(p, 'cpu_partial'),
        minPartial: intParam(p, 'min_partial'),
      };
      return new SlubCache(ctx.pages, {
        objectSize: TABLE_SIZE,
        cpus: ctx.cpus,
        geometry,
        allocFlags: spec.allocFlags,
        // __arm_v7s_alloc_table: kmem_cache_zalloc(data->l2_tables, gfp), gfp always GFP_ATOMIC.
        callerGfp: GFP_ATOMIC,
        metadata: SLUB_METADATA,
      });
    },
  };
}
