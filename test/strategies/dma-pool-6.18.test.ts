import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../../core/sizes.ts';
import { atomicPoolDefaultBytes, chunkPages } from '../../strategies/atomic-pool.ts';
import { dmaPool, initialChain } from '../../strategies/dma-pool.ts';
import { blockOffsets618 } from '../../strategies/dma-pool-6.18.ts';
import { allocMany, instance, KiB } from '../helpers.ts';

// Linux 6.18's dma_pool (mm/dmapool.c after da9619a30e73, v6.4) and atomic pool (kernel/dma/pool.c).
// Every expected value is worked by hand from the kernel's rules, as the comments show.

const v618 = (params: Record<string, string> = {}, machine = {}) => instance(dmaPool, machine, params, '6.18');
const PAGES_4G = (4 * GiB) / (4 * KiB);

describe('dma-pool blocks per page (pool_initialise_page)', () => {
  it('places 4 blocks of 1 KiB on a 4 KiB page: the boundary test is `offset + size > next_boundary`', () => {
    // 0+1024, 1024+1024, 2048+1024, 3072+1024 all ≤ 4096 and none crosses the 4096 boundary.
    expect(blockOffsets618(1024, 4096, 4096)).toEqual([0, 1024, 2048, 3072]);
    // v5.1 skips a block ending exactly on the boundary (next + size >= boundary): 3 blocks.
    expect(initialChain(1024, 4096, 4096, false)).toEqual([0, 1024, 2048]);
  });

  it('with a 2 KiB boundary: 6.18 keeps 4 blocks, v5.1 only 2', () => {
    // 6.18: 0 and 1024 end at ≤ 2048; 2048 and 3072 end at ≤ 4096: nothing crosses.
    expect(blockOffsets618(1024, 4096, 2048)).toEqual([0, 1024, 2048, 3072]);
    // v5.1: at 0, next 1024 + 1024 >= 2048, so jump to 2048; there, 3072 + 1024 >= 4096: the end.
    expect(initialChain(1024, 4096, 2048, false)).toEqual([0, 2048]);
  });

  it('packs 4 tables per page, so 8 tables take 2 pages (v5.1: 3)', () => {
    const { tables, account } = v618({ coherent_pool: '0' });
    allocMany(tables, 8);
    expect(account.heldBytes).toBe(8 * KiB);
    const old = instance(dmaPool, {}, { coherent_pool: '0' });
    allocMany(old.tables, 8);
    expect(old.account.heldBytes).toBe(12 * KiB);
  });
});

describe('dma-pool 6.18: one pool-wide LIFO stack of free blocks', () => {
  it('hands out a new page from its first block up, and reuses the most recently freed block anywhere', () => {
    const { tables } = v618({ coherent_pool: '0' });
    const first = allocMany(tables, 5);
    const p0 = first[0] as number;
    const p1 = first[4] as number;
    // A new page's blocks are pushed so that its first block is on top: P0+0, +1K, +2K, +3K; then P1+0.
    expect(first.slice(0, 4)).toEqual([p0, p0 + KiB, p0 + 2 * KiB, p0 + 3 * KiB]);
    expect(p1 % (4 * KiB)).toBe(0);
    tables.free(p0 + KiB, 0);
    tables.free(p1, 0);
    // Stack (top first): P1+0, P0+1K, then P1's remaining blocks P1+1K, P1+2K, P1+3K.
    expect(allocMany(tables, 3)).toEqual([p1, p0 + KiB, p1 + KiB]);
    // v5.1 would take the newest page with a free block, P1, for both: P1+0, then P1+1K (P0+1K waits).
    expect(tables.work.pages_walked).toBe(0);
  });

  it('walks no list and never frees a page', () => {
    const { tables, account } = v618({ coherent_pool: '0' });
    const addrs = allocMany(tables, 40); // 10 pages
    for (const a of addrs) tables.free(a, 0);
    for (const a of allocMany(tables, 40).reverse()) tables.free(a, 0);
    expect(tables.work.pages_walked).toBe(0);
    expect(account.heldBytes).toBe(40 * KiB);
    expect(account.counters.pagesReturned).toBe(0);
    expect(tables.strandedBytes()).toBe(0);
  });

  it('keeps a 32-byte struct dma_page per page in kmalloc-32 and the pool in kmalloc-128', () => {
    const { tables } = v618({ coherent_pool: '0' });
    allocMany(tables, 8);
    expect(tables.metadataBytes()).toBe(128 + 2 * 32);
  });
});

