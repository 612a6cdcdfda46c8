import { describe, expect, it } from 'vitest';
import { slabDma32 } from '../../strategies/slab-dma32.ts';
import { allocMany, instance, KiB } from '../helpers.ts';

const SLAB = 16 * KiB; // 2 CPUs: order 2, 16 objects

/** Allocate `slabs` full slabs of 16 on CPU 0; returns the tables grouped by slab. */
function fullSlabs(tables: ReturnType<typeof instance>['tables'], slabs: number): number[][] {
  const addrs = allocMany(tables, slabs * 16, 0);
  return Array.from({ length: slabs }, (_, s) => addrs.slice(s * 16, s * 16 + 16));
}

describe('slab-dma32 (SLUB, v5.1)', () => {
  it('hands out a new slab in ascending address order and frees LIFO', () => {
    const { tables } = instance(slabDma32, { cpus: 2 });
    const addrs = allocMany(tables, 16);
    const base = addrs[0] as number;
    expect(base % SLAB).toBe(0);
    expect(addrs).toEqual(Array.from({ length: 16 }, (_, i) => base + i * KiB));
    // Not full yet from the CPU's point of view: frees push on c->freelist, allocations pop it.
    tables.free(addrs[3] as number, 0);
    tables.free(addrs[9] as number, 0);
    expect(tables.alloc(0)).toBe(addrs[9]);
    expect(tables.alloc(0)).toBe(addrs[3]);
  });

  it('keeps empty slabs on per-CPU partial lists and the node partial list (min_partial 5)', () => {
    // 10 slabs on CPU 0 (S9 stays active), then every table of S0..S8 freed on CPU 1, slab by slab.
    // Each first free of a full slab freezes it onto CPU 1's partial list (pobjects 1, 2, …, 7).
    // S7's first free finds pobjects 7 > cpu_partial 6: unfreeze_partials walks S6..S0 to the node
    // tail; S6..S2 are kept (nr_partial reaches 5), S1 and S0 are discarded. S7 and S8 then sit,
    // empty, on CPU 1's partial list. Held: S2..S9 = 8 slabs for 16 live tables.
    const { tables, account } = instance(slabDma32, { cpus: 2 });
    const slabs = fullSlabs(tables, 10);
    for (const slab of slabs.slice(0, 9)) for (const a of slab) tables.free(a, 1);
    expect(account.heldBytes).toBe(8 * SLAB);
    expect(account.counters.pagesReturned).toBe(8);
    expect(tables.work.cpu_partial_drains).toBe(1);
    const kept = new Set(slabs.slice(2).map((s) => s[0]));
    expect(account.holds(slabs[0]?.[0] as number)).toBe(false);
    expect(account.holds(slabs[1]?.[0] as number)).toBe(false);
    for (const b of kept) expect(account.holds(b as number)).toBe(true);
  });

  it('with cpu_partial=0, a slab emptied on the node list is freed once nr_partial (itself included) reaches 5', () => {
    // Every first free unfreezes at once: the slab goes to the node tail still holding 15 tables.
    // Its last free empties it there: S0..S3 stay (nr_partial 1..4 < 5), S4..S8 reach 5 and go.
    const { tables, account } = instance(slabDma32, { cpus: 2 }, { cpu_partial: '0' });
    const slabs = fullSlabs(tables, 10);
    for (const slab of slabs.slice(0, 9)) for (const a of slab) tables.free(a, 1);
    expect(account.heldBytes).toBe(5 * SLAB); // S0..S3 empty on the node, S9 active
    expect(tables.work.discarded_slabs).toBe(5);
  });

  it('a later allocation takes the per-CPU partial head, then the node list', () => {
    const { tables } = instance(slabDma32, { cpus: 2 });
    const slabs = fullSlabs(tables, 10);
    for (const slab of slabs.slice(0, 9)) for (const a of slab) tables.free(a, 1);
    // CPU 1 has no active slab: its partial head S8 becomes active; its freelist is LIFO, so the
    // last table freed there comes back first.
    expect(tables.alloc(1)).toBe(slabs[8]?.[15]);
  });

  it('falls back to order-0 slabs of 4 objects when DMA32 has no order-2 block', () => {
    const { tables, account } = instance(slabDma32, { cpus: 2, fragmentDma32: 1 / 4 });
    allocMany(tables, 10);
    expect(account.counters.failures[2]).toBe(3);
    expect(account.counters.allocs[0]).toBe(3);
    expect(account.heldBytes).toBe(12 * KiB);
    expect(tables.work.order_fallbacks).toBe(3);
  });

  it('counts only the cache descriptors as metadata: SLUB keeps slab state in struct page', () => {
    // kmem_cache 384 + kmem_cache_node 128 (arm64 aligns slab objects to 128) + 32 per CPU.
    expect(instance(slabDma32, { cpus: 2 }).tables.metadataBytes()).toBe(384 + 128 + 2 * 32);
    expect(instance(slabDma32, { cpus: 8 }).tables.metadataBytes()).toBe(384 + 128 + 8 * 32);
  });
});
