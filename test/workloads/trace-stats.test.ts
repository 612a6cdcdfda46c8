import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarize, traceStats } from '../../workloads/trace/stats.ts';

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
});
