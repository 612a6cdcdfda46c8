import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import type { FullRecord } from '../../core/record.ts';
import { runBenchmark } from '../../harness/benchmark.ts';
import { htmlExporter } from '../../results/html.ts';
import { renderMarkdown } from '../../results/markdown.ts';
import { analyse } from '../../results/report/analyse.ts';
import type { RunResult } from '../../results/run-schema.ts';
import { blankRecord, completeRun, withTotals } from '../records.ts';

function run(records: FullRecord[]): RunResult {
  return completeRun(records);
}

/** A record of `strategy` holding 8 tables in `pages` to the end, with `metadata` beside them. */
const hold = (strategy: string, kernel: string, pages: number, metadata = 0) =>
  blankRecord(
    { workload: 'hold:tables=8', strategy, cpus: 4, kernel, seed: 1 },
    withTotals({
      allocs: 8,
      events: 8,
      peak_live_tables: 8,
      peak_footprint_bytes: pages,
      final_footprint_bytes: pages,
      metadata_bytes: metadata,
    }),
  );

/**
 * Hand-made records of two strategies, a and b, under two kernels. Holding 8 tables, a needs 8 KiB
 * and b 12 KiB under 5.1, the other way round under 6.18; on a churn that frees 12 of 16 tables both
 * peak at 16 KiB, and a keeps 16 KiB to the end under 5.1 but 4 KiB under 6.18.
 */
function records(): FullRecord[] {
  const churn = (strategy: string, kernel: string, final: number) =>
    blankRecord(
      { workload: 'churn:live=16,ops=28', strategy, cpus: 4, kernel, seed: 1 },
      withTotals({
        allocs: 16,
        frees: 12,
        events: 28,
        peak_live_tables: 16,
        peak_footprint_bytes: 16384,
        final_footprint_bytes: final,
        detail: {
          work: {},
          series: { event: [16, 28], footprint_bytes: [16384, final], live_tables: [16, 4] },
          samples: [],
          workload_info: {},
        },
      }),
    );
  return [
    hold('a', '5.1', 8192),
    hold('b', '5.1', 12288),
    churn('a', '5.1', 16384),
    churn('b', '5.1', 16384),
    hold('a', '6.18', 12288),
    hold('b', '6.18', 8192),
    churn('a', '6.18', 4096),
    churn('b', '6.18', 16384),
  ];
}

describe('the report of a run with two kernels', () => {
  const model = analyse(run(records()));

  it('answers per kernel, each from its own records only', () => {
    expect(model.answers.map((a) => [a.kernel, a.recommendation.strategy])).toEqual([
      ['5.1', 'a'],
      ['6.18', 'b'],
    ]);
    // Each kernel's constraints and rankings see its own records: two strategies, not four.
    for (const a of model.answers) expect(a.constraints.map((c) => c.strategy)).toEqual(['a', 'b']);
    expect(model.rankings.map((r) => [r.workload, r.kernel])).toEqual([
      ['churn:live=16,ops=28', '5.1'],
      ['churn:live=16,ops=28', '6.18'],
    ]);
  });

  it('says in "Since v5.1" what changed, from the records', () => {
    const [k] = model.since.kernels;
    expect(model.since.base).toBe('5.1');
    expect(k?.kernel).toBe('6.18');
    expect(k?.findings).toContain('The answer changes: a under 5.1, b under 6.18.');
    expect(k?.findings).toContain(
      'a after frees: at the end of churn:live=16,ops=28 (4 of its peak 16 tables still live, the same peak held under both) it holds 4 KiB under 6.18 against 16 KiB under 5.1.',
    );
    expect(k?.findings).toContain(
      'a: its peak held differs in 1 cell (smaller under 6.18 in 0); most on hold:tables=8, 12 KiB under 6.18 against 8 KiB under 5.1.',
    );
    const a = k?.rows.find((r) => r.strategy === 'a');
    // Peak 12/8 on the hold and 16/16 on the churn: geometric mean √1.5. Holding 8 tables: 8 in 2
    // pages (4 a page) under 5.1, 8 in 3 under 6.18.
    expect(a?.peak_ratio).toBeCloseTo(Math.sqrt(1.5), 12);
    expect(a).toMatchObject({ cells: 2, footprint_differs: 2, failures: [0, 0], density: [4, 8 / 3] });
  });

  it('counts metadata in what "Since v5.1" says is held, and says when only the metadata changed', () => {
    // c takes the same 8 KiB of pages under both kernels; its metadata is 4,224 B under 5.1 and
    // 4,160 B under 6.18 (genalloc's gen_pool and bitmap). d takes 4 KiB more pages under 6.18 and
    // keeps 640 B of metadata under both.
    const m = analyse(
      run([
        hold('c', '5.1', 8192, 4224),
        hold('c', '6.18', 8192, 4160),
        hold('d', '5.1', 8192, 640),
        hold('d', '6.18', 12288, 640),
      ]),
    );
    const [k] = m.since.kernels;
    const c = k?.rows.find((r) => r.strategy === 'c');
    expect(c?.footprint_differs).toBe(0);
    // Peak held, pages and metadata: (8192 + 4160) / (8192 + 4224).
    expect(c?.peak_ratio).toBeCloseTo(12352 / 12416, 12);
    expect(k?.findings).toContain(
      'c: the same pages, failures and reuse in all 1 cell; only its metadata changes, 4.13 KiB → 4.06 KiB.',
    );
    expect(k?.findings.some((f) => f.startsWith('c: its peak held differs'))).toBe(false);
    // d: 12288 + 640 = 12,928 B = 12.6 KiB under 6.18 against 8192 + 640 = 8,832 B = 8.63 KiB.
    expect(k?.findings).toContain(
      'd: its peak held differs in 1 cell (smaller under 6.18 in 0); most on hold:tables=8, 12.6 KiB under 6.18 against 8.63 KiB under 5.1.',
    );
  });

  it('renders one answer subsection per kernel, a section said once where the kernels agree, and the kernel of each ranking', () => {
    const md = renderMarkdown(model);
    const answer = md.slice(md.indexOf('## The answer'), md.indexOf('## Since v5.1'));
    expect(answer).toContain('mt8173, Linux 5.1: `a`; mt8173, Linux 6.18: `b`.');
    // Under 5.1, a holds 8 KiB on the hold against b's 12 KiB and both 16 KiB on the churn: a is best
    // by every aggregation (the worst case, 16 KiB, a tie), so it is called the winner; 6.18 the other way.
    expect(answer.indexOf('### mt8173, Linux 5.1')).toBeLessThan(answer.indexOf('**Winner: `a`.**'));
    expect(answer.indexOf('### mt8173, Linux 6.18')).toBeLessThan(answer.indexOf('**Winner: `b`.**'));
    const gate = md.slice(md.indexOf('## Hard constraints'), md.indexOf('## Claims'));
    expect(gate).toContain(
      'The same for every platform and kernel of this run (mt8173, Linux 5.1; mt8173, Linux 6.18).',
    );
    expect(gate).not.toContain('### mt8173');
    expect(md).toContain('### churn:live=16,ops=28 (cpus=4, kernel=6.18, seed=1)');
    expect(md).toContain('| a | 2 | 2 | 1.22× | 0 (same) | 4.00 → 2.67 |');
  });

  it('keeps a one-kernel report as it was, and says how to compare kernels', () => {
    const one = analyse(run(records().filter((r) => r.kernel === '5.1')));
    expect(one.answers).toHaveLength(1);
    expect(one.since.base).toBeNull();
    const md = renderMarkdown(one);
    expect(md).not.toContain('### Linux');
    expect(md).not.toContain('kernel=');
    expect(md).toContain('This run models Linux v5.1 only: `--kernel 5.1,6.18`');
    expect(one.threats.join(' ')).not.toContain('split-on-unmap');
    expect(model.threats.join(' ')).toContain('split-on-unmap was removed (fd50651636fb, v6.13)');
  });
});

