import { describe, expect, it } from 'vitest';
import { drain, workload } from '../workload-helpers.ts';

const SCENARIOS = ['video-decode', 'display', 'camera', 'small-buffers', 'chromebook-day'];

describe('iommu workload', () => {
  it.each(SCENARIOS)('%s is deterministic per seed and consistent with its own counters', (scenario) => {
    const w = workload('iommu', { scenario, length: scenario === 'chromebook-day' ? '2' : '0' }, 5);
    const a = drain(w);
    const pass = w.lastPass?.() as Record<string, number>;
    expect(drain(w).digest).toBe(a.digest);
    expect(a.allocs).toBe(pass.table_allocs);
    expect(a.frees).toBe(pass.table_frees);
    expect(a.peakLive).toBe(pass.peak_tables);
    expect(a.maxId).toBeLessThan(4096); // table id = L1 slot
    expect(pass.map_failures).toBe(0);
  });

  it('small buffers settle on a few never-freed tables (the field report: tens, rarely freed)', () => {
    const d = drain(workload('iommu', { scenario: 'small-buffers' }));
    expect(d.frees).toBe(0);
    expect(d.peakLive).toBeGreaterThan(0);
    expect(d.peakLive).toBeLessThan(100);
  });

  it('display framebuffers map as sections, with a table for each tail (worked out by hand)', () => {
    // Cursor: 4 pages at pfn 0xffffc, slot 0xfff: table 1. A 1080p framebuffer is 2025 pages,
    // aligned to 2048: pfns 0xff800, 0xff000, 0xfe800; 7 sections each and a tail table in slots
    // 0xfff (the cursor's, shared), 0xff7 and 0xfef: tables 2 and 3. The mode set unmaps them
    // (sections cleared, tail tables kept: the tails are unmapped with 4K/64K pages) and frees
    // their IOVAs, which moves the cached node back to the cursor. Each 1440p framebuffer is
    // 3600 pages = 14 sections and a 64 KiB tail, aligned to 4096: pfns 0xff000, 0xfe000, 0xfd000.
    // The first one's sections cover slot 0xff7 and free its table; the tails need new tables in
    // 0xffe, 0xfee and 0xfde. Allocs 6, frees 1, peak 5.
    const d = drain(workload('iommu', { scenario: 'display', length: '1' }));
    expect([d.allocs, d.frees, d.peakLive, d.finalLive]).toEqual([6, 1, 5, 5]);
  });

  it('teardown=1 frees every table at the end', () => {
    const d = drain(workload('iommu', { scenario: 'camera', length: '60', teardown: '1' }));
    expect(d.finalLive).toBe(0);
  });
});
