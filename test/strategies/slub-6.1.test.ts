import { describe, expect, it } from 'vitest';
import { __GFP_DMA32 } from '../../strategies/machine/gfp.ts';
import { Machine } from '../../strategies/machine/machine.ts';
import { slabDma32 } from '../../strategies/slab-dma32.ts';
import type { SlubCacheBase } from '../../strategies/slub/base.ts';
import { SlubCache } from '../../strategies/slub/cache.ts';
import { Slub61Cache } from '../../strategies/slub/cache-6.1.ts';
import { Slub618Cache } from '../../strategies/slub/cache-6.18.ts';
import {
  calculateOrder,
  calculateOrder618,
  cpuPartialSlabs,
  type SlubGeometry,
  slubGeometry,
  slubGeometry61,
  slubGeometry618,
} from '../../strategies/slub/geometry.ts';
import { SLUB_METADATA } from '../../strategies/slub/strategy.ts';
import { allocMany, instance, KiB } from '../helpers.ts';

// Every expected value is worked out by hand from Linux 6.1's mm/slub.c (calculate_order,
// set_cpu_partial, put_cpu_partial, __unfreeze_partials, get_partial_node, __slab_free) for 1 KiB
// objects: min_partial 5, cpu_partial 24 objects, cpu_partial_slabs = ceil(48 / objects per slab).
// "Free in order" frees in allocation order; slabs S1, S2, … are named in creation order.

type Kind = '5.1' | '6.1' | '6.18';
const MAKE = {
  '5.1': (m: Machine, cpus: number, g: SlubGeometry) => new SlubCache(m.account('v5.1'), opts(cpus, g)),
  '6.1': (m: Machine, cpus: number, g: SlubGeometry) => new Slub61Cache(m.account('6.1'), opts(cpus, g)),
  '6.18': (m: Machine, cpus: number, g: SlubGeometry) => new Slub618Cache(m.account('6.18'), opts(cpus, g)),
};
const GEOMETRY = { '5.1': slubGeometry, '6.1': slubGeometry61, '6.18': slubGeometry618 };

function opts(cpus: number, geometry: SlubGeometry) {
  return { objectSize: 1024, cpus, geometry, allocFlags: __GFP_DMA32, metadata: SLUB_METADATA };
}

function cache<K extends Kind>(kind: K, cpus: number, cpuPartial?: number): ReturnType<(typeof MAKE)[K]> {
  const g = GEOMETRY[kind](1024, cpus);
  const geometry = cpuPartial === undefined ? g : { ...g, cpuPartial };
  return MAKE[kind](new Machine({ cpus }), cpus, geometry) as ReturnType<(typeof MAKE)[K]>;
}

/** Where the slabs are: node partial, and per CPU whether it has an active slab and how many partial. */
function lists(c: SlubCacheBase): { slabs: number; node: number; cpuPartial: number } {
  const s = c.slabs();
  return {
    slabs: s.length,
    node: s.filter((x) => x.where === 'node-partial').length,
    cpuPartial: s.filter((x) => x.where === 'cpu-partial').length,
  };
}

/** n allocations on CPU 0, then frees in allocation order on `freeCpu`: peak and final slab counts. */
function rampInOrder(c: SlubCacheBase, n: number, freeCpu = 0): { peak: number; addrs: number[] } {
  const addrs = allocMany(c, n);
  const peak = c.slabCount;
  for (const a of addrs) c.free(a, freeCpu);
  return { peak, addrs };
}

describe('SLUB 6.1 geometry: v5.1 calculate_order on num_present_cpus, 6.18 set_cpu_partial', () => {
  it('1, 2, 4, 8 CPUs: order 1, 2, 2, 3; cpu_partial 24; cpu_partial_slabs 6, 3, 3, 2', () => {
    for (const [cpus, order, objects, slabs] of [
      [1, 1, 8, 6],
      [2, 2, 16, 3],
      [4, 2, 16, 3],
      [8, 3, 32, 2],
    ] as const) {
      const g = slubGeometry61(1024, cpus);
      expect([g.order, g.objects, g.minOrder, g.minObjects, g.minPartial, g.cpuPartial]).toEqual([
        order,
        objects,
        0,
        4,
        5,
        24,
      ]);
      expect(cpuPartialSlabs(g.cpuPartial, g.objects)).toBe(slabs);
    }
  });

  it("follows v5.1's loop, not 6.18's, where the two differ (10928-byte objects, 1 CPU)", () => {
    // The case of slub-6.18.test.ts: v5.1 lowers min_objects and settles on order 2, 6.18 keeps order 3.
    expect(slubGeometry61(10928, 1).order).toBe(calculateOrder(10928, 1));
    expect(calculateOrder(10928, 1)).not.toBe(calculateOrder618(10928, 1));
  });
});