describe('report.html of a real two-kernel run', () => {
  it('gives the answer per kernel, the Since v5.1 table, and one set of charts per kernel', async () => {
    const result = await runBenchmark({
      workloads: ['hold:tables=1..8', 'churn:live=40,ops=400,order=random,cpus=spread'],
      strategies: ['slab-dma32', 'dma-pool:coherent_pool=0'],
      kernels: ['5.1', '6.18'],
      throughput: false,
    });
    const d = parseHTML(await htmlExporter.render(result)).document;
    const kernels = [...d.querySelectorAll('#answer h3.kernel')].map((h) => h.textContent);
    expect(kernels).toEqual(['mt8173, Linux 5.1', 'mt8173, Linux 6.18']);
    expect(d.querySelectorAll('#since tbody tr').length).toBe(2);
    const titles = [...d.querySelectorAll('#charts figcaption strong')].map((s) => s.textContent ?? '');
    expect(titles.some((t) => t.endsWith('(mt8173, Linux 5.1).'))).toBe(true);
    expect(titles.some((t) => t.endsWith('(mt8173, Linux 6.18).'))).toBe(true);
  });
});

describe('Since v5.1 and a strategy the platform cannot use', () => {
  it('says its failures changed, and that it is not applicable under either kernel', () => {
    const pool = (kernel: string, failures: number) => ({
      ...blankRecord(
        { workload: 'hold:tables=8', strategy: 'p', cpus: 4, kernel, seed: 1 },
        withTotals({ allocs: 8, alloc_failures: failures, peak_footprint_bytes: 4096 }),
      ),
      applicable: false,
    });
    const findings = analyse(run([...records(), pool('5.1', 2), pool('6.18', 0)])).since.kernels[0]?.findings;
    expect(findings).toContain(
      'p serves every allocation under 6.18 but not under 5.1 (2 allocations failed) (not applicable on the platform under either, whatever its failures).',
    );
  });
});

describe('Since v5.1 with several platforms', () => {
  it('compares each platform with itself, never one platform with another', () => {
    // The same records on two platforms: each platform's 6.18 against its own 5.1.
    const both = [
      ...records(),
      ...records().map((r) => ({ ...r, platform: 'apq8064', strategy: r.strategy === 'a' ? 'c' : r.strategy })),
    ];
    const since = analyse(run(both)).since;
    expect(since.kernels.map((k) => [k.title, k.base, k.rows.map((r) => r.strategy)])).toEqual([
      ['mt8173: Linux 6.18', '5.1', ['a', 'b']],
      ['apq8064: Linux 6.18', '5.1', ['c', 'b']],
    ]);
    expect(since.kernels[1]?.findings).toContain('The answer changes: c under 5.1, b under 6.18.');
  });
});
