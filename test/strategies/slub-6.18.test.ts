import { describe, expect, it } from 'vitest';
import { parseParams } from '../../core/params.ts';
import { createChecked } from '../../strategies/checker.ts';
import { __GFP_DMA32 } from '../../strategies/machine/gfp.ts';
import { Machine } from '../../strategies/machine/machine.ts';
import { slabDma32 } from '../../strategies/slab-dma32.ts';
import { slabNormal } from '../../strategies/slab-normal.ts';
import { SlubCache } from '../../strategies/slub/cache.ts';
import { Slub618Cache } from '../../strategies/slub/cache-6.18.ts';
import {
  calculateOrder,
  calculateOrder618,
  cpuPartialFor618,
  cpuPartialSlabs,
  minPartialFor,
  slubGeometry618,
} from '../../strategies/slub/geometry.ts';
import { SLUB_METADATA } from '../../strategies/slub/strategy.ts';
import { allocMany, KiB } from '../helpers.ts';

// Every expected value below is worked out by hand from the rules of section B2 of the kernel notes
// (Linux 6.8–6.18 SLUB), for 2 CPUs and 1 KiB objects: order 2, 16 objects per slab, min_partial 5,
// cpu_partial 24 objects → cpu_partial_slabs ceil(48 / 16) = 3.

function cache(cpus = 2, size = 1024): { c: Slub618Cache; machine: Machine } {
  const machine = new Machine({ cpus });
  const c = new Slub618Cache(machine.account('slub-6.18'), {
    objectSize: size,
    cpus,
    geometry: slubGeometry618(size, cpus),
    allocFlags: __GFP_DMA32,
    metadata: SLUB_METADATA,
  });
  return { c, machine };
}

/** Allocate n objects on `cpu`, grouped 16 to a slab (they come out in address order from fresh slabs). */
function slabsOf(addrs: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < addrs.length; i += 16) out.push(addrs.slice(i, i + 16));
  return out;
}

const view = (c: Slub618Cache) => {
  const v = c.sysfsView();
  // The O(CPUs) counters a live check compares agree with the full view.
  expect(c.sysfsCounters({ slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 })).toEqual({
    slabs: v.slabs,
    partial: v.partial,
    cpu_slabs: v.cpu_slabs,
    slabs_cpu_partial: v.slabs_cpu_partial,
  });
  return {
    slabs: v.slabs,
    partial: v.partial,
    cpu_slabs: v.cpu_slabs,
    slabs_cpu_partial: v.slabs_cpu_partial,
    by_cpu: v.slabs_cpu_partial_by_cpu,
  };
};

