import { describe, expect, it } from 'vitest';
import { DmaDomain } from '../../workloads/iommu/dma.ts';
import { IovaDomain } from '../../workloads/iommu/iova.ts';
import { pickPageSize, SZ_1M, SZ_4K, SZ_16M, SZ_64K, V7sPageTable } from '../../workloads/iommu/v7s.ts';

function table() {
  const events: string[] = [];
  const pt = new V7sPageTable({
    allocTable: (slot) => events.push(`alloc ${slot}`),
    freeTable: (slot) => events.push(`free ${slot}`),
  });
  return { pt, events };
}

describe('io-pgtable-arm-v7s rules', () => {
  it('iommu_map picks the largest page that size and iova | paddr alignment allow; unmap looks at the iova only', () => {
    expect(pickPageSize(0x100000, 0x40100000, 0x200000)).toBe(SZ_1M);
    expect(pickPageSize(0x100000, 0x40010000, 0x200000)).toBe(SZ_64K); // paddr only 64K-aligned
    expect(pickPageSize(0x1000000, 0x2000000, SZ_16M)).toBe(SZ_16M);
    expect(pickPageSize(0x100000, 0, 0x200000)).toBe(SZ_1M); // unmap: alignment of the iova alone
    expect(pickPageSize(0x101000, 0x40101000, 0x200000)).toBe(SZ_4K);
  });

  it('allocates a table when a 4K page lands in an empty 1 MiB slot, and reuses it after', () => {
    const { pt, events } = table();
    expect(pt.iommuMap(0x300000, 0x40000000 + 0x1000, SZ_4K)).toBe('ok');
    expect(pt.iommuMap(0x301000, 0x40000000 + 0x3000, SZ_4K)).toBe('ok');
    expect(events).toEqual(['alloc 3']);
    expect(pt.iommuMap(0x301000, 0x40000000 + 0x3000, SZ_4K)).toBe('EEXIST');
  });

  it('a partial unmap keeps the table, even when it leaves it empty', () => {
    const { pt, events } = table();
    pt.iommuMap(0x300000, 0x40001000, 2 * SZ_4K);
    expect(pt.iommuUnmap(0x300000, 2 * SZ_4K)).toBe(2 * SZ_4K);
    expect(events).toEqual(['alloc 3']);
    expect(pt.slot(3)).toBe('table');
  });

  it('an unmap of a whole aligned 1 MiB frees the table whatever it holds, even when mapped with 4K pages', () => {
    const { pt, events } = table();
    // paddr 4K-aligned only: 256 pages of 4K in slot 5.
    expect(pt.iommuMap(0x500000, 0x40001000, SZ_1M)).toBe('ok');
    expect(pt.iommuUnmap(0x500000, SZ_1M)).toBe(SZ_1M);
    expect(events).toEqual(['alloc 5', 'free 5']);
  });

  it('a section mapped over a table frees it', () => {
    const { pt, events } = table();
    pt.iommuMap(0x700000, 0x40001000, SZ_4K);
    pt.iommuUnmap(0x700000, SZ_4K); // table stays, empty
    expect(pt.iommuMap(0x700000, 0x40100000, SZ_1M)).toBe('ok');
    expect(events).toEqual(['alloc 7', 'free 7']);
    expect(pt.slot(7)).toBe('section');
  });

  it('unmapping part of a section allocates a table for the rest (arm_v7s_split_blk_unmap)', () => {
    const { pt, events } = table();
    pt.iommuMap(0x900000, 0x40100000, SZ_1M);
    expect(events).toEqual([]);
    expect(pt.iommuUnmap(0x900000, SZ_64K)).toBe(SZ_64K);
    expect(events).toEqual(['alloc 9']);
    // The rest is still mapped: unmapping the next 64K is a plain L2 unmap.
    expect(pt.iommuUnmap(0x910000, SZ_64K)).toBe(SZ_64K);
    expect(events).toEqual(['alloc 9']);
  });

  it('a 4K unmap inside a supersection splits it into sections, then one section into a table', () => {
    const { pt, events } = table();
    expect(pt.iommuMap(0x2000000, 0x41000000, SZ_16M)).toBe('ok');
    expect(pt.slot(0x20)).toBe('supersection');
    pt.iommuUnmap(0x2300000, SZ_4K);
    expect(events).toEqual(['alloc 35']);
    expect(pt.slot(0x20)).toBe('section');
  });

  it('teardown frees every table', () => {
    const { pt, events } = table();
    pt.iommuMap(0x100000, 0x40001000, SZ_4K);
    pt.iommuMap(0x200000, 0x40001000, SZ_4K);
    pt.teardown();
    expect(events).toEqual(['alloc 1', 'alloc 2', 'free 1', 'free 2']);
  });
});

describe('IOVA allocator (iova.c, v5.1)', () => {
  it('allocates top-down below the limit, each range aligned to its size rounded up to a power of two', () => {
    const iova = new IovaDomain(1, 0x100000, 1);
    expect(iova.allocFast(1, 0)).toBe(0xfffff);
    expect(iova.allocFast(4, 0)).toBe(0xffff8); // below 0xfffff, 4-aligned
    expect(iova.allocFast(768, 0)).toBe(0xffc00); // 3 MiB: aligned to 1024 pages (4 MiB)
  });

  it('reuses a freed small range from the CPU rcache (LIFO) and a large one through the cached node', () => {
    const iova = new IovaDomain(1, 0x100000, 2);
    const a = iova.allocFast(2, 0);
    const b = iova.allocFast(2, 0);
    iova.freeFast(a, 2, 0);
    iova.freeFast(b, 2, 0);
    expect(iova.allocFast(2, 0)).toBe(b);
    expect(iova.allocFast(2, 1)).not.toBe(a); // another CPU's rcache is empty: a fresh range
    const big = iova.allocFast(1024, 0);
    iova.freeFast(big, 1024, 0); // > 32 pages: back to the tree, the cached node moves above it
    expect(iova.allocFast(1024, 0)).toBe(big);
  });

  it('dma-iommu rounds sizes below 32 pages up to a power of two, and not above', () => {
    const dma = new DmaDomain(1, { allocTable: () => {}, freeTable: () => {} });
    const three = dma.mapSg([{ bytes: 3 * SZ_4K, paddr: 0x40001000 }], 0);
    expect(three).toBe(0x100000000 - 4 * SZ_4K);
    const big = dma.mapSg([{ bytes: 33 * SZ_4K, paddr: 0x40001000 }], 0);
    // 33 pages, not rounded, but aligned to 64 pages: (0xffffc − 33) & ~63 = 0xfffc0.
    expect(big).toBe(0xfffc0 * SZ_4K);
  });
});
