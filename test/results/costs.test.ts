import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileDefaultCosts, contendedScale, kernelNsPerOp, loadCosts, walkerNsPerOp } from '../../results/costs.ts';
import { ResultsError } from '../../results/errors.ts';
import { costSummary } from '../../results/report/cost.ts';
import { factsOf } from '../../results/report/scope.ts';
import { measuredRecord } from '../records.ts';
import { tempDir } from '../tmp.ts';

const record = measuredRecord;

const { table } = loadCosts();
const hold10 = (s: string) => record(s, 'hold', { tables: '10' });

describe('the modelled kernel cost, worked out by hand from the shipped table', () => {
  it('full-page holding 10 tables: 10 × (zero_4k 100 + page_alloc_order0 40) / 10 events = 140 ns', () => {
    expect(kernelNsPerOp(hold10('full-page'), table)).toBe(140);
  });

  it('slab-dma32 holding 10 tables (4 CPUs: order-2 slabs of 16)', () => {
    // 10 × (fast 8 + zero_1k 25) + 1 slow path 40 + 1 new slab 60 + 1 order-2 page 60 = 490 over 10 events.
    const r = hold10('slab-dma32');
    expect([r.detail.work.slowpath_allocs, r.detail.work.new_slabs, r.detail.work.page_allocs_order2]).toEqual([
      1, 1, 1,
    ]);
    expect(kernelNsPerOp(r, table)).toBe(49);
  });

  it('genalloc holding 10 tables: the 4 MiB pool is one order-10 allocation', () => {
    // 10 × (genpool_alloc 30 + zero_1k 25) + 20 bitmap words × 1.5 + page_alloc_order10 2100 = 2680 over 10.
    const r = hold10('genalloc');
    expect(r.detail.work.bitmap_words_scanned).toBe(20);
    expect(kernelNsPerOp(r, table)).toBe(268);
  });

  it('dma-pool pays the atomic pool for its pages; a coherent IOMMU (coherent_pool=0) pays the buddy allocator', () => {
    // 10 tables at 3 per page: 4 pages. Allocs: 10 × (dma_pool_alloc 20 + zero_1k 25) = 450.
    const pool = record('dma-pool', 'hold', { tables: '10' });
    const walked = pool.detail.work.pages_walked as number;
    // + pages_walked × list_visit 3 + 4 pages × atomic_pool_page_alloc 400.
    expect(kernelNsPerOp(pool, table)).toBeCloseTo((450 + walked * 3 + 4 * 400) / 10, 12);
    const coherent = record('dma-pool:coherent_pool=0', 'hold', { tables: '10' });
    // + 4 pages × (page_alloc_order0 40 + zero_4k 100).
    expect(kernelNsPerOp(coherent, table)).toBeCloseTo((450 + walked * 3 + 4 * 140) / 10, 12);
  });

  it('dma-pool on 6.18 (dma-pool@6.18): no list walk; pool pages and the chunk the worker added, per page', () => {
    // 10 tables at 4 per page: 3 pages (the boot pool's first, then 2 of the 128-page chunk the worker
    // added after it). 10 × (dma_pool_alloc 20 + zero_1k 25) = 450; 3 × atomic_pool_page_alloc 400 =
    // 1200; 128 grown pages × atomic_pool_grow_page 200 = 25600; the page-allocator calls pay nothing.
    const pool = record('dma-pool', 'hold', { tables: '10' }, '6.18');
    expect(pool.detail.work).toMatchObject({ pages_walked: 0, atomic_pool_pages: 3, atomic_pool_grown_pages: 128 });
    expect(kernelNsPerOp(pool, table)).toBe((450 + 1200 + 25600) / 10);
    // A coherent IOMMU on 6.18: 3 buddy pages × (page_alloc_order0 40 + zero_4k 100) = 420.
    const coherent = record('dma-pool:coherent_pool=0', 'hold', { tables: '10' }, '6.18');
    expect(kernelNsPerOp(coherent, table)).toBe((450 + 420) / 10);
  });

  it("dma-pool on 6.1 (dma-pool@6.1): v5.1's list walk, 6.18's atomic pool pages and grown chunk", () => {
    // 10 tables at 3 per page: 4 pages (the boot pool's first, then 3 of the 128-page chunk the worker
    // added after it). Walks: allocations 0, 1, 1, 1, 1, 1, 2, 1, 1, 3 = 12. 450 + 12 × list_visit 3
    // + 4 × atomic_pool_page_alloc 400 + 128 × atomic_pool_grow_page 200 = 27686.
    const pool = record('dma-pool', 'hold', { tables: '10' }, '6.1');
    expect(pool.detail.work).toMatchObject({ pages_walked: 12, atomic_pool_pages: 4, atomic_pool_grown_pages: 128 });
    expect(kernelNsPerOp(pool, table)).toBeCloseTo(27686 / 10, 12);
    // A coherent IOMMU on 6.1 pays as on v5.1: the walk and 4 buddy pages, zeroed.
    const coherent = record('dma-pool:coherent_pool=0', 'hold', { tables: '10' }, '6.1');
    expect(kernelNsPerOp(coherent, table)).toBeCloseTo((450 + 12 * 3 + 4 * 140) / 10, 12);
  });

  it("prefers an entry for the record's kernel, and never applies one to another kernel", () => {
    const file = join(tempDir('l2bench-costs-'), 'kernel.yaml');
    writeFileSync(file, 'strategies:\n  full-page@6.18: { alloc: [zero_1k], free: [] }\n');
    const mine = loadCosts(file).table;
    // 6.18: 10 × (zero_1k 25 + page_alloc_order0 40); v5.1 keeps full-page's own: 10 × (100 + 40).
    expect(kernelNsPerOp(record('full-page', 'hold', { tables: '10' }, '6.18'), mine)).toBe(65);
    expect(kernelNsPerOp(hold10('full-page'), mine)).toBe(140);
  });

  it('frees pay their unit; a free of a table whose allocation failed pays nothing', () => {
    // ramp to 4 and back on one CPU with full-page: 4 allocs and 4 frees, each a page and back.
    const r = record('full-page', 'ramp', { peak: '4' });
    expect([r.allocs, r.frees, r.detail.work.page_frees_order0]).toEqual([4, 4, 4]);
    expect(kernelNsPerOp(r, table)).toBe((4 * (100 + 40) + 4 * 25) / 8);
  });

  it('has no cost for a strategy the table does not map', () => {
    expect(kernelNsPerOp({ ...hold10('full-page'), strategy: 'packed-page' }, table)).toBeNull();
  });
});