describe('SLUB 6.18 geometry', () => {
  it('gives 1 KiB objects the same order as v5.1 at every CPU count (calc_slab_order, fractions 16 to 2)', () => {
    for (const [cpus, order] of [
      [1, 1],
      [2, 2],
      [4, 2],
      [8, 3],
      [128, 3],
    ] as const) {
      expect(calculateOrder618(1024, cpus)).toBe(order);
      expect(calculateOrder(1024, cpus)).toBe(order);
    }
  });

  it('differs from v5.1 where no order up to slub_max_order wastes at most 1/4', () => {
    // 10928-byte objects, 1 CPU: min_objects 8, capped at 32768 / 10928 = 2 → min_order
    // get_order(21856) = 3. v5.1 finds no order ≤ 3 with leftover ≤ 1/4 (order 3 leaves 10912 >
    // 8192), lowers min_objects to 1 and still fails (order 2 leaves 5456 > 4096), then takes
    // slab_order(size, 1, 3, 1) = 2: one object per 16 KiB. 6.18 keeps min_order 3 and accepts the
    // 10912 leftover at fraction 2 (≤ 16384): two objects per 32 KiB.
    expect(calculateOrder(10928, 1)).toBe(2);
    expect(calculateOrder618(10928, 1)).toBe(3);
  });

  it('matches the msg_msg-* buckets of a 2-CPU 6.18 machine (order, objects, cpu_partial, min_partial)', () => {
    // [size, order, objects per slab, cpu_partial, min_partial, cpu_partial_slabs]
    const rows: [number, number, number, number, number, number][] = [
      [64, 0, 64, 120, 5, 4], // ceil(240 / 64)
      [96, 0, 42, 120, 5, 6], // 4096 % 96 = 64 ≤ 4096 / 16; ceil(240 / 42)
      [128, 0, 32, 120, 5, 8],
      [192, 0, 21, 120, 5, 12], // ceil(240 / 21) = ceil(11.4)
      [256, 0, 16, 52, 5, 7], // ceil(104 / 16) = ceil(6.5)
      [512, 1, 16, 52, 5, 7], // min_objects 12 → get_order(6 KiB) = 1
      [1024, 2, 16, 24, 5, 3],
      [2048, 3, 16, 24, 5, 3], // get_order(24 KiB) = 3
      [4096, 3, 8, 6, 6, 2], // min_objects capped at 8; ilog2(4096) / 2 = 6
    ];
    for (const [size, order, objects, cpuPartial, minPartial, slabs] of rows) {
      const g = slubGeometry618(size, 2);
      expect([size, g.order, g.objects, g.cpuPartial, g.minPartial]).toEqual([
        size,
        order,
        objects,
        cpuPartial,
        minPartial,
      ]);
      expect(cpuPartialSlabs(g.cpuPartial, g.objects)).toBe(slabs);
    }
    expect(cpuPartialFor618(8192)).toBe(6);
    expect(minPartialFor(8192)).toBe(6);
  });

  it('turns cpu_partial into cpu_partial_slabs = ceil(2 × cpu_partial / objects): 3 at 16 objects, 2 at 32', () => {
    expect(cpuPartialSlabs(24, 16)).toBe(3);
    expect(cpuPartialSlabs(24, 32)).toBe(2);
    expect(cpuPartialSlabs(0, 16)).toBe(0);
  });
});

describe('SLUB 6.18 model: the cases observed on a live 6.18 kernel (section B2)', () => {
  it('100 allocations then 100 frees in order on CPU 0: 7 slabs, node partial 3, CPU 0 1 active + 3 partial', () => {
    // S0..S5 full, S6 active holding 4. The first frees of S0, S1, S2 put them on CPU 0's list
    // (1, 2, 3 slabs), where they empty and stay. S3's first free finds 3 ≥ 3: S2, S1, S0 go to the
    // node tail (nr_partial 0..2 < 5, so all kept). S3, S4, S5 fill the new list; S6's frees are fast.
    const { c } = cache();
    const addrs = allocMany(c, 100);
    expect(c.sysfsView().slabs).toBe(7);
    for (const a of addrs) c.free(a, 0);
    expect(view(c)).toEqual({ slabs: 7, partial: 3, cpu_slabs: 4, slabs_cpu_partial: 3, by_cpu: [3, 0] });
    expect(c.sysfsView().objects).toBe(7 * 16 - 3 * 16); // node slabs' free objects are not counted
    expect(c.work.cpu_partial_drains).toBe(1);
  });

  it('1000 allocations then all freed on CPU 0: peak 63, final 8 (node partial 5; CPU 0 1 active + 2 partial)', () => {
    // 62 full slabs + S62 active holding 8. Drains at the first frees of S3, S6, …, S60: the first
    // drain keeps S2, S1, S0 (nr_partial 0, 1, 2), the second S5 and S4 (3, 4) and discards S3
    // (5 ≥ 5); every later drained slab is discarded. S60 and S61 are left on CPU 0's list.
    for (const reversed of [false, true]) {
      const { c } = cache();
      const addrs = allocMany(c, 1000);
      expect(c.sysfsView().slabs).toBe(63);
      for (const a of reversed ? [...addrs].reverse() : addrs) c.free(a, 0);
      // Reversed: S62 first (fast), then groups S61..S59, S58..S56, …; S1 and S0 remain on the list.
      expect(view(c)).toEqual({ slabs: 8, partial: 5, cpu_slabs: 3, slabs_cpu_partial: 2, by_cpu: [2, 0] });
    }
  });

  it('1000 allocations on CPU 0 freed on CPU 1: final 8, node partial 5, CPU 1 2 partial, cpu_slabs 1', () => {
    // The same drains happen on CPU 1's list; S62 is CPU 0's frozen active slab, so its 8 remote
    // frees only go on its own freelist. CPU 1 has partial slabs but no active slab: it adds nothing
    // to cpu_slabs, so only CPU 0's 1 + 0 is counted.
    const { c } = cache();
    for (const a of allocMany(c, 1000)) c.free(a, 1);
    expect(view(c)).toEqual({ slabs: 8, partial: 5, cpu_slabs: 1, slabs_cpu_partial: 2, by_cpu: [0, 2] });
  });

  it('the v5.1 model keeps 12 slabs for the 1000-table case', () => {
    const machine = new Machine({ cpus: 2 });
    const account = machine.account('v5.1');
    const tables = createChecked(slabDma32, {
      pages: account,
      cpus: 2,
      params: parseParams('slab-dma32', slabDma32.params, {}),
    });
    for (const a of allocMany(tables, 1000)) tables.free(a, 0);
    expect(account.heldBytes / (16 * KiB)).toBe(12);
  });
});

