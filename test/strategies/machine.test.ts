import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../../core/sizes.ts';
import { GFP_ATOMIC, GFP_DMA32, GFP_KERNEL, ZONE_DMA32, ZONE_NORMAL } from '../../strategies/machine/gfp.ts';
import { Machine, RESERVED_OWNER, zoneLayout } from '../../strategies/machine/machine.ts';

describe('zones (arm64 max_zone_dma_phys, v5.1)', () => {
  it('MT8173-like default: DMA32 = [1 GiB, 4 GiB), Normal = [4 GiB, 5 GiB)', () => {
    const m = new Machine();
    expect(m.zones.map((z) => [z.name, z.start, z.end])).toEqual([
      ['DMA32', 1 * GiB, 4 * GiB],
      ['Normal', 4 * GiB, 5 * GiB],
    ]);
    expect(m.totalPages).toBe((4 * GiB) / 4096);
  });

  it('DRAM below 4 GiB has no Normal zone; DRAM from 8 GiB gets DMA32 = its first 4 GiB', () => {
    expect(zoneLayout({ dramBase: 0, dramBytes: 2 * GiB }).map((z) => z.end - z.start)).toEqual([2 * GiB, 0]);
    // offset = DRAM start & GENMASK(63, 32) = 8 GiB: the zone is named DMA32 but lies above 4 GiB.
    expect(zoneLayout({ dramBase: 8 * GiB, dramBytes: 6 * GiB }).map((z) => [z.start, z.end])).toEqual([
      [8 * GiB, 12 * GiB],
      [12 * GiB, 14 * GiB],
    ]);
  });

  it('refuses impossible machines, naming the option', () => {
    expect(() => new Machine({ cpus: 0 })).toThrow(/cpus=0/);
    expect(() => new Machine({ dramBytes: 1000 })).toThrow(/dram=1000/);
    expect(() => new Machine({ fragmentDma32: 1 })).toThrow(/fragment=1/);
  });
});

