import { describe, expect, it } from 'vitest';
import { dmaPool } from '../../strategies/dma-pool.ts';
import { allocMany, instance, KiB } from '../helpers.ts';

// Linux 6.1's dma_pool (mm/dmapool.c before the v6.4 rework: v5.1's algorithm) on 6.1's atomic pool
// (kernel/dma/pool.c: 6.18's). The default machine: 4 GiB of RAM, so atomic_pool_size = 512 KiB =
// 128 pages.

const v61 = (params: Record<string, string> = {}, machine = {}) => instance(dmaPool, machine, params, '6.1');

describe('dma-pool 6.1: v5.1 pages, chains and list walks', () => {
  it('4 allocations take 2 pages: 3 usable blocks of 4, the new page at the head of the list', () => {
    const { tables } = v61();
    const [a, b, c, d] = allocMany(tables, 4) as [number, number, number, number];
    expect([b - a, c - a]).toEqual([KiB, 2 * KiB]);
    expect(d % (4 * KiB)).toBe(0);
    // Free P1+1024: the walk finds P2 (the head, 2 free blocks) first.
    tables.free(b, 0);
    expect(allocMany(tables, 3)).toEqual([d + KiB, d + 2 * KiB, b]);
    // Walks, newest page first: allocs 0, 1, 1, 1 (P1 full: walk it, add P2); the free walks P2 then
    // P1 (2); then 1, 1, 2.
    expect(tables.work.pages_walked).toBe(3 + 2 + 4);
  });

  it('pushes a freed block on its page: LIFO within the page', () => {
    const { tables } = v61();
    const [p, q] = allocMany(tables, 3) as [number, number];
    tables.free(p, 0);
    tables.free(q, 0);
    expect(allocMany(tables, 2)).toEqual([q, p]);
  });

  it('500 live blocks hold 167 pages, and freeing them all gives none back (as the 6.1 guest showed)', () => {
    const { tables } = v61({ coherent_pool: '0' });
    const addrs = allocMany(tables, 500);
    const pages = new Set(addrs.map((x) => Math.floor(x / (4 * KiB))));
    expect(pages.size).toBe(167);
    for (const x of addrs) tables.free(x, 0);
    expect(tables.metadataBytes()).toBe(128 + 167 * 128);
  });
});

describe("dma-pool 6.1: pages from 6.1's atomic pool, sized from RAM and grown by the worker", () => {
  it('the first table: its page from the boot pool, and a 128-page chunk the worker adds: 516 KiB', () => {
    const { tables, account } = v61();
    tables.alloc(0);
    expect(account.heldBytes).toBe(4 * KiB + 512 * KiB);
    expect(tables.work).toMatchObject({ atomic_pool_pages: 1, atomic_pool_grows: 1, atomic_pool_grown_pages: 128 });
    // struct dma_pool and one struct dma_page (kmalloc-128 each), and the grown chunk's header page.
    expect(tables.metadataBytes()).toBe(128 + 128 + 4 * KiB);
  });

  it('4096 tables: 1366 pages, the pool grown at used pages 1, 129, 385 and 897: 7.5 MiB + 4 KiB', () => {
    const { tables, account } = v61();
    allocMany(tables, 4096);
    expect(tables.work).toMatchObject({
      atomic_pool_pages: 1366,
      atomic_pool_grows: 4,
      atomic_pool_grown_pages: 128 + 256 + 512 + 1024,
      atomic_pool_exhausted: 0,
    });
    expect(account.heldBytes).toBe(4 * KiB + (128 + 256 + 512 + 1024) * 4 * KiB);
    expect(tables.metadataBytes()).toBe(128 + 1366 * 128 + 4 * 4 * KiB);
    // A pool that grows needs no coherent_pool= to serve it.
    expect(tables.requirements?.()).toEqual({});
  });

  it('pool_growth=none: the 128-page boot pool serves 384 tables at 3 per page, then allocations fail', () => {
    const { tables, account } = v61({ pool_growth: 'none' });
    allocMany(tables, 384);
    expect(tables.alloc(0)).toBe(-1);
    expect(account.heldBytes).toBe(512 * KiB);
    expect(tables.work.atomic_pool_exhausted).toBe(1);
    // It needed a page more than the pool had: a lower bound.
    expect(tables.requirements?.()).toEqual({ coherent_pool: 516 });
  });

  it('1 GiB of RAM: a 128 KiB pool, 96 tables without growth', () => {
    const { tables } = v61({ pool_growth: 'none' }, { dramBytes: 1 << 30 });
    allocMany(tables, 96);
    expect(tables.alloc(0)).toBe(-1);
  });

  it('coherent_pool=0: plain pages, exactly the need', () => {
    const { tables, account } = v61({ coherent_pool: '0' });
    allocMany(tables, 10);
    expect(account.heldBytes).toBe(4 * 4 * KiB);
    expect(tables.requirements?.()).toEqual({ coherent_pool: 16 });
    expect(tables.metadataBytes()).toBe(128 + 4 * 128);
  });
});
