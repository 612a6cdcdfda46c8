import { describe, expect, it } from 'vitest';
import type { FullRecord } from '../../core/record.ts';
import { renderMarkdown } from '../../results/markdown.ts';
import { aggregate, decide, disagreements } from '../../results/report/aggregations.ts';
import { analyse } from '../../results/report/analyse.ts';
import { heldAtPeak } from '../../results/report/held.ts';
import { blankRecord, completeRun, measuredRecord, seriesDetail, withTotals } from '../records.ts';

const KiB = 1024;

/** A record of `strategy` on `workload` that held `bytes` at its peak (no metadata). */
function held(strategy: string, workload: string, bytes: number, over: Partial<FullRecord> = {}): FullRecord {
  return blankRecord(
    { workload, strategy, cpus: 4, seed: 1 },
    withTotals({ allocs: 1, events: 1, peak_live_tables: 1, peak_footprint_bytes: bytes, ...over }),
  );
}

/** The same records, with the platform saying it cannot use `strategy`. */
function notApplicable(r: FullRecord): FullRecord {
  return {
    ...r,
    applicable: false,
    detail: { ...r.detail, applicability: 'needs a linear-map address' },
  } as FullRecord;
}

/**
 * x and y on four workloads. x holds 1 KiB where y holds 2 KiB, three times, and 50 KiB where y holds
 * 10 KiB. Geometric mean of ratios to the least: x (1·1·1·5)^¼ = 1.495, y (2·2·2·1)^¼ = 1.682, so x;
 * workloads won: x 3, y 1, so x. Sum of bytes: x 53 KiB, y 16 KiB, so y; worst case: x 50 KiB, y 10
 * KiB, so y. The aggregations disagree, and the decision rule (the sum) picks y.
 */
const split = [
  ...['churn:live=1', 'churn:live=2', 'churn:live=3'].flatMap((w) => [held('x', w, 1 * KiB), held('y', w, 2 * KiB)]),
  held('x', 'churn:live=4', 50 * KiB),
  held('y', 'churn:live=4', 10 * KiB),
];