describe('buddy allocator', () => {
  const small = { dramBase: 0, dramBytes: 16 * MiB }; // 4 order-10 blocks, all DMA32

  it('boot hands out ascending order-10 blocks, each at the list head: the highest block comes first', () => {
    const m = new Machine(small);
    expect(m.buddy.freeList(ZONE_DMA32, 10)).toEqual([3072, 2048, 1024, 0]);
    const a = m.account('t');
    // __rmqueue_smallest takes block 3072 and expand() keeps its lowest page.
    expect(a.allocPages(GFP_KERNEL, 0)).toBe(12 * MiB);
    // The upper halves went to the list heads: the next order-0 page is the buddy of the first.
    expect(a.allocPages(GFP_KERNEL, 0)).toBe(12 * MiB + 4096);
    expect(a.allocPages(GFP_KERNEL, 1)).toBe(12 * MiB + 8192);
  });

  it('merges every freed block back: all pages free, four order-10 blocks again', () => {
    const m = new Machine(small);
    const a = m.account('t');
    const held: [number, number][] = [];
    for (let i = 0; i < 200; i++) {
      const order = (i * 7) % 6;
      const addr = a.allocPages(GFP_KERNEL, order);
      expect(addr % (4096 << order)).toBe(0); // naturally aligned
      held.push([addr, order]);
    }
    for (let i = 0; i < held.length; i++) {
      const [addr, order] = held[(i * 37) % held.length] as [number, number];
      a.freePages(addr, order);
    }
    expect(m.freePages()).toBe(4096);
    expect(a.counters.held).toBe(0);
    expect(m.buddy.nrFree[ZONE_DMA32 * 11 + 10]).toBe(4);
    for (let o = 0; o < 10; o++) expect(m.buddy.nrFree[ZONE_DMA32 * 11 + o]).toBe(0);
  });

  it('queues a freed block at the tail when the buddy one order up is free, else at the head (__free_one_page)', () => {
    // By hand, pages of the 16 MiB machine: the first order-0 page is 3072, leaving free the
    // order-0 page 3073, order 1 at 3074, order 2 at 3076, order 3 at 3080… Taking 3073, then
    // orders 1 and 2 (3074, 3076), then two order-0 pages splits 3080: 3080 and 3081 are taken,
    // 3082 (order 1) and 3084 (order 2) stay free. Freed, page 3073 cannot merge (3072 is held) and
    // the order-1 buddy of [3072, 3073], 3074, is held: it goes to the head. Page 3081 cannot merge
    // (3080 is held) but the order-1 buddy of [3080, 3081], 3082, is free: it goes to the tail.
    const setUp = () => {
      const m = new Machine(small);
      const a = m.account('t');
      const pages = [0, 0, 1, 2, 0, 0].map((order) => a.allocPages(GFP_KERNEL, order) / 4096);
      expect(pages).toEqual([3072, 3073, 3074, 3076, 3080, 3081]);
      return { free: (page: number) => a.freePages(page * 4096, 0), list: () => m.buddy.freeList(ZONE_DMA32, 0) };
    };
    // 3073 first (head of an empty list), then 3081 behind it: a head-only queue would put 3081 first.
    const first = setUp();
    first.free(3073);
    first.free(3081);
    expect(first.list()).toEqual([3073, 3081]);
    // 3081 first (the tail of an empty list), then 3073 before it: a tail-only queue would put it last.
    const second = setUp();
    second.free(3081);
    second.free(3073);
    expect(second.list()).toEqual([3073, 3081]);
  });

  it('fails a high-order request when no block of that order is free, though enough pages are', () => {
    const m = new Machine({ ...small, fragmentDma32: 1 / 8 });
    const a = m.account('t');
    // One page in every aligned 8-page block is taken: 3584 pages stay free, but no order-3 block.
    expect(m.freePages()).toBe(4096 - 512);
    expect(a.allocPages(GFP_KERNEL, 3)).toBe(-1);
    expect(a.allocPages(GFP_KERNEL, 10)).toBe(-1);
    expect(a.counters.failures[3]).toBe(1);
    expect(a.allocPages(GFP_KERNEL, 2)).toBeGreaterThanOrEqual(0);
  });

  it('pre-fragmentation takes evenly spread order-0 pages of DMA32 only', () => {
    const m = new Machine({ fragmentDma32: 0.25 });
    expect(m.reservedPages()).toBe((3 * GiB) / 4096 / 4);
    expect(m.ownerOf(1 * GiB)).toBe(RESERVED_OWNER);
    expect(m.ownerOf(1 * GiB + 4096)).toBe(0);
    expect(m.ownerOf(1 * GiB + 4 * 4096)).toBe(RESERVED_OWNER);
    expect(m.ownerOf(4 * GiB)).toBe(0); // Normal is untouched
    const a = m.account('t');
    expect(a.allocPages(GFP_DMA32, 2)).toBe(-1);
    expect(a.allocPages(GFP_DMA32, 1)).toBeGreaterThan(0);
  });

  it('zone fallback: GFP_KERNEL takes Normal, then DMA32; GFP_DMA32 never takes Normal', () => {
    const m = new Machine({ dramBase: 4 * GiB - 4 * MiB, dramBytes: 8 * MiB });
    expect(m.zones.map((z) => z.end - z.start)).toEqual([4 * MiB, 4 * MiB]);
    const a = m.account('t');
    expect(a.allocPages(GFP_ATOMIC, 10)).toBe(4 * GiB); // Normal first
    expect(a.allocPages(GFP_ATOMIC, 10)).toBe(4 * GiB - 4 * MiB); // then DMA32
    expect(a.allocPages(GFP_ATOMIC, 0)).toBe(-1);
    a.freePages(4 * GiB - 4 * MiB, 10);
    expect(m.zoneOfAddress(4 * GiB)).toBe(ZONE_NORMAL);
    a.freePages(4 * GiB, 10);
    expect(a.allocPages(GFP_DMA32 | GFP_ATOMIC, 10)).toBe(4 * GiB - 4 * MiB);
    expect(a.allocPages(GFP_DMA32 | GFP_ATOMIC, 0)).toBe(-1);
  });

  it('refuses to free a block the holder does not hold', () => {
    const m = new Machine(small);
    const a = m.account('a');
    const b = m.account('b');
    const addr = a.allocPages(GFP_KERNEL, 1);
    expect(() => b.freePages(addr, 1)).toThrow(/^b: __free_pages\(0x000c00000, order 1\)/);
    expect(() => a.freePages(addr, 0)).toThrow(/does not hold/);
  });
});