describe('SLUB 6.1 policy: the per-CPU partial list counted in slabs', () => {
  it('1 CPU, 100 allocations then frees in order: peak 13, final 12 (node 5, CPU 1 + 6); v5.1 11', () => {
    // 8 per slab, cpu_partial_slabs 6. S1..S6's first frees fill CPU 0's list; S7's drains it: S6..S2
    // go to the node tail, S1 (empty, nr_partial 5) is discarded; S7..S12 refill it; S13 stays active.
    const c61 = cache('6.1', 1);
    const { peak, addrs } = rampInOrder(c61, 100);
    expect(peak).toBe(13);
    expect(lists(c61)).toEqual({ slabs: 12, node: 5, cpuPartial: 6 });
    // A fresh slab hands out its objects in address order: S(k+1) starts at addrs[8k].
    expect(c61.nodePartialOrder()).toEqual([5, 4, 3, 2, 1].map((k) => addrs[8 * k])); // [S6, S5, S4, S3, S2]
    // v5.1: pobjects 1 per slab; S8's insertion drains 7 (> 6): S7..S3 to the node, S2 and S1 discarded.
    const c51 = cache('5.1', 1);
    expect(rampInOrder(c51, 100).peak).toBe(13);
    expect(lists(c51)).toEqual({ slabs: 11, node: 5, cpuPartial: 5 });
  });

  it('1 CPU through the strategy: --kernel 6.1 holds 12 order-1 slabs at the end, v5.1 11', () => {
    const final = (kernel: '5.1' | '6.1') => {
      const { tables, account } = instance(slabDma32, { cpus: 1 }, {}, kernel);
      for (const a of allocMany(tables, 100)) tables.free(a, 0);
      return account.heldBytes;
    };
    expect(final('6.1')).toBe(12 * 8 * KiB);
    expect(final('5.1')).toBe(11 * 8 * KiB);
  });

  it('2 CPUs, 144 on CPU 0 then the first object of S1..S8 freed: node 6, CPU 0 2 partial; v5.1 node 7 and 1', () => {
    // 16 per slab, cpu_partial_slabs 3: S4's free drains [S3, S2, S1], S7's [S6, S5, S4]; nothing is empty.
    for (const [kind, node, cpuPartial] of [
      ['6.1', 6, 2],
      ['6.18', 6, 2],
      ['5.1', 7, 1],
    ] as const) {
      const c = cache(kind, 2);
      const addrs = allocMany(c, 144);
      for (let s = 0; s < 8; s++) c.free(addrs[16 * s] as number, 0);
      expect(lists(c), kind).toEqual({ slabs: 9, node, cpuPartial });
    }
    const c = cache('6.1', 2);
    allocMany(c, 144).forEach((a, i) => {
      if (i % 16 === 0 && i < 128) c.free(a, 0);
    });
    expect(c.sysfsView()).toMatchObject({ slabs: 9, partial: 6, cpu_slabs: 3, slabs_cpu_partial: 2 });
  });

  it('8 CPUs, 1000 allocations then frees in order: peak 32, final 7 (node 5, CPU 1 + 1); v5.1 9', () => {
    // 32 per slab, cpu_partial_slabs 2: every odd slab's first free drains the two before it.
    const c61 = cache('6.1', 8);
    expect(rampInOrder(c61, 1000).peak).toBe(32);
    expect(lists(c61)).toEqual({ slabs: 7, node: 5, cpuPartial: 1 });
    const c51 = cache('5.1', 8);
    rampInOrder(c51, 1000);
    expect(lists(c51)).toEqual({ slabs: 9, node: 5, cpuPartial: 3 });
  });

  it('2 CPUs, 1000 then frees in order on CPU 0 or CPU 1: final 8, as the live 6.18 kernel showed', () => {
    for (const freeCpu of [0, 1]) {
      const c = cache('6.1', 2);
      expect(rampInOrder(c, 1000, freeCpu).peak).toBe(63);
      expect(lists(c)).toEqual({ slabs: 8, node: 5, cpuPartial: 2 });
    }
  });

  it('cpu_partial=0: get_partial_node moves one slab to the CPU after the first on 6.1, none on 6.18', () => {
    // 2 CPUs, cpu_partial_slabs ceil(0 / 16) = 0. 80 on CPU 0 (S1..S4 full, S5 active and full); the
    // first object of S1..S4 freed on CPU 0: each insertion drains the list before it, so the node
    // holds [S1, S2, S3] and CPU 0's list [S4]. Then one allocation on CPU 1, which has nothing.
    const run = (kind: '6.1' | '6.18') => {
      const c = cache(kind, 2, 0);
      const addrs = allocMany(c, 80);
      for (let s = 0; s < 4; s++) c.free(addrs[16 * s] as number, 0);
      expect(c.sysfsView()).toMatchObject({ slabs: 5, partial: 3, cpu_slabs: 2, slabs_cpu_partial: 1 });
      c.alloc(1);
      const v = c.sysfsView();
      return [v.partial, v.cpu_slabs, v.slabs_cpu_partial_by_cpu];
    };
    // 6.1: S1 active on CPU 1, S2 on its list, S3 on the node.
    expect(run('6.1')).toEqual([1, 4, [1, 1]]);
    // 6.18: S1 active on CPU 1, S2 and S3 on the node.
    expect(run('6.18')).toEqual([2, 3, [1, 0]]);
  });
});
