import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import type { FullRecord } from '../../core/record.ts';
import { holdSweep, tradeoffPoints } from '../../results/charts/index.ts';
import { renderHtml } from '../../results/html.ts';
import { renderMarkdown } from '../../results/markdown.ts';
import { analyse, costedRecords } from '../../results/report/analyse.ts';
import { formatNs, sig2 } from '../../results/report/cost.ts';
import { rankings } from '../../results/report/rankings.ts';
import { blankRecord, completeRun, measuredRecord } from '../records.ts';

/**
 * Each error a review of the default report found (issue 16), fixed, with the value it should have
 * worked out by hand.
 */

const answerOf = (md: string) => md.slice(md.indexOf('## The answer'), md.indexOf('## Since v5.1'));

describe("the answer says a variant's setting once", () => {
  it('the help text of coherent_pool=0 appears once in the answer, not three times', () => {
    // One table, on the (hypothetical) coherent platform where a dma_pool can serve: dma-pool takes
    // one 4 KiB page (256 B of metadata), slab-dma32 a 16 KiB slab (640 B): the variant is the answer,
    // and its setting must be said.
    const records = ['slab-dma32', 'dma-pool:coherent_pool=0'].map((s) =>
      measuredRecord(s, 'hold', { tables: '1' }, '5.1', 'coherent-v7s'),
    );
    const model = analyse(completeRun(records));
    expect(model.answers[0]?.recommendation.strategy).toBe('dma-pool:coherent_pool=0');
    const note = records[1]?.detail.strategy_note as string;
    expect(note).toMatch(/^coherent_pool=0: KiB of the arm64 atomic coherent pool/);
    expect(answerOf(renderMarkdown(model)).split(note).length - 1).toBe(1);
    const html = parseHTML(renderHtml(model, [])).document.querySelector('#answer')?.textContent ?? '';
    expect(html.split(note).length - 1).toBe(1);
  });
});

describe('the sawtooth ends with no table live', () => {
  it('says 0 of its peak 512 tables live at the end, not the last point of a max-downsampled series', () => {
    // sawtooth:peak=512,cycles=8 allocates 512 tables and frees them all, 8 times: 4096 and 4096.
    const spec = { peak: '512', cycles: '8', order: 'random', cpus: 'spread' };
    const records = (['5.1', '6.18'] as const).map((k) => measuredRecord('slab-dma32', 'sawtooth', spec, k));
    for (const r of records) expect([r.allocs, r.frees, r.peak_live_tables]).toEqual([4096, 4096, 512]);
    // The series' last point is the highest live count of its stretch of events: not 0.
    expect(records[0]?.detail.series.live_tables.at(-1)).toBeGreaterThan(0);
    const findings = analyse(completeRun(records)).since.kernels[0]?.findings ?? [];
    const line = findings.find((f) => f.startsWith('slab-dma32 after frees'));
    expect(line).toContain('(0 of its peak 512 tables still live');
  });
});

describe('the hold-sweep chart names the table dma-pool first fails at', () => {
  it('193, not 256, the next point measured: 64 pages of 256 KiB hold 3 tables each on v5.1', () => {
    const points = ['192', '256'].map((n) => measuredRecord('dma-pool', 'hold', { tables: n }));
    expect(points.map((r) => r.alloc_failures)).toEqual([0, 256 - 64 * 3]);
    const svg = holdSweep(points);
    expect(svg).toContain('dma-pool fails from table 193');
    expect(svg).not.toContain('256 tables');
  });
});

describe('one weighting of workloads, the same in the answer, the cost section, Since v5.1 and the chart', () => {
  it('full-page: the hold sweep (140 ns at every point) counts once beside a ramp (82.5 ns): √(140 × 82.5)', () => {
    // full-page pays zero_4k 100 + page_alloc_order0 40 per allocation and page_free_order0 25 per free:
    // holding N tables, 140 ns per event; ramp:peak=4, (4 × 140 + 4 × 25) / 8 = 82.5 ns. Counting the
    // sweep's two points as two workloads would give (140 × 140 × 82.5)^⅓ = 117 instead.
    const records = (['5.1', '6.18'] as const).flatMap((k) => [
      measuredRecord('full-page', 'hold', { tables: '1' }, k),
      measuredRecord('full-page', 'hold', { tables: '2' }, k),
      measuredRecord('full-page', 'ramp', { peak: '4' }, k),
    ]);
    const run = completeRun(records);
    const model = analyse(run);
    const want = Math.sqrt(140 * 82.5);
    for (const a of model.answers) expect(a.cost.strategies[0]?.ns_per_op).toBeCloseTo(want, 9);
    expect(model.since.kernels[0]?.rows[0]?.cost?.[0]).toBeCloseTo(want, 9);
    expect(model.since.kernels[0]?.rows[0]?.cost?.[1]).toBeCloseTo(want, 9);
    const chart = tradeoffPoints(costedRecords(run).filter((r) => r.kernel === '5.1'));
    expect(chart[0]?.kernel_ns_per_op).toBeCloseTo(want, 9);
    expect(chart[0]?.cells).toBe(2);
  });
});

