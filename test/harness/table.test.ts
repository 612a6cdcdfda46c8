import { describe, expect, it } from 'vitest';
import { renderTables, warmTables } from '../../cli/table.ts';
import { blankRecord } from '../records.ts';

const KiB = 1024;

/** Records of a hold sweep: full-page at 4 KiB a table; dma-pool at 1 KiB a table that fails above 50. */
function sweep(counts: readonly number[]) {
  return counts.flatMap((n) => [
    blankRecord(
      { workload: `hold:tables=${n}`, strategy: 'full-page', cpus: 1, seed: 1 },
      { peak_footprint_bytes: 4 * KiB * n },
    ),
    blankRecord(
      { workload: `hold:tables=${n}`, strategy: 'dma-pool', cpus: 1, seed: 1 },
      { peak_footprint_bytes: KiB * Math.min(n, 50), alloc_failures: Math.max(0, n - 50) },
    ),
  ]);
}

describe('the terminal tables', () => {
  it('draw the same after the head drawn ahead to compile their code (warmTables), in colour or not', () => {
    const records = sweep([10, 20]);
    for (const color of [false, true]) {
      const before = renderTables(records, color);
      warmTables(color);
      expect(renderTables(records, color)).toBe(before);
    }
  });

  it('shows a long sweep as one table at eight points evenly spread: linearly over 10..100', () => {
    const text = renderTables(sweep([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]), false);
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'hold:tables=10..100  (cpus=1, seed=1): peak footprint at 8 of 10 points, every point in the results',
    );
    // Targets 10 + 90k/7: 10, 22.9, 35.7, 48.6, 61.4, 74.3, 87.1, 100; the nearest member of each.
    const head = lines.find((l) => l.includes('strategy')) as string;
    expect(head.match(/tables=\d+/g)).toEqual([10, 20, 40, 50, 60, 70, 90, 100].map((n) => `tables=${n}`));
    const row = (s: string) =>
      (lines.find((l) => l.includes(`│ ${s} `)) as string)
        .split('│')
        .map((c) => c.trim())
        .slice(1, -1);
    // dma-pool is best while it serves everything; where it fails it says so, and full-page, alone
    // among those that qualify, is not marked best: there is nothing to rank it against.
    expect(row('full-page')).toEqual([
      'full-page',
      '40 KiB',
      '80 KiB',
      '160 KiB',
      '200 KiB',
      '240 KiB',
      '280 KiB',
      '360 KiB',
      '400 KiB',
    ]);
    expect(row('dma-pool')).toEqual([
      'dma-pool',
      '*10 KiB',
      '*20 KiB',
      '*40 KiB',
      '*50 KiB',
      '10 failed',
      '20 failed',
      '40 failed',
      '50 failed',
    ]);
  });

  it('spreads a sweep spanning a factor of 16 or more on a log scale: the default hold sweep at 1, 3, 11, 35, 128, 384, 1280, 4096', () => {
    const counts = [
      ...Array.from({ length: 64 }, (_, i) => i + 1),
      ...Array.from({ length: 63 }, (_, i) => 128 + 64 * i),
    ];
    const text = renderTables(sweep(counts), false);
    expect(text.split('\n')[0]).toContain('at 8 of 127 points');
    // Targets 4096^(k/7): 1, 3.28, 10.8, 35.3, 116, 380, 1248, 4096; nearest in log distance.
    const head = text.split('\n').find((l) => l.includes('strategy')) as string;
    expect(head.match(/tables=\d+/g)).toEqual([1, 3, 11, 35, 128, 384, 1280, 4096].map((n) => `tables=${n}`));
  });

  it('does not call a strategy excluded for having no record at the points shown', () => {
    const records = sweep([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]).filter(
      (r) => r.strategy === 'full-page' || r.workload === 'hold:tables=30',
    );
    const row = renderTables(records, false)
      .split('\n')
      .find((l) => l.includes('│ dma-pool')) as string;
    expect(row.split('│')[1]?.trim()).toBe('dma-pool');
    expect(row).not.toContain('excluded');
  });

  it('keeps a table of every key metric for workloads that are not a long sweep', () => {
    const text = renderTables(sweep([1, 2, 3]), false);
    expect(text.match(/^hold:tables=\d+ {2}\(cpus=1, seed=1\)$/gm)).toEqual(
      [1, 2, 3].map((n) => `hold:tables=${n}  (cpus=1, seed=1)`),
    );
    expect(text).toContain('peak footprint');
  });
});

describe('the terminal tables never mark a strategy the platform cannot use', () => {
  it('names it not applicable and marks the smallest of the others best, though it holds less', () => {
    const at = (strategy: string, bytes: number, applicable = true) =>
      blankRecord(
        { workload: 'hold:tables=4', strategy, cpus: 1, seed: 1 },
        { allocs: 4, peak_live_tables: 4, peak_footprint_bytes: bytes, applicable },
      );
    const text = renderTables(
      [at('slab-dma32', 16 * KiB), at('page-frag', 32 * KiB), at('dma-pool', 4 * KiB, false)],
      false,
    );
    const row = (s: string) => text.split('\n').find((l) => l.includes(`${s} `)) as string;
    expect(row('dma-pool')).toContain('dma-pool (not applicable)');
    expect(row('dma-pool')).not.toContain('*');
    expect(row('slab-dma32')).toContain('*16 KiB');
  });
});
