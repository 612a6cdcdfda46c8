import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../core/sizes.ts';
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

/**
 * The v5.1 pool as the kernel runs it, written plainly: pages in a list walked newest first by
 * dma_pool_alloc (to the first page with a free block) and by pool_find_page (to the page of the
 * freed block), each page's free blocks chained through page->offset. The model finds the same page
 * through a summary bitmap and counts the walk arithmetically; this reference walks.
 */
class LinearScanPool {
  walked = 0;
  /** Per page, oldest first: the first free offset (4096 = full) and the link stored in each block. */
  readonly pages: { offset: number; link: Map<number, number> }[] = [];
  constructor(readonly chain: number[]) {}

  alloc(): { page: number; offset: number } {
    let page = -1;
    for (let p = this.pages.length - 1; p >= 0; p--) {
      this.walked++;
      if ((this.pages[p] as { offset: number }).offset < 4096) {
        page = p;
        break;
      }
    }
    if (page < 0) {
      const link = new Map<number, number>();
      for (const [i, at] of this.chain.entries()) link.set(at, this.chain[i + 1] ?? 4096);
      this.pages.push({ offset: this.chain[0] as number, link });
      page = this.pages.length - 1;
    }
    const p = this.pages[page] as { offset: number; link: Map<number, number> };
    const offset = p.offset;
    p.offset = p.link.get(offset) as number;
    return { page, offset };
  }

  free(page: number, offset: number): void {
    for (let p = this.pages.length - 1; p >= page; p--) this.walked++;
    const p = this.pages[page] as { offset: number; link: Map<number, number> };
    p.link.set(offset, p.offset);
    p.offset = offset;
  }
}

describe('dma-pool v5.1 against a linear scan of its page list', () => {
  it('chooses the same page and block, and counts the same walk, for any allocations and frees', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('0', '1'),
        fc.array(fc.record({ free: fc.boolean(), pick: fc.nat() }), { maxLength: 600 }),
        (boundaryFix, ops) => {
          // A small machine: 600 tables need at most 200 pages.
          const { tables } = instance(
            dmaPool,
            { dramBytes: 16 * MiB },
            { coherent_pool: '0', boundary_fix: boundaryFix },
          );
          const ref = new LinearScanPool(initialChain(1024, 4096, 4096, boundaryFix === '1'));
          const base: number[] = []; // page address by reference page index
          const live: { addr: number; page: number; offset: number }[] = [];
          for (const o of ops) {
            if (o.free && live.length > 0) {
              const [t] = live.splice(o.pick % live.length, 1) as [(typeof live)[number]];
              tables.free(t.addr, 0);
              ref.free(t.page, t.offset);
            } else {
              const addr = tables.alloc(0);
              const want = ref.alloc();
              if (want.page === base.length) base.push(addr - want.offset);
              expect(addr).toBe((base[want.page] as number) + want.offset);
              live.push({ addr, ...want });
            }
            expect(tables.work.pages_walked).toBe(ref.walked);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
