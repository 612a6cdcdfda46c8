import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import type { FullRecord } from '../../core/record.ts';
import {
  FALLBACK_PALETTE,
  footprintOverTime,
  holdSweep,
  reportCharts,
  STRATEGY_COLORS,
  strandedUnderChurn,
  strategyPalette,
  tradeoff,
  tradeoffPoints,
} from '../../results/charts/index.ts';
import type { TradeoffPoint } from '../../results/charts/tradeoff.ts';
import { blankRecord, seriesDetail, withTotals } from '../records.ts';

/** A record with every metric zero except what is given; `series` as [event, footprint] pairs. */
function rec(
  workload: string,
  strategy: string,
  over: Partial<FullRecord> = {},
  series: [number, number][] = [],
  cpus = 4,
): FullRecord {
  return blankRecord(
    { workload, strategy, cpus, seed: 1 },
    {
      ...withTotals(over),
      detail: {
        ...seriesDetail(series),
        // As the built-in strategies declare it: only the pre-patch baseline places tables anywhere.
        placement: strategy === 'slab-normal' ? 'any' : 'dma32',
      },
    },
  );
}

const KiB = 1024;

/** Parse a chart and count what it draws. */
function parse(svg: string) {
  const { document } = parseHTML(`<!doctype html><html><body>${svg}</body></html>`);
  const root = document.querySelector('svg');
  if (!root) throw new Error('no <svg>');
  const inMark = (mark: string, sel: string) =>
    root.querySelectorAll(
      sel
        .split(',')
        .map((s) => `g[aria-label="${mark}"] ${s.trim()}`)
        .join(', '),
    ).length;
  return { root, inMark };
}

function expectChartFrame(svg: string, title: RegExp): void {
  expect(svg.startsWith('<svg')).toBe(true);
  const { root } = parse(svg);
  expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
  expect(root.getAttribute('width')).toBe('760');
  expect(root.getAttribute('aria-label')).toMatch(title);
  expect(root.querySelector('title')?.textContent).toMatch(title);
}

describe('footprintOverTime', () => {
  const records = [
    rec('churn:live=4', 'slab-dma32', {}, [
      [1, 16 * KiB],
      [2, 32 * KiB],
      [3, 16 * KiB],
    ]),
    rec('churn:live=4', 'full-page', {}, [
      [1, 4 * KiB],
      [2, 8 * KiB],
      [3, 4 * KiB],
    ]),
    rec('churn:live=4', 'slab-normal', {}, [
      [1, 16 * KiB],
      [2, 32 * KiB],
      [3, 16 * KiB],
    ]),
    rec('churn:live=4', 'genalloc', {}, [], 2),
    rec('hold:tables=4', 'genalloc', {}, [[1, 4096 * KiB]]),
  ];

  it('draws a line per strategy of the cell, the baseline dashed', () => {
    const svg = footprintOverTime(records, 'churn:live=4', 4, 1);
    expectChartFrame(svg, /^Footprint over time: churn:live=4 \(cpus=4, seed=1\)$/);
    const { root, inMark } = parse(svg);
    expect(inMark('line', 'path')).toBe(3);
    expect(root.querySelectorAll('g[aria-label="line"][stroke-dasharray] path').length).toBe(1);
    expect(svg).toContain(`stroke="${STRATEGY_COLORS['slab-dma32']}"`);
    expect(svg).not.toContain(`stroke="${STRATEGY_COLORS.genalloc}"`);
    // The legend names the three strategies drawn.
    expect([...root.querySelectorAll('.legend text')].map((t) => t.textContent)).toEqual([
      'slab-dma32',
      'full-page',
      'slab-normal',
    ]);
  });

  it('uses a symlog axis with zero when a footprint is 0', () => {
    const svg = footprintOverTime(
      [
        rec('w', 'a', {}, [
          [1, 0],
          [2, 4 * KiB],
        ]),
      ],
      'w',
      4,
      1,
    );
    const { inMark } = parse(svg);
    expect(inMark('line', 'path')).toBe(1);
    expect(svg).toContain('>0 B<');
  });

  it("is '' when the cell has no series or does not exist", () => {
    expect(footprintOverTime(records, 'churn:live=4', 2, 1)).toBe('');
    expect(footprintOverTime(records, 'nope', 4, 1)).toBe('');
    expect(footprintOverTime([], 'churn:live=4', 4, 1)).toBe('');
  });
});

