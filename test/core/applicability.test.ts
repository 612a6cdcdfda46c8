import { describe, expect, it } from 'vitest';
import { KERNEL_VERSIONS, type KernelVersion } from '../../core/kernel.ts';
import { parseParams } from '../../core/params.ts';
import { findPlatform, PLATFORMS, type Platform } from '../../core/platforms.ts';
import { applicabilityOf } from '../../core/requirements.ts';
import { findStrategy, STRATEGIES } from '../../strategies/index.ts';
import { requirementsOf } from '../../strategies/types.ts';

function platform(name: string): Platform {
  const p = findPlatform(name);
  if (!p) throw new Error(name);
  return p;
}

/** Whether a built-in strategy, with these parameters, can serve the platform under the kernel. */
function on(spec: string, name: string, kernel: KernelVersion) {
  const [strategyName, raw = ''] = spec.split(':');
  const s = findStrategy(strategyName as string);
  if (!s) throw new Error(spec);
  const given = Object.fromEntries(raw ? raw.split(',').map((kv) => kv.split('=') as [string, string]) : []);
  return applicabilityOf(requirementsOf(s, parseParams(s.name, s.params, given)), platform(name), kernel);
}

const REAL = PLATFORMS.filter((p) => !p.hypothetical);

describe('what each strategy needs, against what each platform offers', () => {
  it('slab, genalloc, page-frag and full-page serve every platform under every kernel it runs', () => {
    for (const p of PLATFORMS) {
      for (const k of KERNEL_VERSIONS.filter((v) => p.kernels[v])) {
        for (const s of ['slab-dma32', 'slab-normal', 'genalloc', 'page-frag', 'full-page']) {
          expect(on(s, p.name, k), `${s} on ${p.name} ${k}`).toEqual({ applicable: true, reason: '' });
        }
      }
    }
  });

  it('dma-pool serves no real platform: their walks are not coherent, so dma_alloc_coherent memory is remapped', () => {
    // Research note part 2: a non-coherent device's dma_alloc_coherent gives a remapped address (5.1
    // arch_dma_alloc, kernel/dma/remap.c; 6.x dma_direct_alloc, kernel/dma/direct.c), and
    // io-pgtable-arm-v7s computes the PTE from virt_to_phys(table) (__arm_v7s_alloc_table).
    for (const p of REAL) {
      for (const k of KERNEL_VERSIONS.filter((v) => p.kernels[v])) {
        for (const spec of ['dma-pool', 'dma-pool:coherent_pool=0', 'dma-pool:coherent_pool=5464']) {
          const a = on(spec, p.name, k);
          expect(a.applicable, `${spec} on ${p.name} ${k}`).toBe(false);
          expect(a.reason).toContain('does not walk coherently');
          expect(a.reason).toContain('virt_to_phys(table) in __arm_v7s_alloc_table');
        }
      }
    }
    expect(on('dma-pool', 'mt8173', '5.1').reason).toContain('dma_alloc_from_pool');
    expect(on('dma-pool', 'mt8173', '6.1').reason).toContain('dma_direct_alloc gives it from the atomic pool');
    expect(on('dma-pool', 'mt8173', '6.1').reason).toContain('kernel/dma/direct.c, 6.1');
    expect(on('dma-pool', 'mt8173', '6.18').reason).toContain('dma_direct_alloc');
  });

  it('on the coherent platform only coherent_pool=0 is the device: the atomic pool is a non-coherent device’s', () => {
    // dma_direct_alloc gives a coherent device plain pages and never the atomic pool (kernel/dma/direct.c).
    expect(on('dma-pool:coherent_pool=0', 'coherent-v7s', '5.1')).toEqual({ applicable: true, reason: '' });
    expect(on('dma-pool:coherent_pool=0', 'coherent-v7s', '6.18')).toEqual({ applicable: true, reason: '' });
    const pool = on('dma-pool', 'coherent-v7s', '6.18');
    expect(pool.applicable).toBe(false);
    expect(pool.reason).toContain('never the atomic pool');
  });

  it('a strategy that sleeps to allocate serves no platform: every one has atomic callers', () => {
    // 5.1 hard-codes GFP_ATOMIC (__arm_v7s_map); dma-iommu maps with GFP_ATOMIC (6.1, 6.18); msm_iommu_map holds a spinlock.
    for (const p of PLATFORMS) {
      for (const k of KERNEL_VERSIONS.filter((v) => p.kernels[v])) {
        const a = applicabilityOf([{ kind: 'sleeping-alloc' }], p, k);
        expect(a.applicable, `${p.name} ${k}`).toBe(false);
        expect(a.reason).toContain('GFP_ATOMIC');
      }
    }
  });

  it('a block above the largest order (10 on every kernel, orders 0–10) is never offered; order 10 is', () => {
    for (const k of KERNEL_VERSIONS) {
      expect(applicabilityOf([{ kind: 'block-order', order: 10 }], platform('mt8173'), k).applicable).toBe(true);
      const a = applicabilityOf([{ kind: 'block-order', order: 11 }], platform('mt8173'), k);
      expect(a.applicable).toBe(false);
      expect(a.reason).toContain('above the page allocator');
    }
  });

  it('a platform under a kernel it does not run offers nothing', () => {
    expect(applicabilityOf([], platform('mt8188'), '5.1')).toEqual({
      applicable: false,
      reason: 'mt8188 does not run Linux 5.1.',
    });
  });

  it('every built-in strategy states its requirements', () => {
    for (const s of STRATEGIES) expect(s.requires, s.name).toBeDefined();
  });
});