describe('the four aggregations, on records worked out by hand', () => {
  it('gives each one its winner', () => {
    const agg = aggregate(split, heldAtPeak, ['x', 'y']);
    const [x, y] = agg.rows;
    expect(x?.geomean).toBeCloseTo(5 ** 0.25, 12);
    expect(y?.geomean).toBeCloseTo(8 ** 0.25, 12);
    expect([x?.sum, y?.sum]).toEqual([53 * KiB, 16 * KiB]);
    expect([x?.worst, y?.worst, x?.worstWorkload]).toEqual([50 * KiB, 10 * KiB, 'churn:live=4']);
    expect([x?.won, y?.won]).toEqual([3, 1]);
    expect(agg.winners).toEqual({ geomean: ['x'], sum: ['y'], worst: ['y'], won: ['x'] });
    expect(agg.agreed).toEqual([]);
    expect(decide(agg)).toBe('y');
  });

  it('where the geometric mean and the sum disagree, names no winner and says who wins where, by how many bytes', () => {
    const agg = aggregate(split, heldAtPeak, ['x', 'y']);
    expect(disagreements(agg, 'y')).toEqual([
      'x wins by the geometric mean of ratios to the least (1.50× against 1.68×) and the workloads won (3 of 4 against 1 of 4): x holds less than y on 3 workloads, by up to 1 KiB (churn:live=1), 3 KiB in all; y holds less than x on 1 workload, by up to 40 KiB (churn:live=4).',
    ]);
    const r = analyse(completeRun(split)).answers[0]?.recommendation;
    expect(r?.strategy).toBe('y');
    expect(r?.agreed).toBe(false);
    expect(r?.headline).toBe(
      'No strategy holds the least under every aggregation; by the decision rule, y (peak held: 16 KiB summed over 4 workloads).',
    );
    const md = renderMarkdown(analyse(completeRun(split)));
    expect(md).toContain('**By the decision rule: `y`.**');
    expect(md).not.toContain('Winner');
  });

  it('calls a strategy the winner only when it is best under all four', () => {
    // z holds less than x and y everywhere: 512 B on each workload.
    const z = ['churn:live=1', 'churn:live=2', 'churn:live=3', 'churn:live=4'].map((w) => held('z', w, 512));
    const r = analyse(completeRun([...split, ...z])).answers[0]?.recommendation;
    expect(r?.strategy).toBe('z');
    expect(r?.agreed).toBe(true);
    expect(r?.disagreements).toEqual([]);
    expect(r?.headline).toBe(
      'Use z: it holds the least under every aggregation (peak held: 2 KiB summed over 4 workloads, 512 B at worst, 1.00× the least by geometric mean, smallest on 4 of 4).',
    );
  });

  it('never answers with a strategy the platform cannot use, even when it would win every aggregation', () => {
    const z = ['churn:live=1', 'churn:live=2', 'churn:live=3', 'churn:live=4'].map((w) =>
      notApplicable(held('z', w, 512)),
    );
    const model = analyse(completeRun([...split, ...z]));
    const r = model.answers[0]?.recommendation;
    expect(r?.strategy).toBe('y');
    expect(r?.table.map((t) => t.strategy)).toEqual(['y', 'x']);
    expect(r?.unavailable).toEqual([{ strategy: 'z', kind: 'not applicable', why: 'needs a linear-map address' }]);
    // Never ranked first in a table, never bold.
    for (const cell of model.rankings) {
      expect(cell.strategies.find((s) => s.strategy === 'z')?.excluded).toBe(
        'not applicable: needs a linear-map address',
      );
      for (const m of cell.metrics) expect(m.rows.find((v) => v.strategy === 'z')?.rank).toBeNull();
    }
    const rows = renderMarkdown(model)
      .split('\n')
      .filter((l) => l.startsWith('| z |'));
    // Four workloads' rankings and the hard constraints.
    expect(rows.length).toBe(5);
    for (const row of rows) expect(row).not.toContain('**');
  });

  it('never answers with, ranks first or bolds a strategy excluded anywhere, even where it did not fail', () => {
    // w holds least everywhere, but failed an allocation on churn:live=4: excluded from the answer, and
    // unranked in churn:live=1–3 too, where it served every table.
    const w = [
      ...['churn:live=1', 'churn:live=2', 'churn:live=3'].map((x) => held('w', x, 256)),
      held('w', 'churn:live=4', 256, { alloc_failures: 1, allocs: 2 }),
    ];
    const model = analyse(completeRun([...split, ...w]));
    expect(model.answers[0]?.recommendation.strategy).toBe('y');
    expect(model.answers[0]?.recommendation.unavailable.map((u) => [u.strategy, u.kind])).toEqual([['w', 'excluded']]);
    const a = model.rankings.find((c) => c.workload === 'churn:live=1');
    expect(a?.strategies.find((s) => s.strategy === 'w')?.excluded).toBe('elsewhere in this run: 1 allocation failed');
    for (const m of a?.metrics ?? []) expect(m.rows.find((v) => v.rank === 1)?.strategy).not.toBe('w');
    const md = renderMarkdown(model);
    const rows = md.split('\n').filter((l) => l.startsWith('| w |'));
    expect(rows.length).toBe(5);
    for (const row of rows) expect(row).not.toContain('**');
  });
});

describe('equal under every aggregation', () => {
  it('answers with what upstream allocates with on the platform: slab-normal under TTBR_EXT, slab-dma32 on mt8173', () => {
    // Both caches hold 16 KiB for 8 tables and 32 KiB for 20 on each platform: equal under all four
    // aggregations. mt8188's 6.18 L2 cache has no zone flag (TTBR_EXT), mt8173's has SLAB_CACHE_DMA32.
    const at = (platform: string, strategy: string, workload: string, bytes: number) =>
      blankRecord(
        { workload, strategy, platform, cpus: 8, kernel: '6.18', seed: 1 },
        withTotals({ allocs: 1, events: 1, peak_live_tables: 1, peak_footprint_bytes: bytes }),
      );
    const records = ['mt8173', 'mt8188'].flatMap((p) =>
      ['slab-dma32', 'slab-normal'].flatMap((s) => [
        at(p, s, 'churn:live=8', 16 * KiB),
        at(p, s, 'churn:live=20', 32 * KiB),
      ]),
    );
    const answers = analyse(completeRun(records)).answers;
    expect(answers.map((a) => [a.platform, a.recommendation.strategy, a.recommendation.agreed])).toEqual([
      ['mt8173', 'slab-dma32', true],
      ['mt8188', 'slab-normal', true],
    ]);
    expect(answers[1]?.recommendation.tied).toEqual(['slab-dma32']);
  });
});

