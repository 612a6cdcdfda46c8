import { describe, expect, it } from 'vitest';
import { CELL_KEY_COLUMNS } from '../../core/cell-key.ts';
import { METRICS } from '../../core/metrics.ts';
import type { FullRecord } from '../../core/record.ts';
import { holdSweepChart } from '../../results/charts/hold-sweep.ts';
import { holdSweep, reportCharts } from '../../results/charts/index.ts';
import { kernelNsPerOp, loadCosts } from '../../results/costs.ts';
import { analyse, costedRecords } from '../../results/report/analyse.ts';
import { sweepRecord } from '../large-run.ts';
import { blankRecord, completeRun, seriesDetail } from '../records.ts';

const STRATEGIES = ['slab-dma32', 'genalloc', 'page-frag', 'full-page'] as const;
const PAGE = 4096;

/**
 * A hold sweep of `counts` table counts, the four v5.1 candidates each with a footprint of its own
 * closed form in the tables t held (test/large-run.ts): slab-dma32 4·⌈t/16⌉ pages, genalloc a 4 MiB
 * pool (1,024 pages), page-frag ⌈t/4⌉, full-page t. The cells differ only in the parameter t.
 */
const sweep = (counts: number): FullRecord[] => Array.from({ length: 4 * counts }, (_, i) => sweepRecord(i));

describe('the report of a sweep of 3,000 table counts (12,000 cells differing only in the tables held)', () => {
  const records = sweep(3000);
  const run = completeRun(records);

  it('finds the crossovers of the closed forms: full-page against slab-dma32 at 4 tables, against genalloc at 1,024', () => {
    // full-page holds t pages; slab-dma32 4 (t ≤ 16): equal at 4, smaller from 5 on, and never again
    // larger. genalloc's 1,024 pages equal full-page's at 1,024. slab-dma32 and page-frag reach 1,024
    // pages only past 4,080 tables, beyond this sweep; page-frag is never larger than slab-dma32.
    const sentences = analyse(run).answers.flatMap((a) => a.crossovers.map((c) => c.sentence));
    expect(sentences).toEqual([
      'slab-dma32 has the smaller peak held from 5 tables on (equal at 4) (4 CPUs); up to 3, full-page has.',
      'genalloc has the smaller peak held from 1,025 tables on (equal at 1024) (4 CPUs); up to 1023, full-page has.',
    ]);
  });

  it('draws one table count in every 3 of the 3,000, and the last, and says so under the chart', () => {
    // Counts 1, 4, 7, …, 2998 (indexes 0, 3, …, 2997: 1,000 of them) and the last, 3000.
    const chart = reportCharts(costedRecords(run)).find((c) => c.title.startsWith('Hold sweep'));
    expect(chart?.caption).toContain(
      ' The sweep measured 3,000 table counts; 1,001 of them are drawn (one in every 3 in order, and the last), with every first failure; the crossovers read them all.',
    );
    expect(chart?.svg).toBe(holdSweep(records));
    expect(holdSweep(records)).not.toBe(holdSweep(records, Number.POSITIVE_INFINITY));
    // The drawn sweep is the sweep of the counts drawn, its axes from every count.
    const drawn = new Set([...Array.from({ length: 1000 }, (_, i) => 1 + 3 * i), 3000]);
    const kept = records.filter((r) => drawn.has(r.allocs));
    expect(kept).toHaveLength(4 * 1001);
    const svgOfCounts = holdSweep(kept, Number.POSITIVE_INFINITY);
    expect(holdSweep(records)).toBe(svgOfCounts);
  });

  it('draws every count, with no word of it, when there are at most 1,000', () => {
    const small = sweep(1000);
    expect(holdSweepChart(small)).toEqual({ svg: holdSweep(small, Number.POSITIVE_INFINITY), note: '' });
  });
});

/** Records whose fields vary every way a column holds them: nulls, booleans, text, counters in differing order. */
function varied(): FullRecord[] {
  const out: FullRecord[] = [];
  for (let i = 0; i < 3000; i++) {
    const strategy = STRATEGIES[i % 4] as string;
    const t = Math.floor(i / 4) + 1;
    // A figure the same in the first 2,000 cells, then not: the column takes an array past its first 1,024.
    const late = i < 2000 ? 7 : i;
    const work: Record<string, number> =
      i % 3 === 0 ? { pool_exhausted: i % 5, page_allocs_order0: t } : { page_allocs_order0: t, slab_allocs: 2 * t };
    const workload = i < 8 ? 'churn:live=8' : `hold:tables=${t}`;
    const detail = {
      ...seriesDetail([
        [1, PAGE],
        [t, t * PAGE],
      ]),
      work,
      ...(i % 7 === 0 ? { requirements: { pool_kib: 4 * t } } : {}),
      ...(i % 11 === 0 ? { applicability: 'never' } : {}),
      workload_info: { trace: `t${t}` },
      samples: [0.5, 0.25],
      cell: i,
    };
    out.push(
      blankRecord(
        { workload, strategy, cpus: 1 + (i % 2), seed: i % 3 },
        {
          allocs: t,
          frees: late,
          peak_footprint_bytes: t * PAGE,
          metadata_bytes: i % 2 ? 0 : 64,
          frag_mean: i / 3000,
          ops_per_sec: i % 5 ? null : 1e6 + i,
          strategy_work_per_event: i % 2 ? '' : `allocs=${t % 3}`,
          ...(i % 11 === 0 ? { applicable: false } : i % 2 ? { applicable: true } : {}),
          detail,
        },
      ),
    );
  }
  return out;
}

describe('the report reads from its columns what each record holds', () => {
  const records = varied();
  const { table } = loadCosts();
  const views = costedRecords(completeRun(records), { costs: table });

  it('every key column and metric, null where the record has null, the modelled cost from the table', () => {
    const wrong: string[] = [];
    records.forEach((r, i) => {
      const v = views[i] as FullRecord;
      const fields = v as unknown as Record<string, unknown>;
      const want = r as unknown as Record<string, unknown>;
      for (const k of [...CELL_KEY_COLUMNS, ...METRICS.map((m) => m.key), 'applicable'] as const) {
        const expected = k === 'kernel_ns_per_op' ? kernelNsPerOp(r, table) : want[k];
        if (!Object.is(fields[k], expected)) wrong.push(`${i} ${k}: ${fields[k]} ≠ ${expected}`);
      }
    });
    expect(wrong).toEqual([]);
    expect(views).toHaveLength(records.length);
  });

  it('of the detail, all the report reads: counters in their order, the series where charted, provenance once', () => {
    records.forEach((r, i) => {
      const d = (views[i] as FullRecord).detail;
      const { series, samples: _s, cell: _c, workload_info: info, ...rest } = r.detail;
      expect(Object.entries(d.work)).toEqual(Object.entries(r.detail.work));
      for (const [k, v] of Object.entries(rest)) expect(d[k as keyof typeof d]).toEqual(v);
      expect([d.cell, d.samples, d.rounds]).toEqual([undefined, [], undefined]);
      // The churn chart draws its first cpus and seed (cpus 1, seed 0: cells 0 and 6): those series whole; others their last point.
      expect(d.series).toEqual(
        i === 0 || i === 6
          ? series
          : { event: [series.event[1]], footprint_bytes: [series.footprint_bytes[1]], live_tables: [0] },
      );
      // Cells 0 and 1 are the churn workload's; from 8 on, four cells a hold workload: the first of each keeps it.
      const first = i === 0 || (i >= 8 && i % 4 === 0);
      expect(d.workload_info).toEqual(first ? info : {});
    });
  });
});