describe('the cache maintenance of a walker that is not coherent, and contention', () => {
  it('full-page holding 10 tables: each table created cleans 18 lines and waits 3 times, 18 × 3 + 3 × 60 = 234 ns', () => {
    // dma_map_single of the 1 KiB table (16 lines), the L1 install and the leaf; one DSB SY each.
    expect(walkerNsPerOp(hold10('full-page'), table)).toBe(234);
  });

  it('a table freed cleans one line and waits once: ramp to 4 and back, (4 × 234 + 4 × 63) / 8 events', () => {
    const r = record('full-page', 'ramp', { peak: '4' });
    expect(walkerNsPerOp(r, table)).toBe((4 * 234 + 4 * (3 + 60)) / 8);
  });

  it('prices the page allocator contended where [S14b] measured it: order 3 at 4 CPUs, 4687 against 421 cycles', () => {
    // page-frag holding 64 tables: two 32 KiB (order-3) refills. Uncontended: 64 × (page_frag_alloc 3
    // + zero_1k 25) + 2 × 65 = 1922 ns; contended, the order-3 allocation costs 720 ns (65 × 4687 / 421).
    const r = record('page-frag', 'hold', { tables: '64' });
    expect(r.detail.work.page_allocs_order3).toBe(2);
    expect(kernelNsPerOp(r, table)).toBe(1922 / 64);
    const { scale, cpus } = contendedScale(table);
    expect(cpus).toEqual([4]);
    expect(kernelNsPerOp(r, table, scale)).toBe((64 * 28 + 2 * 720) / 64);
  });
});

