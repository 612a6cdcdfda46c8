import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelVersion } from '../../core/kernel.ts';
import { parseParams } from '../../core/params.ts';
import { findPlatform } from '../../core/platforms.ts';
import { recordShape } from '../../core/record.ts';
import { GiB } from '../../core/sizes.ts';
import { type Cell, measureCell } from '../../harness/cell.ts';
import { atomicPoolUnbuildable } from '../../strategies/dma-pool.ts';
import { findStrategy } from '../../strategies/index.ts';
import { DEFAULT_MACHINE } from '../../strategies/machine/machine.ts';
import type { Strategy } from '../../strategies/types.ts';
import { blankRecord } from '../records.ts';
import { tempDir } from '../tmp.ts';
import { workload } from '../workload-helpers.ts';

const KiB = 1024;

function cell(
  spec: string,
  w: ReturnType<typeof workload>,
  o: { kernel?: KernelVersion; platform?: string; strategy?: Strategy } = {},
): Cell {
  const [name, raw = ''] = spec.split(':');
  const s = o.strategy ?? findStrategy(name as string);
  if (!s) throw new Error(spec);
  const given = Object.fromEntries(raw ? raw.split(',').map((kv) => kv.split('=') as [string, string]) : []);
  return {
    strategy: s,
    strategyParams: parseParams(s.name, s.params, given),
    strategyLabel: spec,
    workload: w,
    machine: DEFAULT_MACHINE,
    kernel: o.kernel ?? '5.1',
    ...(o.platform ? { platform: o.platform } : {}),
    seed: 1,
    check: false,
    timed: false,
  };
}