describe('one weighting of workloads everywhere', () => {
  it('counts the hold sweep once, by the mean of its points', () => {
    // Sweep: x 4 and 8 KiB (mean 6), y 16 and 16 (16); churn: x 64 KiB, y 32 KiB.
    // Sum: x 6 + 64 = 70 KiB, y 16 + 32 = 48 KiB. Geometric mean: x √(1 × 2) = √2, y √(16/6 × 1).
    const records = [
      held('x', 'hold:tables=1', 4 * KiB),
      held('x', 'hold:tables=2', 8 * KiB),
      held('y', 'hold:tables=1', 16 * KiB),
      held('y', 'hold:tables=2', 16 * KiB),
      held('x', 'churn:live=1', 64 * KiB),
      held('y', 'churn:live=1', 32 * KiB),
    ];
    const agg = aggregate(records, heldAtPeak, ['x', 'y']);
    expect(agg.units.map((u) => u.workload)).toEqual(['hold sweep', 'churn:live=1']);
    expect(agg.rows.map((r) => r.sum)).toEqual([70 * KiB, 48 * KiB]);
    expect(agg.rows[0]?.geomean).toBeCloseTo(Math.SQRT2, 12);
    expect(agg.rows[1]?.geomean).toBeCloseTo(Math.sqrt(16 / 6), 12);
    // The worst case is the most held in any one cell: the sweep's points are cells.
    expect(agg.rows.map((r) => r.worst)).toEqual([64 * KiB, 32 * KiB]);
  });
});

describe('memory given back after the peak', () => {
  it('what each keeps at the end, the most it gave back, and when it first did, from its series', () => {
    // A churn of 28 events that peaks at 16 live tables and ends with 4. x holds 16 KiB at its peak
    // (event 16), falls to 4 KiB by event 20 (the highest of the stretch ending there) and ends at
    // 8 KiB: 12 KiB given back at most, 8 KiB kept. y holds its 16 KiB to the end.
    const churn = (strategy: string, series: [number, number][], low: number) =>
      held(strategy, 'churn:live=16', 16 * KiB, {
        allocs: 16,
        frees: 12,
        events: 28,
        peak_live_tables: 16,
        final_footprint_bytes: series.at(-1)?.[1] as number,
        total_final_footprint_bytes: series.at(-1)?.[1] as number,
        returned_after_peak_bytes: 16 * KiB - low,
        detail: seriesDetail(series),
      });
    const x = churn(
      'x',
      [
        [8, 8 * KiB],
        [16, 16 * KiB],
        [20, 4 * KiB],
        [28, 8 * KiB],
      ],
      4 * KiB,
    );
    const y = churn(
      'y',
      [
        [8, 8 * KiB],
        [16, 16 * KiB],
        [28, 16 * KiB],
      ],
      16 * KiB,
    );
    const back = analyse(completeRun([x, y])).answers[0]?.recommendation.givenBack;
    expect(back).toEqual([
      {
        strategy: 'x',
        workloads: 1,
        at_peak: 16 * KiB,
        at_end: 8 * KiB,
        returned: 12 * KiB,
        when: 'keeps 8 KiB at the end of churn:live=16 with 4 tables live (16 KiB at its peak, 16 tables); there it first gave memory back by event 20 of 28, its peak being at event 16',
      },
      {
        strategy: 'y',
        workloads: 1,
        at_peak: 16 * KiB,
        at_end: 16 * KiB,
        returned: 0,
        when: 'never gives memory back: it holds its peak to the end of every workload that frees tables',
      },
    ]);
  });
});

describe('answers per platform', () => {
  it('answers each platform from its own records, the hypothetical one last and named so', () => {
    // One table: dma-pool on a coherent IOMMU takes a 4 KiB page (+256 B), slab-dma32 a 16 KiB slab
    // (+640 B). Only the hypothetical coherent platform can use the dma_pool.
    const records = ['coherent-v7s', 'mt8173'].flatMap((p) =>
      ['slab-dma32', 'dma-pool:coherent_pool=0'].map((s) => measuredRecord(s, 'hold', { tables: '1' }, '5.1', p)),
    );
    const answers = analyse(completeRun(records)).answers;
    expect(answers.map((a) => [a.title, a.recommendation.strategy])).toEqual([
      ['mt8173, Linux 5.1', 'slab-dma32'],
      ['coherent-v7s (hypothetical), Linux 5.1', 'dma-pool:coherent_pool=0'],
    ]);
    expect(answers[1]?.recommendation.headline).toMatch(/^Hypothetical platform, never a real answer: use dma-pool/);
    expect(answers[0]?.recommendation.unavailable.map((u) => u.strategy)).toEqual(['dma-pool:coherent_pool=0']);
    // What upstream allocates with there, from the platform's table.
    expect(answers[0]?.facts.upstream).toBe('slab-dma32');
    expect(renderMarkdown(analyse(completeRun(records)))).toContain(
      'Upstream allocates these tables as `slab-dma32` models here: the L2 kmem_cache with SLAB_CACHE_DMA32',
    );
  });
});

