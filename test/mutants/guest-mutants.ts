import type { KernelVersion } from '../../core/kernel.ts';
import { parseParams } from '../../core/params.ts';
import { findStrategy } from '../../strategies/index.ts';
import { __GFP_DMA32, GFP_ATOMIC } from '../../strategies/machine/gfp.ts';
import type { PageAccount } from '../../strategies/machine/machine.ts';
import { Slub61Cache } from '../../strategies/slub/cache-6.1.ts';
import { slubGeometry61 } from '../../strategies/slub/geometry.ts';
import { SLUB_METADATA } from '../../strategies/slub/strategy.ts';
import type { TableAllocator } from '../../strategies/types.ts';
import { SLUB_MUTANTS } from './slub-mutants.ts';

/** A model of one guest strategy with one rule changed: it must differ from the 6.1 kernel somewhere. */
export interface GuestMutant {
  /** The guest module's letter of the strategy it mutates. */
  readonly letter: string;
  readonly name: string;
  readonly rule: string;
  create(pages: PageAccount): TableAllocator;
}

/** A built-in strategy with other parameters or another kernel's rules than the guest's 6.1. */
function builtIn(name: string, raw: Record<string, string>, kernel: KernelVersion, cpus: number) {
  return (pages: PageAccount): TableAllocator => {
    const s = findStrategy(name);
    if (!s) throw new Error(name);
    return s.create({ pages, cpus, params: parseParams(name, s.params, raw), kernel });
  };
}

/**
 * The mutants the guest check must kill, for a guest of `cpus` CPUs: SLUB's (on the 6.1 cache and
 * its geometry), and for the other allocators the rule each later or earlier kernel changed,
 * which l2bench already models: page_frag carving upward (6.13), dma_pool's boundary fix and its
 * one stack of free blocks (v6.4), genalloc's best fit instead of first fit.
 */
export function guestMutants(cpus: number): GuestMutant[] {
  const slubOptions = {
    objectSize: 1024,
    cpus,
    geometry: slubGeometry61(1024, cpus),
    allocFlags: __GFP_DMA32,
    callerGfp: GFP_ATOMIC,
    metadata: SLUB_METADATA,
  };
  return [
    // flush_all and kmem_cache_shrink are not among the module's events: the host's check kills those.
    ...SLUB_MUTANTS.filter((m) => !m.flushOrShrink).map((m) => {
      const v = m.variant(Slub61Cache);
      return {
        letter: 's',
        name: `slab-dma32: ${m.name}`,
        rule: m.rule,
        create: (p: PageAccount) => v.create(p, slubOptions),
      };
    }),
    {
      letter: 'g',
      name: 'genalloc: best fit',
      rule: 'gen_pool_create: gen_pool_first_fit',
      create: builtIn('genalloc', { algo: 'best' }, '6.1', cpus),
    },
    {
      letter: 'p',
      name: 'page-frag: carve upward',
      rule: 'page_frag_alloc_align: offset = nc->offset − fragsz, from the end down',
      create: builtIn('page-frag', {}, '6.18', cpus),
    },
    {
      letter: 'd',
      name: 'dma-pool: 4 blocks per page',
      rule: 'pool_initialise_page: (next + size) >= next_boundary',
      create: builtIn('dma-pool', { coherent_pool: '0', boundary_fix: '1' }, '6.1', cpus),
    },
    {
      letter: 'd',
      name: 'dma-pool: one stack of free blocks',
      rule: 'dma_pool_alloc: the first page of page_list (newest first) with a free block',
      create: builtIn('dma-pool', { coherent_pool: '0' }, '6.18', cpus),
    },
  ];
}
