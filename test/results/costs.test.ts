import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelVersion } from '../../core/kernel.ts';
import { parseParams } from '../../core/params.ts';
import type { FullRecord } from '../../core/record.ts';
import { type Cell, measureCell } from '../../harness/cell.ts';
import { kernelNsPerOp, loadCosts } from '../../results/costs.ts';
import { ResultsError } from '../../results/errors.ts';
import { findStrategy } from '../../strategies/index.ts';
import { DEFAULT_MACHINE } from '../../strategies/machine/machine.ts';
import { tempDir } from '../tmp.ts';
import { workload } from '../workload-helpers.ts';

/** A built-in strategy (`name` or `name:k=v`) measured on a workload, 4 CPUs, for a kernel (default v5.1). */
function record(
  strategy: string,
  name: string,
  raw: Record<string, string>,
  kernel: KernelVersion = '5.1',
): FullRecord {
  const [base, params] = strategy.split(':') as [string, string | undefined];
  const s = findStrategy(base);
  if (!s) throw new Error(strategy);
  const given = Object.fromEntries(
    (params ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  const cell: Cell = {
    strategy: s,
    strategyParams: parseParams(strategy, s.params, given),
    strategyLabel: strategy,
    workload: workload(name, raw),
    machine: { ...DEFAULT_MACHINE, cpus: 4 },
    kernel,
    seed: 1,
    check: false,
    timed: false,
  };
  return measureCell(cell);
}

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

describe('loadCosts', () => {
  it('cites a source for every unit, or says it is an estimate', () => {
    for (const [name, unit] of Object.entries(table.units)) {
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
});
