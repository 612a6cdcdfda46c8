import { describe, expect, it } from 'vitest';
import { dmaPool, initialChain } from '../../strategies/dma-pool.ts';
import { allocMany, instance, KiB } from '../helpers.ts';

describe('dma-pool (mm/dmapool.c, v5.1)', () => {
  it('uses only 3 of 4 blocks per page: pool_initialise_page tests next + size >= boundary', () => {
    expect(initialChain(1024, 4096, 4096, false)).toEqual([0, 1024, 2048]);
    expect(initialChain(1024, 4096, 4096, true)).toEqual([0, 1024, 2048, 3072]);
  });

  it('adds pages at the head, allocates from the newest page with room, and never frees a page', () => {
    const { tables, account } = instance(dmaPool);
    const addrs = allocMany(tables, 6);
    const [p0, p1] = [addrs[0] as number, addrs[3] as number];
    expect(addrs).toEqual([p0, p0 + KiB, p0 + 2 * KiB, p1, p1 + KiB, p1 + 2 * KiB]);
    // List walks, newest page first: 0 (empty list), 1, 1, 1 (p0 full: walk it, add p1), 1, 1.
    expect(tables.work.pages_walked).toBe(5);
    tables.free(p0 + KiB, 0); // room on the old page only; pool_find_page walks p1, then p0
    expect(tables.work.pages_walked).toBe(7);
    expect(tables.alloc(0)).toBe(p0 + KiB);
    expect(tables.work.pages_walked).toBe(9);
    for (const a of addrs) tables.free(a, 0);
    expect(account.heldBytes).toBe(8 * KiB);
    expect(account.counters.pagesReturned).toBe(0);
    expect(tables.metadataBytes()).toBe(128 + 2 * 128); // kmalloc-128 pool + a kmalloc-128 dma_page per page
  });

  it('with boundary_fix=1 packs 4 tables per page', () => {
    const { tables, account } = instance(dmaPool, {}, { boundary_fix: '1' });
    allocMany(tables, 8);
    expect(account.heldBytes).toBe(8 * KiB);
  });

  it('gets its pages from the 256 KiB atomic coherent pool: 64 pages, 192 tables, then failures', () => {
    const { tables, account } = instance(dmaPool);
    allocMany(tables, 192);
    expect(tables.alloc(0)).toBe(-1);
    expect(account.heldBytes).toBe(256 * KiB);
    expect(tables.work.atomic_pool_exhausted).toBe(1);
    const bigger = instance(dmaPool, {}, { coherent_pool: '1024' });
    allocMany(bigger.tables, 768);
    expect(bigger.tables.alloc(0)).toBe(-1);
  });

  it('holds a pool above the 256 KiB default from boot: the extra is reserved for these tables', () => {
    // coherent_pool=512: 256 KiB extra = 64 pages held at creation; 10 tables take 4 of them.
    const { tables, account } = instance(dmaPool, {}, { coherent_pool: '512' });
    expect(account.heldBytes).toBe(256 * KiB);
    allocMany(tables, 10);
    expect(account.heldBytes).toBe(256 * KiB);
    // 200 tables need 67 pages: the 64 reserved, then 3 from the default (shared) pool.
    allocMany(tables, 190);
    expect(account.heldBytes).toBe(67 * 4 * KiB);
    expect(tables.requirements?.()).toEqual({ coherent_pool: 67 * 4 });
  });

  it('says what pool it needs: the pages taken, plus one once a page was refused (a lower bound)', () => {
    const { tables } = instance(dmaPool);
    allocMany(tables, 192);
    expect(tables.requirements?.()).toEqual({ coherent_pool: 256 });
    expect(tables.alloc(0)).toBe(-1);
    expect(tables.requirements?.()).toEqual({ coherent_pool: 260 });
  });
});