describe('holdSweep', () => {
  // hold:tables=N asks for N tables; a strategy that fails holds fewer.
  const hold = (strategy: string, tables: number, footprint: number, cpus = 4, failures = 0) =>
    rec(
      `hold:tables=${tables}`,
      strategy,
      {
        allocs: tables,
        alloc_failures: failures,
        peak_live_tables: tables - failures,
        peak_footprint_bytes: footprint,
      },
      [],
      cpus,
    );
  const records = [
    hold('slab-dma32', 1, 16 * KiB),
    hold('slab-dma32', 16, 16 * KiB),
    hold('slab-dma32', 64, 64 * KiB),
    hold('full-page', 1, 4 * KiB),
    hold('full-page', 16, 64 * KiB),
    hold('full-page', 64, 256 * KiB),
    rec('churn:live=4', 'genalloc', { peak_live_tables: 4, peak_footprint_bytes: 4096 * KiB }),
  ];

  it('draws a line and a dot per hold workload for each strategy, log–log', () => {
    const svg = holdSweep(records);
    expectChartFrame(svg, /^Hold sweep: .*\(cpus=4\)$/);
    const { inMark } = parse(svg);
    expect(inMark('line', 'path')).toBe(2);
    expect(inMark('dot', 'path, circle')).toBe(6);
    expect(svg).toContain('>4 KiB<');
    expect(svg).toContain('>256 KiB<');
    expect(svg).not.toContain('genalloc');
  });

  it('facets by cpus when the run has several', () => {
    const svg = holdSweep([...records, hold('slab-dma32', 1, 16 * KiB, 2), hold('slab-dma32', 16, 32 * KiB, 2)]);
    const { inMark } = parse(svg);
    expect(inMark('line', 'path')).toBe(3);
    expect(inMark('dot', 'path, circle')).toBe(8);
    expect(svg).toMatch(/cpus=2, 4/);
  });

  it('marks where a strategy starts failing, draws it muted beneath the others and names it excluded', () => {
    // A dma-pool that served 16 of the 64 tables asked for (48 failed): it failed from the 17th on,
    // between the points measured, 16 (no failure) and 64. Its colour #9c755f muted:
    // 0x9c + (255 − 0x9c) × 0.6 = 0xd7, …
    const failing = [
      hold('dma-pool', 1, 4 * KiB),
      hold('dma-pool', 16, 24 * KiB),
      hold('dma-pool', 64, 24 * KiB, 4, 48),
    ];
    const svg = holdSweep([...records, ...failing]);
    const { root } = parse(svg);
    expect(svg).toContain('dma-pool fails from table 17');
    expect(svg).not.toContain('from table 65');
    expect([...root.querySelectorAll('.legend text')].map((t) => t.textContent)).toContain('dma-pool (excluded)');
    // Muted colour (60 % toward white), and its line comes before (beneath) the qualifying ones.
    const lines = [...root.querySelectorAll('g[aria-label="line"]')];
    expect(lines[0]?.innerHTML).toContain(`stroke="#d7c8bf"`);
    expect(
      lines
        .slice(1)
        .map((l) => l.innerHTML)
        .join(''),
    ).toContain(STRATEGY_COLORS['slab-dma32']);
  });

  it("is '' without hold workloads", () => {
    expect(holdSweep(records.filter((r) => !r.workload.startsWith('hold')))).toBe('');
  });
});