describe('the cost section prices contention and says where its source no longer holds', () => {
  it('on 6.18 the order-3 zone-lock contention of 2016 overstates: orders 1–3 use per-CPU lists since v5.13', () => {
    const text = (kernel: '5.1' | '6.18') =>
      costSummary(
        [record('page-frag', 'hold', { tables: '64' }, kernel)],
        new Set(['page-frag']),
        table,
        factsOf('mt8173', '5.1'),
        kernel,
      ).contention;
    // (64 × 28 + 2 × 720) / 64 = 50.5 ns contended, against 1922 / 64 = 30 uncontended.
    expect(text('5.1')).toBe(
      'With 4 CPUs allocating at once, as [S14b] measured it for page_alloc_order3 (x86, Linux 4.6; the other units as uncontended): page-frag 51 ns: the same order.',
    );
    expect(text('6.18')).toContain('so the order-3 contention [S14b] measured on the zone lock overstates Linux 6.18.');
  });
});

describe('loadCosts', () => {
  it('cites a source for every unit, or says it is an estimate, and the CPU it was measured on', () => {
    for (const [name, unit] of Object.entries(table.units)) {
      expect(unit.measured_on, name).toMatch(/x86|arm64|none|estimate/);
      expect(unit.source, name).toMatch(/\[S\d+b?\]|^estimate/);
      expect(unit.low, name).toBeLessThanOrEqual(unit.ns);
      expect(unit.high, name).toBeGreaterThanOrEqual(unit.ns);
    }
  });

  it('lets a file override a unit and add a mapping', () => {
    const file = join(tempDir('l2bench-costs-'), 'mine.yaml');
    writeFileSync(
      file,
      [
        'units:',
        '  zero_4k: { ns: 300, low: 300, high: 300, source: "measured on my board, cold" }',
        'strategies:',
        '  packed-page: { alloc: [zero_1k], free: [] }',
      ].join('\n'),
    );
    const mine = loadCosts(file);
    expect(mine.provenance.file).toBe(file);
    expect(kernelNsPerOp(hold10('full-page'), mine.table)).toBe(340);
    expect(kernelNsPerOp({ ...hold10('full-page'), strategy: 'packed-page' }, mine.table)).toBe(25 + 40);
  });

  it('refuses a cost without a source, or a mapping to a unit that does not exist, naming the file and field', () => {
    const dir = tempDir('l2bench-costs-');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'units:\n  zero_4k: { ns: 1, low: 1, high: 1, source: "" }\n');
    expect(() => loadCosts(bad)).toThrow(ResultsError);
    expect(() => loadCosts(bad)).toThrow(
      new RegExp(`^${bad}: units\\.zero_4k\\.source: every cost must say where it comes from`),
    );
    const missing = join(dir, 'missing.yaml');
    writeFileSync(missing, 'strategies:\n  full-page: { alloc: [nope], free: [] }\n');
    expect(() => loadCosts(missing)).toThrow(`${missing}: strategies.full-page.alloc: no unit 'nope' in units`);
  });

  it("reads the build's compiled table when it is of the shipped YAML's text, the YAML otherwise", () => {
    const dir = tempDir('l2bench-costs-');
    const fromYaml = loadCosts(undefined, join(dir, 'none.json'));
    const yamlSha = createHash('sha256').update(readFileSync('results/costs/default.yaml')).digest('hex');
    expect(fromYaml.provenance).toEqual({ file: 'default', sha256: yamlSha });
    const compiled = JSON.parse(compileDefaultCosts()) as { sha256: string; table: typeof table };
    expect(compiled.sha256).toBe(yamlSha);
    const file = join(dir, 'default.json');
    writeFileSync(file, compileDefaultCosts());
    // The same table in the same key order, and the same provenance: results.json is byte-identical.
    expect(JSON.stringify(loadCosts(undefined, file))).toBe(JSON.stringify(fromYaml));
    // Read, not parsed again: a change in the compiled table shows.
    (compiled.table.units.zero_4k as { ns: number }).ns = 7;
    writeFileSync(file, JSON.stringify(compiled));
    expect(kernelNsPerOp(hold10('full-page'), loadCosts(undefined, file).table)).toBe(7 + 40);
    // Of another text (the YAML edited since the build): not used.
    writeFileSync(file, JSON.stringify({ ...compiled, sha256: '0'.repeat(64) }));
    expect(kernelNsPerOp(hold10('full-page'), loadCosts(undefined, file).table)).toBe(140);
    writeFileSync(file, '{ not json');
    expect(kernelNsPerOp(hold10('full-page'), loadCosts(undefined, file).table)).toBe(140);
  });
});