describe('SLUB 6.18 model: rules worked by hand', () => {
  it('a free on another CPU to an active slab only goes on its freelist; the owner takes it back (rules 2, 7)', () => {
    const { c } = cache();
    const addrs = allocMany(c, 16); // S0 full, still CPU 0's active slab
    c.free(addrs[5] as number, 1);
    expect(view(c)).toEqual({ slabs: 1, partial: 0, cpu_slabs: 1, slabs_cpu_partial: 0, by_cpu: [0, 0] });
    // CPU 0's lockless list is empty: get_freelist() takes the remote free, no new slab.
    expect(c.alloc(0)).toBe(addrs[5]);
    expect(c.sysfsView().slabs).toBe(1);
    // Now full with nothing to take: it leaves the CPU on no list and a new slab comes.
    c.alloc(0);
    expect(view(c)).toEqual({ slabs: 2, partial: 0, cpu_slabs: 1, slabs_cpu_partial: 0, by_cpu: [0, 0] });
  });

  it('a full slab freed on another CPU goes to the freeing CPU’s partial list (rule 8)', () => {
    const { c } = cache();
    const [s0] = slabsOf(allocMany(c, 17)); // S0 full on no list, S1 active on CPU 0
    c.free(s0?.[3] as number, 1);
    // CPU 0: 1 + 0; CPU 1 has a partial slab but no active one: nothing.
    expect(view(c)).toEqual({ slabs: 2, partial: 0, cpu_slabs: 1, slabs_cpu_partial: 1, by_cpu: [0, 1] });
    // CPU 1 allocates: its partial head becomes active (freeze_slab) with the freed object.
    expect(c.alloc(1)).toBe(s0?.[3]);
    expect(view(c)).toEqual({ slabs: 2, partial: 0, cpu_slabs: 2, slabs_cpu_partial: 0, by_cpu: [0, 0] });
  });

  it('drains the per-CPU partial list at the fourth insertion: three slabs are kept (rule 10, 11)', () => {
    const { c } = cache();
    const s = slabsOf(allocMany(c, 65)); // S0..S3 full, S4 active
    for (const i of [0, 1, 2]) c.free(s[i]?.[0] as number, 0);
    expect(view(c)).toEqual({ slabs: 5, partial: 0, cpu_slabs: 4, slabs_cpu_partial: 3, by_cpu: [3, 0] });
    // S3's first free finds 3 ≥ cpu_partial_slabs: S2, S1, S0 (none empty) go to the node tail.
    c.free(s[3]?.[0] as number, 0);
    expect(view(c)).toEqual({ slabs: 5, partial: 3, cpu_slabs: 2, slabs_cpu_partial: 1, by_cpu: [1, 0] });
    expect(c.nodePartialOrder()).toEqual([s[2]?.[0], s[1]?.[0], s[0]?.[0]]);
    expect(c.work.cpu_partial_drains).toBe(1);
  });

  it('an empty slab on the node list is discarded once nr_partial ≥ min_partial, kept before (rule 9)', () => {
    const { c } = cache();
    const s = slabsOf(allocMany(c, 129)); // S0..S7 full, S8 active
    // First frees of S0..S6: S3 drains S2, S1, S0 and S6 drains S5, S4, S3: node S2 S1 S0 S5 S4 S3.
    for (let i = 0; i <= 6; i++) c.free(s[i]?.[0] as number, 0);
    expect(c.nrPartial).toBe(6);
    // Emptying S2 on the node: nr_partial 6 ≥ 5, discarded.
    for (const a of (s[2] as number[]).slice(1)) c.free(a, 0);
    expect(view(c).slabs).toBe(8);
    expect(c.nrPartial).toBe(5);
    // Emptying S6 on CPU 0's partial list: it stays there.
    for (const a of (s[6] as number[]).slice(1)) c.free(a, 0);
    expect(view(c)).toEqual({ slabs: 8, partial: 5, cpu_slabs: 2, slabs_cpu_partial: 1, by_cpu: [1, 0] });
  });

  it('get_partial_node takes one active slab and moves two to the CPU list (rule 4)', () => {
    const { c } = cache();
    const s = slabsOf(allocMany(c, 129));
    for (let i = 0; i <= 6; i++) c.free(s[i]?.[0] as number, 0); // node: S2 S1 S0 S5 S4 S3; CPU 0: S6
    // CPU 1 has nothing: S2 becomes active, S1 then S0 go to CPU 1's list (moved 2 > 3 / 2).
    expect(c.alloc(1)).toBe(s[2]?.[0]);
    expect(view(c)).toEqual({ slabs: 9, partial: 3, cpu_slabs: 5, slabs_cpu_partial: 3, by_cpu: [1, 2] });
    expect(c.nodePartialOrder()).toEqual([s[5]?.[0], s[4]?.[0], s[3]?.[0]]);
    // S2 is now exhausted: it leaves the CPU full, and the list head S0 (pushed last) is next.
    expect(c.alloc(1)).toBe(s[0]?.[0]);
    expect(c.alloc(1)).toBe(s[1]?.[0]);
    expect(view(c)).toEqual({ slabs: 9, partial: 3, cpu_slabs: 3, slabs_cpu_partial: 1, by_cpu: [1, 0] });
  });

  it('deactivate_slab on flush: remote frees send the slab to the tail, none to the head (rule 12)', () => {
    const { c } = cache(3); // 3 CPUs: fls(3) = 2, still order 2 with 16 objects
    const s1 = slabsOf(allocMany(c, 20))[1] as number[]; // CPU 0: S0 full on no list, S1 active holding 4
    c.free(s1[1] as number, 1); // a remote free: S1 is frozen, the object goes on S1's own freelist
    const s2 = allocMany(c, 3, 1)[0] as number; // CPU 1: new slab S2 holding 3
    const s3 = allocMany(c, 5, 2)[0] as number; // CPU 2: new slab S3 holding 5
    c.flushCpu(1); // S2: no remote frees → head
    c.flushCpu(0); // S1: a remote free → tail; its 12 lockless objects join its freelist
    c.flushCpu(2); // S3 → head
    expect(c.nodePartialOrder()).toEqual([s3, s2, s1[0]]);
    expect(view(c)).toEqual({ slabs: 4, partial: 3, cpu_slabs: 0, slabs_cpu_partial: 0, by_cpu: [0, 0, 0] });
    // objects = 64 − the free ones on the node: 13 (S2) + 13 (S1) + 11 (S3) = 27 = 16 + 3 + 3 + 5 live.
    expect(c.sysfsView().objects).toBe(27);
  });

  it('shrink flushes every CPU, frees every empty slab and puts the fullest first (rule 13)', () => {
    const { c } = cache();
    const s = slabsOf(allocMany(c, 64)); // S0..S3 full, S3 still active with nothing left
    // On CPU 1: 2 frees in S0, 2 in S1, 9 in S2 → CPU 1's list S2 S1 S0 (none empty).
    const freed = [
      ...(s[0] as number[]).slice(0, 2),
      ...(s[1] as number[]).slice(0, 2),
      ...(s[2] as number[]).slice(0, 9),
    ];
    for (const a of freed) c.free(a, 1);
    c.shrink();
    // Flush: S3 is full (no list); S2, S1, S0 to the node tail. Sort: S2 (9 free) to bucket 8; S1
    // then S0 (2 free) to bucket 1, each moved to its bucket's head (S0 before S1); the buckets are
    // spliced at the list head, fewest free first.
    expect(c.nodePartialOrder()).toEqual([s[0]?.[0], s[1]?.[0], s[2]?.[0]]);
    expect(view(c)).toEqual({ slabs: 4, partial: 3, cpu_slabs: 0, slabs_cpu_partial: 0, by_cpu: [0, 0] });
    // With no live objects a shrink always ends at 0 slabs.
    for (const a of s.flat()) if (!freed.includes(a)) c.free(a, 0);
    c.shrink();
    expect(view(c)).toEqual({ slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0, by_cpu: [0, 0] });
  });

  it('4 KiB objects (8 per slab, cpu_partial_slabs 2, min_partial 6): 100 in and out in order keep 9 slabs', () => {
    // S0..S11 full, S12 active holding 4. Lists of 2: drains at the first frees of S2, S4, S6 keep
    // S1 S0, S3 S2, S5 S4 on the node (nr_partial 0..5 < 6); the drains at S8 and S10 discard.
    // Left: 6 on the node, S10 and S11 on CPU 0's list, S12 active.
    const { c } = cache(2, 4096);
    const addrs = allocMany(c, 100);
    expect(c.sysfsView().slabs).toBe(13);
    for (const a of addrs) c.free(a, 0);
    expect(view(c)).toEqual({ slabs: 9, partial: 6, cpu_slabs: 3, slabs_cpu_partial: 2, by_cpu: [2, 0] });
  });

  it('shrink after 100 allocations and frees on CPU 0 ends at 0 slabs', () => {
    const { c, machine } = cache();
    for (const a of allocMany(c, 100)) c.free(a, 0);
    c.shrink();
    expect(c.sysfsView()).toMatchObject({ slabs: 0, partial: 0, cpu_slabs: 0, objects: 0, total_objects: 0 });
    expect(machine.account('slub-6.18').heldBytes).toBe(0);
  });
});