describe('the platforms section', () => {
  it("gives each platform's facts with their sources, for the kernels the run ran it under", () => {
    // mt8188 under 6.18 only: TTBR_EXT puts tables below 2^35 = 32 GiB, and its board has 8 CPUs
    // (2× Cortex-A78 + 6× Cortex-A55).
    const records = ['slab-normal', 'full-page'].map((s) =>
      blankRecord(
        { workload: 'hold:tables=8', strategy: s, platform: 'mt8188', cpus: 8, kernel: '6.18', seed: 1 },
        withTotals({ allocs: 8, events: 8, peak_live_tables: 8, peak_footprint_bytes: 16 * KiB }),
      ),
    );
    const model = analyse(completeRun(records));
    expect(model.platforms.map((p) => p.name)).toEqual(['mt8188']);
    const rows = model.platforms[0]?.rows ?? [];
    expect(rows.find((r) => r.fact === 'tables below')).toMatchObject({ kernel: '6.18', value: '32 GiB (2^35)' });
    expect(rows.find((r) => r.fact === 'CPUs')).toMatchObject({ kernel: null, value: '8' });
    expect(rows.every((r) => r.source.length > 0)).toBe(true);
    expect(rows.some((r) => r.kernel === '5.1')).toBe(false);
    const md = renderMarkdown(model);
    const section = md.slice(md.indexOf('## Platforms'), md.indexOf('## Since v5.1'));
    expect(section).toContain('### mt8188');
    expect(section).toMatch(/\| tables below \| 6\.18 \| 32 GiB \(2\^35\) \| [^|]*TTBR_EXT[^|]* \|/);
  });
});

describe('the answer by kind of workload', () => {
  it('sums each kind apart: real traces, models, synthetic patterns, the hold sweep once', () => {
    // x and y on a real trace (1 and 2 KiB), an IOMMU model (4 and 3 KiB) and a two-point hold sweep
    // (x 1 then 3 KiB, y 3 then 1 KiB: a mean of 2 KiB each, one workload).
    const at = (strategy: string, workload: string, kib: number, category: 'real trace' | 'model' | 'synthetic') => {
      const r = held(strategy, workload, kib * KiB);
      return { ...r, detail: { ...r.detail, workload_category: category } } as FullRecord;
    };
    const records = [
      at('x', 'trace:file=a.txt', 1, 'real trace'),
      at('y', 'trace:file=a.txt', 2, 'real trace'),
      at('x', 'iommu:scenario=camera', 4, 'model'),
      at('y', 'iommu:scenario=camera', 3, 'model'),
      at('x', 'hold:tables=1', 1, 'synthetic'),
      at('y', 'hold:tables=1', 3, 'synthetic'),
      at('x', 'hold:tables=2', 3, 'synthetic'),
      at('y', 'hold:tables=2', 1, 'synthetic'),
    ];
    const r = analyse(completeRun(records)).answers[0]?.recommendation;
    expect(r?.groups).toEqual([
      { label: 'real traces', workloads: 1, sums: { x: 1 * KiB, y: 2 * KiB } },
      { label: 'models', workloads: 1, sums: { x: 4 * KiB, y: 3 * KiB } },
      { label: 'synthetic patterns', workloads: 1, sums: { x: 2 * KiB, y: 2 * KiB } },
    ]);
    const md = renderMarkdown(analyse(completeRun(records)));
    expect(md).toContain(
      '| strategy | real traces (1 workload) | models (1 workload) | synthetic patterns (1 workload) |',
    );
    expect(md).toContain('| x | **1 KiB** | 4 KiB | **2 KiB** |');
  });
});
