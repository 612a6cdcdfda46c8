import { describe, expect, it } from 'vitest';
import { pageFrag } from '../../strategies/page-frag.ts';
import { allocMany, instance, KiB } from '../helpers.ts';

describe('page-frag (page_frag_alloc, v5.1)', () => {
  it('carves 1 KiB fragments downward from the end of a 32 KiB page', () => {
    const { tables, account } = instance(pageFrag);
    const addrs = allocMany(tables, 33);
    const base = addrs[31] as number;
    expect(base % (32 * KiB)).toBe(0); // the order-3 page is naturally aligned
    for (let i = 0; i < 32; i++) expect(addrs[i]).toBe(base + 31 * KiB - i * KiB);
    // The 33rd needs a new page: fragments of the first are still out.
    expect(account.counters.allocs[3]).toBe(2);
    expect(account.heldBytes).toBe(64 * KiB);
  });

  it('reuses the cached page only once every fragment from it is free', () => {
    const { tables, account } = instance(pageFrag);
    const first = allocMany(tables, 32);
    for (const a of first) tables.free(a, 0);
    expect(tables.strandedBytes()).toBe(32 * KiB);
    // Offset ran out and the refcount drops to zero: the same page, from the top again.
    expect(tables.alloc(0)).toBe(first[0]);
    expect(account.counters.allocs[3]).toBe(1);
    expect(tables.strandedBytes()).toBe(0);
  });

  it('does not reuse fragments freed on the current page before its offset runs out', () => {
    const { tables } = instance(pageFrag);
    const [a, b] = allocMany(tables, 2) as [number, number];
    tables.free(a, 0);
    tables.free(b, 0);
    expect(tables.strandedBytes()).toBe(2 * KiB);
    expect(tables.alloc(0)).toBe(b - KiB); // carving goes on downward; a and b stay unused
  });

  it('strands freed fragments on a retired page until its last one is freed, then returns the page', () => {
    const { tables, account } = instance(pageFrag);
    const first = allocMany(tables, 32);
    for (const a of first.slice(1)) tables.free(a, 0);
    tables.alloc(0); // one fragment still out: a new page
    expect(account.heldBytes).toBe(64 * KiB);
    expect(tables.strandedBytes()).toBe(31 * KiB);
    tables.free(first[0] as number, 0);
    expect(account.heldBytes).toBe(32 * KiB);
    expect(account.counters.pagesReturned).toBe(8);
    expect(tables.strandedBytes()).toBe(0);
  });

  it('falls back to order-0 pages (4 fragments each) when no order-3 block is free', () => {
    const { tables, account } = instance(pageFrag, { fragmentDma32: 1 / 8 });
    const addrs = allocMany(tables, 9);
    expect(account.counters.failures[3]).toBe(3); // each refill tries order 3 first
    expect(account.counters.allocs[0]).toBe(3);
    expect(account.heldBytes).toBe(12 * KiB);
    expect(addrs.slice(0, 4).map((a) => a % (4 * KiB))).toEqual([3 * KiB, 2 * KiB, KiB, 0]);
  });
});