/** alloc 8 tables, free 4 (ids 7..4), alloc 2: live 1..8, 7..4, 5, 6. */
function threePhaseTrace(): ReturnType<typeof workload> {
  const lines = [...Array.from({ length: 8 }, (_, i) => `alloc,${i}`), 'free,7', 'free,6', 'free,5', 'free,4'];
  lines.push('alloc,8', 'alloc,9');
  const file = join(tempDir('l2bench-platform-metrics-'), 'three-phase.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return workload('trace', { file });
}

describe('total footprint: pages plus the metadata the strategy holds for them', () => {
  it('v5.1 dma-pool at 7 tables: 3 pages of 3 blocks, a 128-byte dma_page per page and the 128-byte dma_pool', () => {
    // Pages after event i: ceil(i / 3) = 1, 1, 1, 2, 2, 2, 3 (12 page-events); metadata 128 + 128 per page.
    const r = measureCell(cell('dma-pool:coherent_pool=0', workload('hold', { tables: '7' })));
    expect(r.peak_footprint_bytes).toBe(3 * 4 * KiB);
    expect(r.total_peak_footprint_bytes).toBe(3 * 4 * KiB + 128 + 3 * 128);
    expect(r.total_final_footprint_bytes).toBe(12800);
    expect(r.total_mean_footprint_bytes).toBeCloseTo((12 * 4096 + 7 * 128 + 12 * 128) / 7, 9);
    expect(r.returned_after_peak_bytes).toBe(0);
  });

  it('6.18 dma-pool at 4096 tables: 1024 pages and 1024 page headers of 32 bytes, 32.1 KiB with the pool', () => {
    const r = measureCell(cell('dma-pool:coherent_pool=0', workload('hold', { tables: '4096' }), { kernel: '6.18' }));
    expect(r.total_peak_footprint_bytes - r.peak_footprint_bytes).toBe(1024 * 32 + 128);
    expect(r.peak_footprint_bytes).toBe(1024 * 4 * KiB);
  });

  it('slab-dma32 at 4096 tables keeps 640 bytes beside its pages: kmem_cache 384, one node 128, 4 × 32 per CPU', () => {
    const r = measureCell(cell('slab-dma32', workload('hold', { tables: '4096' })));
    expect(r.total_peak_footprint_bytes - r.peak_footprint_bytes).toBe(640);
  });

  it('full-page gives back 4 of its 8 pages after the peak and ends holding 6', () => {
    const r = measureCell(cell('full-page', threePhaseTrace()));
    expect(r.total_peak_footprint_bytes).toBe(8 * 4 * KiB);
    expect(r.returned_after_peak_bytes).toBe(4 * 4 * KiB);
    expect(r.total_final_footprint_bytes).toBe(6 * 4 * KiB);
  });

  it('slab-dma32 gives nothing back on the same trace: its one 16 KiB slab stays', () => {
    const r = measureCell(cell('slab-dma32', threePhaseTrace()));
    expect(r.total_peak_footprint_bytes).toBe(16 * KiB + 640);
    expect(r.returned_after_peak_bytes).toBe(0);
  });
});

/** A strategy that hands out 4 GiB − 1 KiB, then 4 GiB: the two tables either side of the 32-bit limit. */
const straddle: Strategy = {
  name: 'straddle',
  description: 'two tables either side of 4 GiB',
  placement: 'any',
  params: {},
  create: () => {
    const next = [4 * GiB - KiB, 4 * GiB];
    return {
      work: {},
      alloc: () => next.shift() ?? -1,
      free: () => {},
      metadataBytes: () => 0,
      strandedBytes: () => 0,
    };
  },
};

describe("placement against the platform's limit", () => {
  it('a table at 4 GiB is misplaced on mt8173 (phys != (u32)phys) but not under TTBR_EXT with oas 35', () => {
    const w = () => workload('hold', { tables: '2' });
    const mt8173 = measureCell(cell('straddle', w(), { kernel: '6.18', platform: 'mt8173', strategy: straddle }));
    const mt8188 = measureCell(cell('straddle', w(), { kernel: '6.18', platform: 'mt8188', strategy: straddle }));
    expect([mt8173.dma32_violations, mt8173.placement_violations]).toEqual([1, 1]);
    expect([mt8188.dma32_violations, mt8188.placement_violations]).toEqual([1, 0]);
  });

  it('slab-normal places tables above 4 GiB on the default board: misplaced on mt8173, upstream on mt8188', () => {
    const w = () => workload('hold', { tables: '100' });
    expect(measureCell(cell('slab-normal', w(), { kernel: '6.18' })).placement_violations).toBe(100);
    expect(measureCell(cell('slab-normal', w(), { kernel: '6.18', platform: 'mt8188' })).placement_violations).toBe(0);
  });
});

describe('records carry the platform and whether the strategy can serve it', () => {
  it('a cell without a platform is the default one, and dma-pool is not applicable there, with the reason', () => {
    const r = measureCell(cell('dma-pool', workload('hold', { tables: '1' })));
    expect(r.platform).toBe('mt8173');
    expect(r.applicable).toBe(false);
    expect(r.detail.applicability).toMatch(/^mt8173's IOMMU does not walk coherently/);
    const slab = measureCell(cell('slab-dma32', workload('hold', { tables: '1' })));
    expect([slab.applicable, slab.detail.applicability]).toEqual([true, '']);
  });

  it('a record written before the platform axis reads as mt8173, with the metrics it implies and the others null', () => {
    const {
      platform: _p,
      applicable: _a,
      placement_violations: _v,
      total_peak_footprint_bytes: _tp,
      total_mean_footprint_bytes: _tm,
      total_final_footprint_bytes: _tf,
      returned_after_peak_bytes: _r,
      ...old
    } = blankRecord(
      { workload: 'hold:tables=1', strategy: 'x', cpus: 4, seed: 1 },
      { dma32_violations: 3, final_footprint_bytes: 16384, metadata_bytes: 640 },
    );
    const read = recordShape().parse(old);
    expect(read.platform).toBe('mt8173');
    expect(read.applicable).toBeUndefined();
    // Every run before the axis was mt8173, whose limit is 4 GiB; its final metadata is metadata_bytes.
    expect(read.placement_violations).toBe(3);
    expect(read.total_final_footprint_bytes).toBe(16384 + 640);
    expect([read.total_peak_footprint_bytes, read.total_mean_footprint_bytes, read.returned_after_peak_bytes]).toEqual([
      null,
      null,
      null,
    ]);
  });
});

describe('a qualifying pool size is suggested only if the kernel could build it', () => {
  const mt8173 = findPlatform('mt8173');
  const facts51 = mt8173?.kernels['5.1'];
  if (!facts51) throw new Error('mt8173 5.1');

  it('v5.1 without CMA: coherent_pool=5464 is one order-11 alloc_pages, above the largest order 10', () => {
    // 5464 KiB = 1366 pages; get_order rounds up to 2048 pages, order 11 (dma_atomic_pool_init, kernel/dma/remap.c).
    const why = atomicPoolUnbuildable('5.1', 5464, { ...facts51, cmaBytes: { value: null, source: 'test' } });
    expect(why).toMatch(/get_order\(5464 KiB\) = 11\) in dma_atomic_pool_init/);
    expect(why).toContain('only a CMA area could hold it');
    // 4096 KiB is order 10: buildable.
    expect(atomicPoolUnbuildable('5.1', 4096, facts51)).toBe('');
  });

  it('v5.1 with a 32 MiB CMA area (the upstream arm64 defconfig) builds it; a larger pool still not', () => {
    const cma = { ...facts51, cmaBytes: { value: 32 * 1024 * KiB, source: 'test' } };
    expect(atomicPoolUnbuildable('5.1', 5464, cma)).toBe('');
    expect(atomicPoolUnbuildable('5.1', 40 * 1024, cma)).toContain('larger than the 32 MiB CMA area');
  });

  it('6.18 caps each chunk at the largest order and grows the pool (atomic_pool_expand): any size', () => {
    expect(atomicPoolUnbuildable('6.18', 5464, facts51)).toBe('');
  });

  it("the record says why the v5.1 dma-pool's need at 4096 tables cannot be built on mt8173", () => {
    const r = measureCell(cell('dma-pool:coherent_pool=5464', workload('hold', { tables: '4096' })));
    expect(r.detail.requirements).toEqual({ coherent_pool: 5464 });
    expect(r.detail.requirements_unbuildable?.coherent_pool).toMatch(/= 11\) in dma_atomic_pool_init/);
    const fits = measureCell(cell('dma-pool:coherent_pool=5464', workload('hold', { tables: '100' })));
    expect(fits.detail.requirements).toEqual({ coherent_pool: 34 * 4 });
    expect(fits.detail.requirements_unbuildable).toEqual({});
  });
});
