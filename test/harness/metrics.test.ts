import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParams } from '../../core/params.ts';
import { type Cell, measureCell } from '../../harness/cell.ts';
import { Series } from '../../harness/series.ts';
import { findStrategy } from '../../strategies/index.ts';
import { DEFAULT_MACHINE } from '../../strategies/machine/machine.ts';
import { tempDir } from '../tmp.ts';
import { workload } from '../workload-helpers.ts';

const KiB = 1024;

function cell(strategy: string, w: ReturnType<typeof workload>, cpus = 4): Cell {
  const s = findStrategy(strategy);
  if (!s) throw new Error(strategy);
  return {
    strategy: s,
    strategyParams: parseParams(strategy, s.params, {}),
    strategyLabel: strategy,
    workload: w,
    machine: { ...DEFAULT_MACHINE, cpus },
    kernel: '5.1',
    seed: 1,
    check: true,
    timed: false,
  };
}

/** A native trace: alloc 8 tables, free 4 (ids 7, 6, 5, 4), alloc 2 (ids 8, 9). Live: 1..8, 7, 6, 5, 4, 5, 6. */
function threePhaseTrace(): ReturnType<typeof workload> {
  const lines = ['# three phases: hold, free, hold again'];
  for (let i = 0; i < 8; i++) lines.push(`alloc,${i}`);
  for (let i = 7; i >= 4; i--) lines.push(`free,${i}`);
  lines.push('alloc,8', 'alloc,9');
  const file = join(tempDir('l2bench-metrics-'), 'three-phase.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return workload('trace', { file });
}
const LIVE = [1, 2, 3, 4, 5, 6, 7, 8, 7, 6, 5, 4, 5, 6];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("Johnstone & Wilson's measures on a three-phase trace (footprints in closed form)", () => {
  it('full-page: footprint = 4 KiB per live table, so every measure is (4 − 1) / 1 = 3', () => {
    const r = measureCell(cell('full-page', threePhaseTrace()));
    expect([r.frag_mean, r.frag_at_peak_live, r.frag_at_peak_footprint, r.frag_peak_over_peak]).toEqual([3, 3, 3, 3]);
    expect(r.mean_footprint_bytes).toBeCloseTo(4 * KiB * mean(LIVE), 9);
    expect(r.peak_footprint_bytes).toBe(8 * 4 * KiB);
    expect(r.final_footprint_bytes).toBe(6 * 4 * KiB);
    expect(r.pages_returned).toBe(4);
  });

  it('genalloc: 4096 KiB whatever the load, so frag = (4096 − L) / L', () => {
    const r = measureCell(cell('genalloc', threePhaseTrace()));
    expect(r.frag_mean).toBeCloseTo(mean(LIVE.map((l) => (4096 - l) / l)), 12);
    expect(r.frag_at_peak_live).toBe((4096 - 8) / 8); // live peaks at event 8
    expect(r.frag_at_peak_footprint).toBe(4095); // the 4 MiB are first seen at event 1, with 1 live
    expect(r.frag_peak_over_peak).toBe((4096 - 8) / 8);
    // Frees 7..4 then allocations take the lowest clear bits: 4 and 5, both freed before.
    expect(r.reuse_rate).toBe(2 / 10);
  });

  it('page-frag: one 32 KiB page throughout (carving goes on downward), so frag = (32 − L) / L', () => {
    const r = measureCell(cell('page-frag', threePhaseTrace()));
    expect(r.frag_mean).toBeCloseTo(mean(LIVE.map((l) => (32 - l) / l)), 12);
    expect(r.frag_at_peak_live).toBe(3);
    expect(r.frag_at_peak_footprint).toBe(31);
    expect(r.frag_peak_over_peak).toBe(3);
    // The 4 freed fragments sit below nothing reusable: stranded until the page is reused.
    expect(r.peak_stranded_bytes).toBe(4 * KiB);
    expect(r.reuse_rate).toBe(0);
  });

  it('slab-dma32 on 4 CPUs: one 16 KiB slab; frees and reallocations reuse objects LIFO', () => {
    const r = measureCell(cell('slab-dma32', threePhaseTrace()));
    expect(r.peak_footprint_bytes).toBe(16 * KiB);
    expect(r.frag_peak_over_peak).toBe((16 - 8) / 8);
    expect(r.reuse_rate).toBe(2 / 10);
    expect(r.peak_stranded_bytes).toBe(0);
  });
});

describe('reuse and stranded memory on frag-adversary (4096 tables, keep one in 32)', () => {
  it('page-frag strands 31 of every 32 KiB and reuses nothing: the refill needs 124 new pages', () => {
    // Fill: 128 pages of 32 fragments (ids 32p..32p+31 on page p). Freeing all but id 32p leaves one
    // fragment out on every page: 128 × 31 KiB stranded. The current page cannot be reused (a
    // fragment is out), so the 3968 new tables take 124 new pages: 252 × 32 KiB at the peak.
    const r = measureCell(cell('page-frag', workload('frag-adversary', { tables: '4096', keep: '32' })));
    expect(r.peak_stranded_bytes).toBe(128 * 31 * KiB);
    expect(r.reuse_rate).toBe(0);
    expect(r.peak_footprint_bytes).toBe(252 * 32 * KiB);
    expect(r.pages_returned).toBe(0);
  });

  it('genalloc reuses every freed bit: first fit from bit 0 finds them before any fresh one', () => {
    const r = measureCell(cell('genalloc', workload('frag-adversary', { tables: '4096', keep: '32' })));
    expect(r.reuse_rate).toBe(3968 / (4096 + 3968));
    expect(r.peak_stranded_bytes).toBe(0);
    expect(r.peak_footprint_bytes).toBe(4096 * KiB);
  });

  it('full-page returns every freed page: no reuse by the strategy, 3968 pages returned', () => {
    const r = measureCell(cell('full-page', workload('frag-adversary', { tables: '4096', keep: '32' })));
    expect(r.reuse_rate).toBe(0);
    expect(r.pages_returned).toBe(3968);
    expect(r.peak_footprint_bytes).toBe(4096 * 4 * KiB);
  });
});

describe('constraints and failures', () => {
  it('counts allocation failures, and skips the frees of tables that were never allocated', () => {
    // genalloc holds 4096 tables at most; the 4097th fails and its later free is skipped.
    const lines = [...Array.from({ length: 4097 }, (_, i) => `alloc,${i}`), 'free,4096', 'free,0'];
    const file = join(tempDir('l2bench-metrics-'), 'overflow.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = measureCell(cell('genalloc', workload('trace', { file })));
    expect([r.allocs, r.alloc_failures, r.frees, r.skipped_frees, r.peak_live_tables]).toEqual([4097, 1, 2, 1, 4096]);
  });

  it('counts every table slab-normal places at or above 4 GiB, and none for slab-dma32', () => {
    expect(measureCell(cell('slab-normal', workload('hold', { tables: '100' }))).dma32_violations).toBe(100);
    expect(measureCell(cell('slab-dma32', workload('hold', { tables: '100' }))).dma32_violations).toBe(0);
  });

  it('records page-allocator calls by order: full-page makes one order-0 call per table', () => {
    const r = measureCell(cell('full-page', workload('ramp', { peak: '10' })));
    expect([r.page_alloc_calls, r.page_free_calls, r.pages_returned]).toEqual([10, 10, 10]);
    expect(r.detail.work).toEqual({ page_allocs_order0: 10, page_frees_order0: 10 });
  });

  it('keeps a bounded footprint series whose peak is the peak footprint', () => {
    const r = measureCell(cell('slab-dma32', workload('churn', { live: '300', ops: '100000' })));
    expect(r.detail.series.event.length).toBeLessThanOrEqual(256);
    expect(Math.max(...r.detail.series.footprint_bytes)).toBe(r.peak_footprint_bytes);
    expect(r.detail.series.event.at(-1)).toBeLessThanOrEqual(r.events);
  });

  it('takes for each point of the series the first event of its stride with the highest footprint', () => {
    // A random walk of live tables with plateaus and repeated highs, over 10^4 events (past two
    // blocks of the meter and six doublings of the stride). full-page holds one page per live
    // table, so the footprint after an event is 4 KiB × its live tables.
    const lines: string[] = [];
    const ids: number[] = [];
    const live: number[] = [];
    let next = 0;
    let x = 12345;
    for (let e = 0; e < 10_000; e++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      if (ids.length === 0 || (x >> 16) % 7 < 4) {
        lines.push(`alloc,${next}`);
        ids.push(next++);
      } else lines.push(`free,${ids.pop()}`);
      live.push(ids.length);
    }
    const file = join(tempDir('l2bench-series-'), 'walk.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    // The rule event by event: a higher footprint than the open point's becomes the point.
    const expected = new Series();
    let pointHeld = -1;
    live.forEach((l, k) => {
      if (l > pointHeld) {
        expected.set(k + 1, l * 4 * KiB, l);
        pointHeld = l;
      }
      if (++expected.inStride >= expected.stride) {
        expected.close();
        pointHeld = -1;
      }
    });
    expected.pending = pointHeld >= 0;
    const r = measureCell(cell('full-page', workload('trace', { file })));
    expect(r.events).toBe(10_000);
    expect(r.detail.series).toEqual(expected.columns());
  });
});