describe('tradeoff', () => {
  const costed = (workload: string, strategy: string, ns: number, footprint: number, failures = 0) =>
    rec(workload, strategy, { kernel_ns_per_op: ns, peak_footprint_bytes: footprint, alloc_failures: failures });
  const records = [
    costed('churn:a', 'slab-dma32', 20, 16 * KiB),
    costed('churn:a', 'genalloc', 80, 4096 * KiB),
    costed('churn:a', 'full-page', 40, 64 * KiB),
    costed('churn:b', 'slab-dma32', 80, 64 * KiB),
    costed('churn:b', 'genalloc', 20, 4096 * KiB),
    costed('churn:b', 'full-page', 10, 16 * KiB),
    // Not costed for every strategy: left out of every mean.
    costed('churn:c', 'slab-dma32', 1, 1 * KiB),
    rec('hold:tables=1', 'genalloc', { peak_footprint_bytes: 4096 * KiB }),
  ];

  it('takes geometric means of modelled cost and of footprint relative to the best', () => {
    const points = tradeoffPoints(records);
    expect(points.map((p) => p.strategy)).toEqual(['slab-dma32', 'genalloc', 'full-page']);
    const [slab, gen, full] = points as [(typeof points)[0], (typeof points)[0], (typeof points)[0]];
    // √(20 × 80) = 40, √(80 × 20) = 40, √(40 × 10) = 20.
    expect(slab.kernel_ns_per_op).toBeCloseTo(40, 12);
    expect(gen.kernel_ns_per_op).toBeCloseTo(40, 12);
    expect(full.kernel_ns_per_op).toBeCloseTo(20, 12);
    expect(slab.cells).toBe(2);
    // slab: 1× then 4×; full-page: 4× then 1×; genalloc: 256× then 256×.
    expect(slab.footprint_ratio).toBeCloseTo(2, 12);
    expect(full.footprint_ratio).toBeCloseTo(2, 12);
    expect(gen.footprint_ratio).toBeCloseTo(256, 9);
  });

  it('never draws an excluded or not applicable strategy, which would look best: the ratios stay as without it', () => {
    // dma-pool is the smallest in both cells but failed there; page-frag is the smallest too, but
    // the platform cannot use it.
    const withPool = [
      ...records,
      costed('churn:a', 'dma-pool', 30, 8 * KiB, 5),
      costed('churn:b', 'dma-pool', 30, 8 * KiB, 5),
      ...['churn:a', 'churn:b'].map((w) => ({
        ...costed(w, 'page-frag', 5, 4 * KiB),
        applicable: false,
        detail: { ...costed(w, 'page-frag', 5, 4 * KiB).detail, applicability: 'no reason' },
      })),
    ];
    const points = tradeoffPoints(withPool);
    expect(points.map((p) => p.strategy)).toEqual(['slab-dma32', 'genalloc', 'full-page']);
    expect(points.find((p) => p.strategy === 'slab-dma32')?.footprint_ratio).toBeCloseTo(2, 12);
    const svg = tradeoff(withPool);
    expect(svg).not.toContain('dma-pool');
    expect(svg).not.toContain('page-frag');
  });

  it('weights the workloads as the answer does: the hold sweep is one workload, its points averaged', () => {
    // Two sweep points and one churn. slab: sweep (10 + 30) / 2 = 20 ns, churn 80 ns → √(20 × 80) = 40;
    // full-page: sweep (40 + 40) / 2 = 40, churn 10 → 20. Held: sweep means slab (16 + 16) / 2 = 16 KiB,
    // full-page (4 + 8) / 2 = 6 KiB → ratios 16/6 and 1; churn slab 64 KiB, full-page 16 KiB → 4 and 1.
    const sweep = [
      costed('hold:tables=1', 'slab-dma32', 10, 16 * KiB),
      costed('hold:tables=2', 'slab-dma32', 30, 16 * KiB),
      costed('hold:tables=1', 'full-page', 40, 4 * KiB),
      costed('hold:tables=2', 'full-page', 40, 8 * KiB),
      costed('churn:b', 'slab-dma32', 80, 64 * KiB),
      costed('churn:b', 'full-page', 10, 16 * KiB),
    ];
    const [slab, full] = tradeoffPoints(sweep) as [TradeoffPoint, TradeoffPoint];
    expect(slab.cells).toBe(2);
    expect(slab.kernel_ns_per_op).toBeCloseTo(40, 12);
    expect(full.kernel_ns_per_op).toBeCloseTo(20, 12);
    expect(slab.footprint_ratio).toBeCloseTo(Math.sqrt((16 / 6) * 4), 12);
    expect(full.footprint_ratio).toBeCloseTo(1, 12);
  });

  it('draws a labelled point per strategy', () => {
    const svg = tradeoff(records);
    expectChartFrame(svg, /^Trade-off: footprint against modelled kernel cost \(lower left is better\)/);
    const { inMark } = parse(svg);
    expect(inMark('dot', 'path, circle')).toBe(3);
    expect(inMark('text', 'text')).toBe(3);
    for (const s of ['slab-dma32', 'genalloc', 'full-page']) expect(svg).toContain(`>${s}<`);
  });

  it("is '' without a modelled cost", () => {
    expect(tradeoff(records.map((r) => ({ ...r, kernel_ns_per_op: null })))).toBe('');
    expect(tradeoff([])).toBe('');
  });
});

