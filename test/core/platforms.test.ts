import { describe, expect, it } from 'vitest';
import { KERNEL_VERSIONS, type KernelVersion } from '../../core/kernel.ts';
import {
  DEFAULT_PLATFORM,
  findPlatform,
  PLATFORMS,
  type Platform,
  type PlatformKernel,
  placementLimitBytes,
  strategyRole,
} from '../../core/platforms.ts';
import { GiB } from '../../core/sizes.ts';
import { DEFAULT_MACHINE } from '../../strategies/machine/machine.ts';

function platform(name: string): Platform {
  const p = findPlatform(name);
  if (!p) throw new Error(name);
  return p;
}

function facts(name: string, kernel: KernelVersion): PlatformKernel {
  const k = platform(name).kernels[kernel];
  if (!k) throw new Error(`${name} ${kernel}`);
  return k;
}

describe('the platform table', () => {
  it('the default platform is the machine l2bench has always simulated: MT8173, 4 CPUs, 4 GiB from 1 GiB', () => {
    const b = platform(DEFAULT_PLATFORM).board;
    expect([b.cpus.value, b.dramBase.value, b.dramBytes.value]).toEqual([4, 1 * GiB, 4 * GiB]);
    expect([b.cpus.value, b.dramBase.value, b.dramBytes.value]).toEqual([
      DEFAULT_MACHINE.cpus,
      DEFAULT_MACHINE.dramBase,
      DEFAULT_MACHINE.dramBytes,
    ]);
  });

  it('the default platform runs every kernel l2bench models: adding a kernel means writing its facts', () => {
    for (const k of KERNEL_VERSIONS) expect(platform(DEFAULT_PLATFORM).kernels[k], k).toBeDefined();
  });

  it('every fact names its source', () => {
    for (const p of PLATFORMS) {
      const board = [p.board.cpus, p.board.dramBase, p.board.dramBytes, p.typicalL2Tables];
      const perKernel = Object.values(p.kernels).flatMap((k) => Object.values(k ?? {}));
      for (const f of [...board, ...perKernel])
        expect(f.source.length, `${p.name}: ${JSON.stringify(f)}`).toBeGreaterThan(10);
    }
  });

  it('kernels as the drivers support them: mt8183, mt8186 not in 5.1 (mtk_iommu_of_ids), mt8188 from 6.6 only', () => {
    const runs = (name: string) => Object.keys(platform(name).kernels).sort();
    expect(runs('mt8173')).toEqual(['5.1', '6.1', '6.18']);
    expect(runs('mt8183')).toEqual(['6.1', '6.18']);
    expect(runs('mt8186')).toEqual(['6.1', '6.18']);
    expect(runs('mt8188')).toEqual(['6.18']);
    expect(runs('apq8064')).toEqual(['5.1', '6.1', '6.18']);
  });

  it('only the hypothetical platform walks coherently (mtk_iommu and msm_iommu never set coherent_walk)', () => {
    for (const p of PLATFORMS) {
      for (const k of Object.values(p.kernels)) expect(k?.coherentWalk.value, p.name).toBe(p.hypothetical);
    }
    expect(PLATFORMS.filter((p) => p.hypothetical).map((p) => p.name)).toEqual(['coherent-v7s']);
  });

  it('the placement limit: 4 GiB without TTBR_EXT, 2^35 under it (mt8186 gained PGTABLE_PA_35_EN after 6.1)', () => {
    expect(placementLimitBytes(facts('mt8173', '5.1'))).toBe(4 * GiB);
    expect(placementLimitBytes(facts('mt8183', '6.18'))).toBe(4 * GiB); // oas 35 but no TTBR_EXT
    expect(placementLimitBytes(facts('mt8186', '6.1'))).toBe(4 * GiB);
    expect(placementLimitBytes(facts('mt8186', '6.18'))).toBe(32 * GiB);
    expect(placementLimitBytes(facts('mt8188', '6.18'))).toBe(32 * GiB);
    expect(placementLimitBytes(facts('apq8064', '6.18'))).toBe(4 * GiB);
  });

  it('the L2 cache flags follow TTBR_EXT (arm_v7s_alloc_pgtable) and the architecture (no ZONE_DMA32 on arm)', () => {
    expect(facts('mt8186', '6.1').l2CacheFlags.value).toBe('SLAB_CACHE_DMA32');
    expect(facts('mt8186', '6.18').l2CacheFlags.value).toBe('0');
    expect(facts('mt8188', '6.18').l2CacheFlags.value).toBe('0');
    expect(facts('apq8064', '5.1').l2CacheFlags.value).toBe('SLAB_CACHE_DMA');
  });

  it('34-bit IOVA gives 16,384 L2 tables (a 64 KiB L1) on mt8186 and mt8188, 4096 elsewhere', () => {
    expect(facts('mt8186', '6.1').maxL2Tables.value).toBe(16384);
    expect(facts('mt8188', '6.18').maxL2Tables.value).toBe(16384);
    expect(facts('mt8183', '6.18').maxL2Tables.value).toBe(4096);
  });

  it('the cache without a DMA flag is the pre-fix bug where tables must lie below 4 GiB, upstream under TTBR_EXT', () => {
    expect(strategyRole(facts('mt8173', '6.18'), 'slab-normal')).toMatch(/^the pre-fix bug/);
    expect(strategyRole(facts('mt8186', '6.1'), 'slab-normal')).toMatch(/^the pre-fix bug/);
    expect(strategyRole(facts('mt8186', '6.18'), 'slab-normal')).toMatch(/^upstream's L2 cache here \(flags 0/);
    expect(strategyRole(facts('apq8064', '5.1'), 'slab-normal')).toMatch(
      /^upstream's L2 cache here \(flags SLAB_CACHE_DMA/,
    );
    expect(strategyRole(facts('mt8173', '5.1'), 'slab-dma32')).toMatch(/^upstream's L2 cache here/);
    expect(strategyRole(facts('mt8188', '6.18'), 'slab-dma32')).toMatch(/which upstream does not create here/);
    expect(strategyRole(facts('mt8173', '5.1'), 'genalloc')).toBe('');
  });
});
