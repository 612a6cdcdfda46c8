import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../../core/sizes.ts';
import { genalloc } from '../../strategies/genalloc.ts';
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
  it('takes the highest DMA32 order-10 block and hands out its tables first fit from bit 0, as on v5.1', () => {
    const { tables, account } = instance(genalloc, {}, {}, '6.18');
    // By hand: boot leaves [4 GiB − 4 MiB, 4 GiB) at the head of the order-10 list; table i at base + i KiB.
    const base = 4 * GiB - 4096 * KiB;
    expect(account.heldBytes).toBe(4096 * KiB);
    expect(allocMany(tables, 100)).toEqual(Array.from({ length: 100 }, (_, i) => base + i * KiB));
    for (const i of [5, 50, 7]) tables.free(base + i * KiB, 0);
    // gen_pool_first_fit: the lowest clear bits, 5, 7 and 50, then the first never used, 100.
    expect(allocMany(tables, 4)).toEqual([5, 7, 50, 100].map((i) => base + i * KiB));
    expect(account.heldBytes).toBe(4096 * KiB);
  });

  it('charges struct gen_pool (56 bytes) to kmalloc-64 on 6.18 arm64, kmalloc-128 on v5.1', () => {
    expect(instance(genalloc, {}, {}, '6.18').tables.metadataBytes()).toBe(64 + 4096);
    expect(instance(genalloc).tables.metadataBytes()).toBe(128 + 4096);
  });
});

/**
 * gen_pool_first_fit for one bit as lib/find_bit.c and lib/bitmap.c run it, over 64-bit words:
 * _find_next_bit counting each word it reads, bitmap_find_next_zero_area checking the area.
 */
function referenceFirstFit(bits: boolean[]): { bit: number; words: number } {
  let words = 0;
  const findNext = (nbits: number, start: number, set: boolean): number => {
    if (start >= nbits) return nbits;
    for (let word = Math.floor(start / 64); word * 64 < nbits; word++) {
      words++;
      for (let b = Math.max(word * 64, start); b < word * 64 + 64; b++) if (bits[b] === set) return Math.min(b, nbits);
    }
    return nbits;
  };
  let start = 0;
  for (;;) {
    const index = findNext(4096, start, false);
    const end = index + 1;
    if (end > 4096) return { bit: end, words };
    const i = findNext(end, index, true);
    if (i >= end) return { bit: index, words };
    start = i + 1;
  }
}

describe('genalloc first fit against the kernel bitmap walk', () => {
  it('hands out the same bit and counts the same words read, for any allocations and frees', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ free: fc.boolean(), pick: fc.nat() }), { maxLength: 300 }),
        fc.nat({ max: 4000 }),
        (ops, prefill) => {
          const { tables } = instance(genalloc, { dramBytes: 16 * MiB });
          const bits: boolean[] = new Array(4096).fill(false);
          const live: number[] = [];
          let base = -1;
          const allocOne = () => {
            const before = tables.work.bitmap_words_scanned as number;
            const want = referenceFirstFit(bits);
            const addr = tables.alloc(0);
            if (base < 0) base = addr - want.bit * 1024;
            expect((addr - base) / 1024).toBe(want.bit);
            expect((tables.work.bitmap_words_scanned as number) - before).toBe(want.words);
            bits[want.bit] = true;
            live.push(addr);
          };
          for (let i = 0; i < prefill; i++) allocOne();
          for (const o of ops) {
            if (o.free && live.length > 0) {
              const [addr] = live.splice(o.pick % live.length, 1) as [number];
              tables.free(addr, 0);
              bits[(addr - base) / 1024] = false;
            } else if (live.length < 4096) {
              allocOne();
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