describe('strandedUnderChurn', () => {
  const records = [
    rec('churn:live=64', 'slab-dma32'),
    rec('churn:live=64', 'page-frag', { peak_stranded_bytes: 300 * KiB }),
    rec('churn:live=64', 'full-page'),
    rec('churn:live=2000', 'slab-dma32'),
    rec('churn:live=2000', 'page-frag', { peak_stranded_bytes: 6 * 1024 * KiB }),
    rec('churn:live=2000', 'full-page'),
    rec('hold:tables=1', 'page-frag', { peak_stranded_bytes: 1 }),
  ];

  it('draws a bar per strategy in a panel per churn workload', () => {
    const svg = strandedUnderChurn(records);
    expectChartFrame(svg, /^Stranded memory under churn/);
    const { inMark } = parse(svg);
    expect(inMark('bar', 'rect')).toBe(6);
    expect(svg).toContain('>churn:live=64<');
    expect(svg).toContain('>churn:live=2000<');
    expect(svg).toContain('>6 MiB<');
    expect(svg).toContain('>300 KiB<');
    expect(svg).not.toContain('hold:tables');
    expect(svg).toContain(`fill="${STRATEGY_COLORS['page-frag']}"`);
  });

  it("is '' without churn workloads", () => {
    expect(strandedUnderChurn(records.filter((r) => !r.workload.startsWith('churn')))).toBe('');
  });
});

describe('strategy colours', () => {
  it('are fixed for the built-in strategies and from the fallback palette for others, in order', () => {
    const p = strategyPalette(['mine', 'genalloc', 'other', 'mine']);
    expect(p.domain).toEqual(['mine', 'genalloc', 'other']);
    expect(p.range).toEqual([FALLBACK_PALETTE[0], STRATEGY_COLORS.genalloc, FALLBACK_PALETTE[1]]);
  });

  it('are the same for a strategy in every chart', () => {
    const records = [
      rec('churn:x', 'custom', { peak_stranded_bytes: KiB, kernel_ns_per_op: 10, peak_footprint_bytes: KiB }, [
        [1, KiB],
      ]),
      rec('hold:tables=1', 'custom', { allocs: 1, peak_live_tables: 1, peak_footprint_bytes: KiB }),
    ];
    const color = FALLBACK_PALETTE[0] as string;
    for (const svg of [
      footprintOverTime(records, 'churn:x', 4, 1),
      holdSweep(records),
      tradeoff(records),
      strandedUnderChurn(records),
    ]) {
      expect(svg).toContain(color);
    }
  });
});

describe('reportCharts', () => {
  it('lists footprint over time for each non-hold workload, then the sweep, trade-off and stranded charts, leaving out empty ones', () => {
    const records = [
      rec('hold:tables=1', 'a', { allocs: 1, peak_live_tables: 1, peak_footprint_bytes: KiB }, [[1, KiB]]),
      rec('hold:tables=2', 'a', { allocs: 2, peak_live_tables: 2, peak_footprint_bytes: KiB }, [[1, KiB]]),
      rec('churn:x', 'a', { peak_footprint_bytes: KiB }, [[1, KiB]]),
      rec('worst-case', 'a', { peak_footprint_bytes: KiB }, [[1, KiB]]),
    ];
    expect(reportCharts(records).map((c) => c.title)).toEqual([
      'Footprint over time: churn:x',
      'Footprint over time: worst-case',
      'Hold sweep: peak held against tables held',
      'Stranded memory under churn',
    ]);
  });
});

describe('escaping', () => {
  it('keeps names as text, never as markup', () => {
    const evil = '<script>alert("x")</script>&';
    const records = [
      rec(`churn:${evil}`, evil, { peak_stranded_bytes: KiB, kernel_ns_per_op: 1, peak_footprint_bytes: KiB }, [
        [1, KiB],
      ]),
    ];
    for (const svg of [
      footprintOverTime(records, `churn:${evil}`, 4, 1),
      tradeoff(records),
      strandedUnderChurn(records),
    ]) {
      expect(svg).not.toContain('<script');
      expect(svg).toContain('&lt;script&gt;');
    }
  });
});