describe('costs print with the precision their ranges support', () => {
  it('two significant digits and the range: never 0.1 ns on a unit with a 3–10× range', () => {
    expect(formatNs({ ns_per_op: 175.4, low: 61.2, high: 512.3 })).toBe('180 ns (61–510)');
    expect([sig2(1234), sig2(21.7), sig2(0.534)]).toEqual(['1,200', '22', '0.53']);
    const records = ['full-page', 'slab-dma32'].map((s) => measuredRecord(s, 'hold', { tables: '10' }));
    const md = renderMarkdown(analyse(completeRun(records)));
    const costs = md.slice(md.indexOf('## Modelled kernel cost'), md.indexOf('**Sensitivity'));
    // full-page 140 ns; slab-dma32 49 ns (the costs test works both out).
    expect(costs).toContain('| slab-dma32 | 49 ns (');
    expect(costs).toContain('| full-page | 140 ns (');
    expect(costs).not.toMatch(/\d\.\d+ ns/);
  });
});

describe('simulator throughput is kept out of the kernel tables', () => {
  it('is never ranked or bolded per workload, whatever it is', () => {
    const timed = (strategy: string, ops: number) =>
      blankRecord(
        { workload: 'churn:live=4', strategy, cpus: 4, seed: 1 },
        { allocs: 4, events: 8, peak_footprint_bytes: 4096, ops_per_sec: ops, ops_per_sec_rme: 150 },
      );
    const records: FullRecord[] = [timed('a', 1e6), timed('b', 9e6)];
    const [cell] = rankings(records);
    expect(cell?.metrics.map((m) => m.metric)).not.toContain('ops_per_sec');
    const md = renderMarkdown(analyse(completeRun(records)));
    const table = md.slice(md.indexOf('## Rankings per workload'), md.indexOf('## Workloads'));
    expect(table).not.toContain('events/s');
    // Reported apart, unranked.
    const speed = md.slice(md.indexOf('## Harness speed'), md.indexOf('## Threats'));
    expect(speed).toContain('| b | 9 M events/s');
    expect(speed).not.toContain('**');
  });
});

describe('a qualifying value is suggested only if the kernel could build it', () => {
  // On v5.1 without CMA the atomic pool is one alloc_pages(get_order(size)): 5464 KiB needs order 11,
  // past arm64's largest order 10 (MAX_ORDER 11), so no such pool exists. The records say so.
  const why = 'a 5464 KiB atomic pool is one order-11 block, past the largest order (10) and no CMA';
  const pool = (strategy: string, failures: number, unbuildable: boolean) =>
    blankRecord(
      { workload: 'hold:tables=4096', strategy, cpus: 4, seed: 1 },
      {
        allocs: 4096,
        alloc_failures: failures,
        detail: {
          strategy_params: { coherent_pool: strategy.includes('=0') ? 0 : -1 },
          requirements: { coherent_pool: 5464 },
          ...(unbuildable ? { requirements_unbuildable: { coherent_pool: why } } : {}),
          work: {},
          series: { event: [], footprint_bytes: [], live_tables: [] },
          samples: [],
          workload_info: {},
        } as FullRecord['detail'],
      },
    );

  it('does not print "coherent_pool=5464 or more" when the records say no such pool can be built', () => {
    const records = [pool('dma-pool', 3904, true), pool('dma-pool:coherent_pool=0', 0, true)];
    const gate = analyse(completeRun(records)).answers[0]?.constraints.find((c) => c.strategy === 'dma-pool');
    expect(gate?.qualify).toEqual([
      `no coherent_pool the kernel can build would serve every allocation of this run (it has coherent_pool=-1, the kernel's default): ${why}`,
    ]);
    expect(renderMarkdown(analyse(completeRun(records)))).not.toContain('5464 or more');
  });

  it('suggests it where it can be built', () => {
    const records = [pool('dma-pool', 3904, false), pool('dma-pool:coherent_pool=0', 0, false)];
    const gate = analyse(completeRun(records)).answers[0]?.constraints.find((c) => c.strategy === 'dma-pool');
    expect(gate?.qualify[0]).toMatch(
      /^dma-pool would have served every allocation of this run with coherent_pool=5464/,
    );
  });
});
