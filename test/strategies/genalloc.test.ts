import { describe, expect, it } from 'vitest';
import { genalloc } from '../../strategies/genalloc.ts';
import { GiB } from '../../strategies/machine/constants.ts';
import { allocMany, instance, KiB } from '../helpers.ts';

describe('genalloc (gen_pool, v5.1)', () => {
  it('takes one order-10 DMA32 block at creation and never gives it back', () => {
    const { tables, account } = instance(genalloc);
    expect(account.heldBytes).toBe(4096 * KiB);
    // Boot leaves the highest DMA32 order-10 block at the list head: [4 GiB − 4 MiB, 4 GiB).
    const [a] = allocMany(tables, 1) as [number];
    expect(a).toBe(4 * GiB - 4096 * KiB);
    tables.free(a, 0);
    expect(account.heldBytes).toBe(4096 * KiB);
    // kmalloc-128 for struct gen_pool, one vzalloc page for the 48 B chunk header + 512 B bitmap.
    expect(tables.metadataBytes()).toBe(128 + 4096);
  });

  it('first fit hands out the lowest clear bit', () => {
    const { tables } = instance(genalloc);
    const addrs = allocMany(tables, 10);
    const base = addrs[0] as number;
    expect(addrs).toEqual(Array.from({ length: 10 }, (_, i) => base + i * KiB));
    tables.free(addrs[7] as number, 0);
    tables.free(addrs[3] as number, 0);
    expect(tables.alloc(0)).toBe(base + 3 * KiB);
    expect(tables.alloc(0)).toBe(base + 7 * KiB);
    expect(tables.alloc(0)).toBe(base + 10 * KiB);
  });

  it('best fit takes the shortest free run, first fit the first one', () => {
    for (const [algo, expected] of [
      ['first', 5],
      ['best', 8],
    ] as const) {
      const { tables } = instance(genalloc, {}, { algo });
      const addrs = allocMany(tables, 10);
      for (const i of [5, 6, 8]) tables.free(addrs[i] as number, 0); // free runs: 5–6, 8, and 10…4095
      expect(tables.alloc(0)).toBe((addrs[0] as number) + expected * KiB);
    }
  });

  it('counts the 64-bit bitmap words the kernel reads', () => {
    const { tables } = instance(genalloc);
    // Each of the first 64 allocations reads word 0 in find_next_zero_bit and again in find_next_bit.
    allocMany(tables, 64);
    expect(tables.work.bitmap_words_scanned).toBe(128);
    // The 65th: words 0 and 1 to find bit 64, then word 1 to check it.
    allocMany(tables, 1);
    expect(tables.work.bitmap_words_scanned).toBe(131);
  });

  it('fails at table 4097, and fails every allocation when the 4 MiB block cannot be had', () => {
    const { tables } = instance(genalloc);
    allocMany(tables, 4096);
    expect(tables.alloc(0)).toBe(-1);
    const fragmented = instance(genalloc, { fragmentDma32: 1 / 1024 });
    expect(fragmented.account.heldBytes).toBe(0);
    expect(fragmented.tables.alloc(0)).toBe(-1);
  });
});

describe('genalloc on 6.18: the same gen_pool', () => {
  it('hands out the same tables, first fit from bit 0, and frees them the same way', () => {
    const a = instance(genalloc);
    const b = instance(genalloc, {}, {}, '6.18');
    const x = allocMany(a.tables, 100);
    const y = allocMany(b.tables, 100);
    expect(y).toEqual(x);
    for (const i of [5, 50, 7]) {
      a.tables.free(x[i] as number, 0);
      b.tables.free(y[i] as number, 0);
    }
    expect(allocMany(b.tables, 3)).toEqual(allocMany(a.tables, 3));
    expect(b.account.heldBytes).toBe(a.account.heldBytes);
  });

  it('charges struct gen_pool (56 bytes) to kmalloc-64 on 6.18 arm64, kmalloc-128 on v5.1', () => {
    expect(instance(genalloc, {}, {}, '6.18').tables.metadataBytes()).toBe(64 + 4096);
    expect(instance(genalloc).tables.metadataBytes()).toBe(128 + 4096);
  });
});
