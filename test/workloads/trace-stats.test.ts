import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lifetimes, summarize, traceStats } from '../../workloads/trace/stats.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'l2bench-stats-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('traceStats', () => {
  /*
   * Worked out independently with a Python script over the sample: a table's lifetime is the index of
   * its free in the replayed event stream minus the index of its allocation; median and p90 by nearest
   * rank (sorted[ceil(p·n) − 1]).
   */
  it('summarizes the kmalloc-1k sample', () => {
    expect(traceStats(fixture('ftrace-kmalloc-1k.txt'))).toEqual({
      format: 'ftrace',
      lines: 256,
      events: 256,
      allocations: 128,
      frees: 128,
      skipped_frees: 0,
      realloc_without_free: 0,
      peak_live: 4,
      live_at_end: 0,
      max_cpu: 1, // [000] and [001] in the file
      lost_events: null, // not written by l2bench record
      lifetime: { count: 128, min: 1, median: 1, p90: 5, max: 67, mean: 2.890625 },
    });
  });

  it('summarizes the raw kmem excerpt, where most frees are of other sizes or null', () => {
    expect(traceStats(fixture('ftrace-kmem-raw-excerpt.txt'))).toEqual({
      format: 'ftrace',
      lines: 3000,
      events: 21,
      allocations: 11,
      frees: 10,
      skipped_frees: 2979,
      realloc_without_free: 0,
      peak_live: 3,
      live_at_end: 1,
      max_cpu: 1,
      lost_events: null,
      lifetime: { count: 10, min: 1, median: 1, p90: 3, max: 3, mean: 1.4 },
    });
  });

  it('measures lifetimes in events on a hand-written native trace', () => {
    const file = join(dir, 'hand.trace');
    // Events 0..7: a0 b1 c2 free b(3) → 2, d4, free a(5) → 5, free c(6) → 4, e7. Lifetimes 2, 4, 5.
    writeFileSync(file, '# five tables\nalloc,a\nalloc,b\nalloc,c\nfree,b\nalloc,d\nfree,a\nfree,c\nalloc,e\n');
    const s = traceStats(file);
    expect(s).toMatchObject({ format: 'native', lines: 9, events: 8, allocations: 5, frees: 3, peak_live: 3 });
    expect(s.live_at_end).toBe(2);
    expect(s.lifetime).toEqual({ count: 3, min: 2, median: 4, p90: 5, max: 5, mean: 11 / 3 });
  });

  it('has no lifetimes when nothing is freed', () => {
    expect(summarize(new Float64Array(0))).toEqual({
      count: 0,
      min: null,
      median: null,
      p90: null,
      max: null,
      mean: null,
    });
    expect(summarize(Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))).toMatchObject({ median: 5, p90: 9, mean: 5.5 });
  });

  it('keeps quantiles within the stated error of the exact ones, in bounded memory', () => {
    // Values spread from 1 to 10^8 (log-uniform) and a block below 2048, where HDR is exact.
    let state = 7;
    const rand = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    for (const values of [
      Array.from({ length: 50_000 }, () => Math.floor(10 ** (rand() * 8)) + 1),
      Array.from({ length: 5_000 }, () => Math.floor(rand() * 2047) + 1),
      [1, 2, 3],
      [5_000_000],
    ]) {
      const l = new Lifetimes();
      for (const v of values) l.push(v);
      const got = l.summary();
      const exact = summarize(Float64Array.from(values).sort());
      expect([got.count, got.min, got.max]).toEqual([exact.count, exact.min, exact.max]);
      expect(got.mean).toBeCloseTo(exact.mean as number, 6);
      for (const q of ['median', 'p90'] as const) {
        const e = exact[q] as number;
        const g = got[q] as number;
        if (e < 2048) expect(g).toBe(e);
        expect(g).toBeGreaterThanOrEqual(e);
        expect(g).toBeLessThanOrEqual(e * 1.001);
      }
    }
  });

  it('tells a trace recorded with losses, and the highest CPU', () => {
    const file = join(dir, 'lossy.trace');
    writeFileSync(
      file,
      '# l2bench record 1: kmem events\n# selection: --size 1024\n# lost_events: 17 (overrun 17, commit overrun 0, dropped 0, reported 17)   \nalloc,a,5,1.5\nfree,a,3,1.6\n',
    );
    expect(traceStats(file)).toMatchObject({ max_cpu: 5, lost_events: 17, allocations: 1 });
    writeFileSync(file, '# lost_events: 0\nalloc,a\n');
    expect(traceStats(file)).toMatchObject({ max_cpu: 0, lost_events: 0 });
  });
});