describe('slab-dma32 and slab-normal pick the model from ctx.kernel', () => {
  const make = (kernel: '5.1' | '6.18' | undefined, params: Record<string, string> = {}) => {
    const machine = new Machine({ cpus: 2 });
    return slabDma32.create({
      pages: machine.account('x'),
      cpus: 2,
      params: parseParams('slab-dma32', slabDma32.params, params),
      ...(kernel ? { kernel } : {}),
    });
  };

  it('uses v5.1 by default and 6.18 when asked, with 6.18’s cpu_partial 24 (3 slabs)', () => {
    expect(make(undefined)).toBeInstanceOf(SlubCache);
    expect(make('5.1')).toBeInstanceOf(SlubCache);
    const c = make('6.18');
    expect(c).toBeInstanceOf(Slub618Cache);
    expect((c as Slub618Cache).geometry.cpuPartial).toBe(24);
    expect((c as Slub618Cache).cpuPartialSlabs).toBe(3);
    expect((make('5.1') as SlubCache).geometry.cpuPartial).toBe(6);
  });

  it('slab-normal too', () => {
    const machine = new Machine({ cpus: 2 });
    const params = parseParams('slab-normal', slabNormal.params, {});
    expect(slabNormal.create({ pages: machine.account('n'), cpus: 2, params, kernel: '6.18' })).toBeInstanceOf(
      Slub618Cache,
    );
    expect(slabNormal.create({ pages: machine.account('m'), cpus: 2, params })).toBeInstanceOf(SlubCache);
  });

  it('an explicit cpu_partial applies to either model', () => {
    const c = make('6.18', { cpu_partial: '6' }) as Slub618Cache;
    expect(c.cpuPartialSlabs).toBe(1); // ceil(12 / 16)
  });
});
