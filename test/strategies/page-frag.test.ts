import { describe, expect, it } from 'vitest';
import { pageFrag } from '../../strategies/page-frag.ts';
import { allocMany, type Instance, instance, KiB } from '../helpers.ts';

/**
 * A deterministic churn through two instances side by side: an LCG picks, each step, a free of a
 * live table (one step in `freeOneIn`, the same table in both) or an allocation; `check` runs after
 * each step, with the two addresses of an allocation.
 */
function sideBySide(
  a: Instance,
  b: Instance,
  o: { seed: number; steps: number; freeOneIn: number },
  check: (allocated: [number, number] | null) => void,
): void {
  const liveA: number[] = [];
  const liveB: number[] = [];
  let x = o.seed;
  for (let i = 0; i < o.steps; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    if (liveA.length > 0 && x % o.freeOneIn === 0) {
      const k = x % liveA.length;
      a.tables.free(liveA.splice(k, 1)[0] as number, 0);
      b.tables.free(liveB.splice(k, 1)[0] as number, 0);
      check(null);
    } else {
      liveA.push(a.tables.alloc(0));
      liveB.push(b.tables.alloc(0));
      check([liveA.at(-1) as number, liveB.at(-1) as number]);
    }
  }
}

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

// 6.18 (mm/page_frag_cache.c): carving from offset 0 upward since 8218f62c9c9b (v6.13); the same
// refill and reuse rules. Expected values worked by hand from those rules.
describe('page-frag (__page_frag_alloc_align, 6.18)', () => {
  const v618 = (machine = {}) => instance(pageFrag, machine, {}, '6.18');

  it('carves fragment k of a 32 KiB page at 1024·k, upward from offset 0; the 33rd takes a new page', () => {
    const { tables, account } = v618();
    const addrs = allocMany(tables, 33);
    const base = addrs[0] as number;
    expect(base % (32 * KiB)).toBe(0);
    expect(addrs.slice(0, 32)).toEqual(Array.from({ length: 32 }, (_, k) => base + k * KiB));
    // Fragment 33 does not fit (32·1024 + 1024 > 32 KiB) and 32 are out: a second order-3 page, from its offset 0.
    expect((addrs[32] as number) % (32 * KiB)).toBe(0);
    expect(addrs[32]).not.toBe(base);
    expect(account.counters.allocs[3]).toBe(2);
    expect(account.heldBytes).toBe(64 * KiB);
  });

  it('reuses the cached page from offset 0 only once every fragment from it is free', () => {
    const { tables, account } = v618();
    const first = allocMany(tables, 32);
    for (const a of first) tables.free(a, 0);
    expect(tables.strandedBytes()).toBe(32 * KiB);
    expect(tables.alloc(0)).toBe(first[0]); // offset 0 of the same page
    expect(tables.alloc(0)).toBe((first[0] as number) + KiB);
    expect(account.counters.allocs[3]).toBe(1);
    expect(tables.work.page_reuses).toBe(1);
    expect(tables.strandedBytes()).toBe(0);
  });

  it('does not reuse fragments freed on the current page before it runs out', () => {
    const { tables } = v618();
    const [a, b] = allocMany(tables, 2) as [number, number];
    tables.free(a, 0);
    tables.free(b, 0);
    expect(tables.strandedBytes()).toBe(2 * KiB);
    expect(tables.alloc(0)).toBe(a + 2 * KiB); // offsets 0 and 1024 stay unused: the next is 2048
  });

  it('retires a page with a fragment still out and frees it with its last fragment, as v5.1 does', () => {
    const { tables, account } = v618();
    const first = allocMany(tables, 32);
    for (const a of first.slice(1)) tables.free(a, 0);
    tables.alloc(0); // fragment 0 still out: a new page
    expect(account.heldBytes).toBe(64 * KiB);
    expect(tables.strandedBytes()).toBe(31 * KiB);
    tables.free(first[0] as number, 0);
    expect(account.heldBytes).toBe(32 * KiB);
    expect(account.counters.pagesReturned).toBe(8);
  });

  it('falls back to order-0 pages, 4 fragments each, at offsets 0, 1024, 2048, 3072', () => {
    const { tables, account } = v618({ fragmentDma32: 1 / 8 });
    const addrs = allocMany(tables, 9);
    expect(account.counters.failures[3]).toBe(3);
    expect(account.counters.allocs[0]).toBe(3);
    expect(addrs.slice(0, 4).map((a) => a % (4 * KiB))).toEqual([0, KiB, 2 * KiB, 3 * KiB]);
    expect((addrs[4] as number) % (4 * KiB)).toBe(0); // the 5th: offset 0 of the next order-0 page
  });

  it('keeps its struct in 16 bytes (encoded_page): v5.1 needs 24', () => {
    expect(v618().tables.metadataBytes()).toBe(16);
    expect(instance(pageFrag).tables.metadataBytes()).toBe(24);
  });

  it('holds, strands and returns exactly the pages v5.1 does, event by event: only the offsets differ', () => {
    const a = instance(pageFrag);
    const b = v618();
    sideBySide(a, b, { seed: 12345, steps: 4000, freeOneIn: 4 }, () => {
      expect(b.account.heldBytes).toBe(a.account.heldBytes);
      expect(b.tables.strandedBytes()).toBe(a.tables.strandedBytes());
    });
    expect(b.account.counters.pagesReturned).toBe(a.account.counters.pagesReturned);
    expect(b.tables.work).toEqual(a.tables.work);
  });
});

// 6.1 (mm/page_alloc.c, page_frag_alloc_align): v5.1's carving with an alignment mask; 1 KiB
// fragments never need it.
describe('page-frag (page_frag_alloc_align, 6.1)', () => {
  const v61 = () => instance(pageFrag, {}, {}, '6.1');

  it("carves downward as v5.1: fragment k of a 32 KiB page at 32768 − 1024·k; v5.1's 24-byte struct", () => {
    const { tables, account } = v61();
    const addrs = allocMany(tables, 33);
    const base = (addrs[0] as number) - 31 * KiB;
    for (let k = 1; k <= 32; k++) expect(addrs[k - 1]).toBe(base + 32 * KiB - k * KiB);
    expect(account.counters.allocs[3]).toBe(2);
    expect(tables.metadataBytes()).toBe(24);
  });

  it('reuses the cached page from its end once every fragment is back: the 33rd after 32 frees is the first', () => {
    const { tables, account } = v61();
    const first = allocMany(tables, 32);
    for (const a of first) tables.free(a, 0);
    expect(tables.alloc(0)).toBe(first[0]);
    expect(account.counters.allocs[3]).toBe(1);
  });

  it('hands out the addresses v5.1 does, event by event, on the same machine history', () => {
    const a = instance(pageFrag);
    const b = v61();
    sideBySide(a, b, { seed: 777, steps: 3000, freeOneIn: 3 }, (allocated) => {
      if (allocated) expect(allocated[1]).toBe(allocated[0]);
    });
    expect(b.tables.work).toEqual(a.tables.work);
  });
});
