import { describe, expect, it } from 'vitest';
import { GiB } from '../../core/sizes.ts';
import { STRATEGIES } from '../../strategies/index.ts';
import type { Strategy } from '../../strategies/types.ts';
import { allocMany, instance, KiB } from '../helpers.ts';

const byName = (name: string): Strategy => STRATEGIES.find((s) => s.name === name) as Strategy;
const ceil = (a: number, b: number) => Math.ceil(a / b);

/** Bytes of pages held after allocating N tables on CPU 0, worked out from each allocator's rule. */
const closedForm: Record<string, (n: number, cpus: number) => number> = {
  'full-page': (n) => n * 4 * KiB,
  'page-frag': (n) => ceil(n, 32) * 32 * KiB,
  // One slab per `objects` tables; objects from calculate_order: 8 (1 CPU), 16 (2–7), 32 (≥ 8).
  'slab-dma32': (n, cpus) => {
    const objects = cpus === 1 ? 8 : cpus < 8 ? 16 : 32;
    return ceil(n, objects) * objects * KiB;
  },
  genalloc: () => 4096 * KiB,
  // v5.1 dma_pool: 3 usable 1 KiB blocks per 4 KiB page.
  'dma-pool': (n) => ceil(n, 3) * 4 * KiB,
};
closedForm['slab-normal'] = closedForm['slab-dma32'] as (n: number, cpus: number) => number;

describe('hold:tables=N footprint at the page-allocator boundary', () => {
  for (const [name, form] of Object.entries(closedForm)) {
    for (const cpus of [1, 2, 4, 8]) {
      it.each([1, 15, 16, 17, 100, 1000, 4096])(`${name} on ${cpus} CPUs, N = %i`, (n) => {
        // dma-pool on a DMA-coherent IOMMU here; its atomic-pool limit has a test of its own.
        const { account, tables } = instance(byName(name), { cpus }, name === 'dma-pool' ? { coherent_pool: '0' } : {});
        allocMany(tables, n);
        expect(account.heldBytes).toBe(form(n, cpus));
      });
    }
  }
});

describe('placement on the MT8173-like machine (1 GiB of ZONE_NORMAL above 4 GiB)', () => {
  it('slab-normal puts every table above 4 GiB: the pre-patch bug', () => {
    const { tables } = instance(byName('slab-normal'));
    const addrs = allocMany(tables, 100);
    expect(addrs.filter((a) => a >= 4 * GiB)).toHaveLength(100);
  });

  it('every DMA32 strategy keeps every table below 4 GiB', () => {
    for (const s of STRATEGIES.filter((x) => x.placement === 'dma32')) {
      const { tables } = instance(s, {}, s.name === 'dma-pool' ? { coherent_pool: '0' } : {});
      expect(allocMany(tables, 300).filter((a) => a + 1024 > 4 * GiB)).toEqual([]);
    }
  });

  it('slab-normal falls back to DMA32 only when ZONE_NORMAL is full', () => {
    // 4 MiB of Normal: 256 order-2 slabs of 16 tables; table 4097 needs DMA32.
    const { tables } = instance(byName('slab-normal'), {
      dramBase: 4 * GiB - 8 * 1024 * KiB,
      dramBytes: 12 * 1024 * KiB,
    });
    const addrs = allocMany(tables, 4097);
    expect(addrs.slice(0, 4096).every((a) => a >= 4 * GiB)).toBe(true);
    expect(addrs[4096]).toBeLessThan(4 * GiB);
  });
});