describe('the 6.18 atomic pool (kernel/dma/pool.c)', () => {
  it('sizes itself from RAM: 128 KiB per GiB, at least 128 KiB, at most 4 MiB', () => {
    // totalram_pages() / (1 GiB / 128 KiB) pages: 1,048,576 / 8192 = 128 pages = 512 KiB.
    expect(atomicPoolDefaultBytes(PAGES_4G)).toBe(512 * KiB);
    expect(atomicPoolDefaultBytes(PAGES_4G / 2)).toBe(256 * KiB);
    expect(atomicPoolDefaultBytes(PAGES_4G / 4)).toBe(128 * KiB);
    // 512 MiB would give 64 KiB: the floor is 128 KiB.
    expect(atomicPoolDefaultBytes(PAGES_4G / 8)).toBe(128 * KiB);
    // 64 GiB would give 8 MiB: the cap is MAX_ORDER_NR_PAGES = 1024 pages = 4 MiB.
    expect(atomicPoolDefaultBytes(PAGES_4G * 16)).toBe(4 * MiB);
    // 3 GiB: 96 pages = 384 KiB, and the chunk is get_order(384 KiB) = order 7 = 128 pages.
    expect(atomicPoolDefaultBytes((PAGES_4G * 3) / 4)).toBe(384 * KiB);
    expect(chunkPages(384 * KiB)).toBe(128);
  });

  it('doubles after an allocation leaves less free than its size: on 4 GiB, 512 KiB after the first table', () => {
    // Pool 512 KiB (128 pages). Table 1 takes page 0 of the boot pool (charged): 127 pages free <
    // 128, so the worker adds a chunk of gen_pool_size = 128 pages (512 KiB), charged whole.
    const { tables, account } = v618();
    allocMany(tables, 1);
    expect(account.heldBytes).toBe(4 * KiB + 512 * KiB);
    expect(tables.work).toMatchObject({ atomic_pool_pages: 1, atomic_pool_grows: 1, atomic_pool_grown_pages: 128 });
    // New pages come from the newest chunk first: up to 1 + 128 pages = 516 tables, 512 with this one full but one.
    allocMany(tables, 511); // 512 tables = 128 pages: 1 boot + 127 of the chunk; 128 free, not < 128
    expect(account.heldBytes).toBe(516 * KiB);
    expect(tables.work.atomic_pool_grows).toBe(1);
    // Table 513 takes the chunk's last page: 127 free < 128, the pool doubles again (+256 pages).
    allocMany(tables, 1);
    expect(account.heldBytes).toBe((1 + 128 + 256) * 4 * KiB);
    expect(tables.work.atomic_pool_grows).toBe(2);
    // Metadata: the pool, 129 dma_page headers, and a vzalloc'ed chunk header per added chunk.
    expect(tables.metadataBytes()).toBe(128 + 129 * 32 + 2 * 4 * KiB);
  });

  it('grows to 7.5 MiB for 4096 tables: chunks of 128, 256, 512 and 1024 pages (the 4 MiB cap)', () => {
    // 1024 pages needed: 1 + 128 + 256 + 512 = 897, then 127 free < 128: gen_pool_size is 1024 pages,
    // an order-10 chunk (the largest). Held: 1 + 128 + 256 + 512 + 1024 = 1921 pages.
    const { tables, account } = v618();
    allocMany(tables, 4096);
    expect(account.heldBytes).toBe(1921 * 4 * KiB);
    expect(tables.work).toMatchObject({
      atomic_pool_grows: 4,
      atomic_pool_grown_pages: 1920,
      atomic_pool_exhausted: 0,
    });
  });

  it('with the worker never in time (pool_growth=none), fails the allocation that finds the pool exhausted', () => {
    // The 512 KiB boot pool: 128 pages, 512 tables; table 513 fails (GFP_ATOMIC cannot wait).
    const { tables, account } = v618({ pool_growth: 'none' });
    allocMany(tables, 512);
    expect(tables.alloc(0)).toBe(-1);
    expect(tables.work.atomic_pool_exhausted).toBe(1);
    expect(account.heldBytes).toBe(512 * KiB);
    // 128 pages taken and one refused: a boot pool of 129 pages = 516 KiB at least.
    expect(tables.requirements?.()).toEqual({ coherent_pool: 516 });
  });

  it('takes coherent_pool= as the size: the part above the default is held from boot', () => {
    // coherent_pool=1024: a 256-page boot chunk; the default is 128 pages, so 128 are held at creation.
    const { tables, account } = v618({ coherent_pool: '1024', pool_growth: 'none' });
    expect(account.heldBytes).toBe(512 * KiB);
    allocMany(tables, 1024);
    expect(account.heldBytes).toBe(1024 * KiB);
    expect(tables.alloc(0)).toBe(-1);
  });

  it('sizes the pool from the machine: 2 GiB gives a 256 KiB pool, the first table 4 KiB + 256 KiB', () => {
    const { tables, account } = v618({}, { dramBytes: 2 * GiB });
    allocMany(tables, 1);
    expect(account.heldBytes).toBe(4 * KiB + 256 * KiB);
  });

  it('fails once the page allocator cannot grow the pool: on a 4 MiB machine, after 4096 tables', () => {
    // 1024 pages, one order-10 block. The 128 KiB minimum pool (32 pages): page 0 of the boot pool
    // splits the block (free: one block of each order 0..9), then the worker adds 32, 64, 128, 256
    // and 512 pages, then falls back to 16, 8, 4, 2 and 1: every page of the machine, 1024 in all,
    // 4096 tables. Table 4097 finds every chunk full and no page for the boot pool: it fails.
    const { tables, account } = v618({}, { dramBytes: 4 * MiB });
    allocMany(tables, 4096);
    expect(account.heldBytes).toBe(4 * MiB);
    expect(tables.work).toMatchObject({ atomic_pool_grows: 10, atomic_pool_grown_pages: 1023 });
    expect(tables.alloc(0)).toBe(-1);
    expect(tables.work.atomic_pool_exhausted).toBe(1);
    // A pool that grows needs no larger coherent_pool=: nothing to ask for.
    expect(tables.requirements?.()).toEqual({});
  });

  it('keeps v5.1 unchanged: coherent_pool=-1 is 256 KiB there, 64 pages, 192 tables', () => {
    const { tables, account } = instance(dmaPool);
    allocMany(tables, 192);
    expect(tables.alloc(0)).toBe(-1);
    expect(account.heldBytes).toBe(256 * KiB);
  });
});
