import { describe, expect, it } from 'vitest';
import { renderTables } from '../../cli/table.ts';
import type { FullRecord } from '../../core/record.ts';
import { renderMarkdown } from '../../results/markdown.ts';
import { analyse } from '../../results/report/analyse.ts';
import { constraints } from '../../results/report/constraints.ts';
import { crossovers } from '../../results/report/crossovers.ts';
import type { Claim } from '../../results/report/model.ts';
import { OBJECTIVES } from '../../results/report/objective.ts';
import { rankings } from '../../results/report/rankings.ts';
import { claims } from '../../results/report/v51-claims.ts';
import type { RunResult } from '../../results/run-schema.ts';
import { blankRecord, completeRun, measuredRecord, withTotals } from '../records.ts';

const record = measuredRecord;

const COUNTS = [
  ...Array.from({ length: 20 }, (_, i) => i + 1),
  ...Array.from({ length: 11 }, (_, i) => 1020 + i),
  4096,
];
const V51 = ['slab-dma32', 'genalloc', 'page-frag', 'full-page'];
const holdSweep = V51.flatMap((s) => COUNTS.map((n) => record(s, 'hold', { tables: String(n) })));

function run(records: FullRecord[]): RunResult {
  return completeRun(records, { command_line: ['run', '--workload', 'hold:tables=1..20'] });
}

/** Each strategy's metadata on v5.1, as it reports it: a kmem_cache, a gen_pool with its bitmap, a page_frag_cache. */
const META: Record<string, number> = { 'slab-dma32': 640, genalloc: 4224, 'page-frag': 24, 'full-page': 0 };

describe('crossovers along the hold sweep (4 CPUs: 16 tables per slab)', () => {
  it('finds where each pair changes order, from what each holds in closed form', () => {
    for (const r of holdSweep) expect(r.metadata_bytes, r.strategy).toBe(META[r.strategy]);
    // Pages and metadata, in bytes: full-page 4096N; slab 16384⌈N/16⌉ + 640; page-frag 32768⌈N/32⌉ + 24;
    // genalloc 4 MiB + 4224.
    // full-page vs slab: 16384 < 17024 at N = 4, 20480 > 17024 at 5.
    // full-page vs page-frag: 32768 < 32792 at 8, 36864 > 32792 at 9.
    // full-page vs genalloc: 4198400 < 4198528 at 1025, 4202496 > 4198528 at 1026.
    // slab vs page-frag, at the counts measured: slab 17024 < 32792 at 16; page-frag 32792 < 33408 at
    // 17–20 and 1048600 < 1049216 at 1020–1024; slab 1065600 < 1081368 at 1025–1030; page-frag
    // 4194328 < 4194944 at 4096: three changes between 16 and 4096.
    // genalloc never beats slab or page-frag.
    const found = crossovers(holdSweep, new Set(V51), OBJECTIVES.peak).map((c) => [
      c.below,
      c.above,
      c.from,
      c.to,
      c.changes,
    ]);
    expect(found.sort()).toEqual(
      [
        ['full-page', 'genalloc', 1025, 1026, 1],
        ['full-page', 'page-frag', 8, 9, 1],
        ['full-page', 'slab-dma32', 4, 5, 1],
        ['slab-dma32', 'page-frag', 16, 4096, 3],
      ].sort(),
    );
  });
});

describe('claims of the v5.1 decision, on runs with known answers', () => {
  const adversary = V51.map((s) => record(s, 'frag-adversary', { tables: '4096', keep: '32' }));
  const all = claims([...holdSweep, ...adversary], OBJECTIVES.peak);
  const verdict = (start: string) => all.find((c) => c.claim.startsWith(start))?.verdict;

  it('genalloc: exactly 4 MiB in every cell → confirmed', () => {
    expect(verdict('genalloc')).toBe('confirmed');
  });

  it('full page per table: waste (4 − 1) / 4 = 75 % in every cell → confirmed', () => {
    expect(verdict('One 4 KiB page')).toBe('confirmed');
  });

  it('page_frag on frag-adversary: reuse 0 and 3968 KiB stranded → confirmed', () => {
    const c = claims(adversary, OBJECTIVES.peak).find((x) => x.claim.startsWith('page_frag')) as {
      verdict: string;
      evidence: string;
    };
    expect(c.verdict).toBe('confirmed');
    expect(c.evidence).toContain('3.88 MiB of freed fragments stranded');
  });

  it('slab most memory-efficient by mean held: least under every aggregation, though full-page holds less at 1–7 tables', () => {
    // Mean over the N events of hold:N, in bytes, plus the metadata: full-page 2048(N + 1);
    // slab (16384/N)Σ⌈i/16⌉ + 640; page-frag (32768/N)Σ⌈i/32⌉ + 24; genalloc 4 MiB + 4224.
    const mean = (n: number, per: number) => {
      let s = 0;
      for (let i = 1; i <= n; i++) s += 1024 * per * Math.ceil(i / per);
      return s / n;
    };
    const heldBy: Record<string, (n: number) => number> = {
      'slab-dma32': (n) => mean(n, 16) + 640,
      'page-frag': (n) => mean(n, 32) + 24,
      'full-page': (n) => 2048 * (n + 1),
      genalloc: () => 4 * 1024 * 1024 + 4224,
    };
    // The sweep is one workload: slab's mean over its points is the least (so also the least ratio and
    // the one workload won), and its largest cell, 4096 tables, 2,105,984 B, is below page-frag's 2,113,560.
    const sweepMean = (s: string) => COUNTS.reduce((t, n) => t + (heldBy[s] as (n: number) => number)(n), 0);
    expect(V51.filter((s) => s !== 'slab-dma32').every((s) => sweepMean(s) > sweepMean('slab-dma32'))).toBe(true);
    expect(heldBy['slab-dma32']?.(4096)).toBe(2105984);
    expect(heldBy['page-frag']?.(4096)).toBe(2113560);
    // full-page holds less while 2048(N + 1) < 16384 + 640: at 1–7 tables (at 7, 16384; at 8, 18432).
    const c = claims(holdSweep, OBJECTIVES.mean).find((x) => x.claim.startsWith('A DMA32 slab')) as Claim;
    expect(c.evidence).toMatch(
      /over 1 workload \(the hold sweep counted once\), slab-dma32's mean held is the least under every aggregation\./,
    );
    expect(c.evidence).toContain(`Cell by cell another holds less in 7 of ${COUNTS.length} cells`);
    expect(c.verdict).toBe('confirmed');
  });

  it('slab most memory-efficient by peak held: page-frag holds 616 B less at 4,096 tables, the worst case, so only partly', () => {
    // Peak held, as in the crossovers above: slab 16384⌈N/16⌉ + 640, page-frag 32768⌈N/32⌉ + 24.
    // Summed over the sweep's points: slab 16,240,640 B, page-frag 16,581,376 B, full-page 4096 × 15,581
    // = 63,819,776 B: slab is the least by the sum, ratio and workloads won. The most held in one cell
    // is at 4096 tables: slab 4,194,944 B, page-frag 4,194,328 B, 616 B less. Cell by cell, full-page
    // holds less at 1–4 tables and page-frag at 17–20, 1020–1024 and 4096: 14 cells.
    const c = claims(holdSweep, OBJECTIVES.peak).find((x) => x.claim.startsWith('A DMA32 slab')) as Claim;
    expect(c.evidence).toContain(
      'is the least by the geometric mean of ratios and the sum of bytes and the workloads won; not by the worst case (page-frag 4 MiB against 4 MiB, 616 B less)',
    );
    expect(c.evidence).toContain(`another holds less in 14 of ${COUNTS.length} cells`);
    expect(c.verdict).toBe('partly');
  });

  it('slab most memory-efficient: a candidate that ran out of tables is no rival', () => {
    // At 16,384 tables genalloc's 4 MiB pool serves 4,096 and fails 12,288: it holds 4 MiB + 4,224 B
    // against slab-dma32's 16 MiB + 640 B, less only because it failed. Among those that may be the
    // answer (slab-dma32 and full-page, 64 MiB) slab-dma32 is the least under every aggregation.
    const at = (strategy: string, pages: number, metadata: number, failures = 0) =>
      blankRecord(
        { workload: 'hold:tables=16384', strategy, cpus: 4, seed: 1 },
        withTotals({
          allocs: 16384,
          alloc_failures: failures,
          peak_live_tables: 16384 - failures,
          peak_footprint_bytes: pages,
          metadata_bytes: metadata,
        }),
      );
    const records = [
      at('slab-dma32', 16 * 2 ** 20, 640),
      at('genalloc', 4 * 2 ** 20, 4224, 12288),
      at('full-page', 64 * 2 ** 20, 0),
    ];
    const slab = (may?: Set<string>) => claims(records, OBJECTIVES.peak, may)[0] as Claim;
    expect(slab().verdict).toBe('refuted');
    const mine = slab(new Set(['slab-dma32', 'full-page']));
    expect(mine.evidence).toMatch(/^Against full-page \(the v5\.1 candidates that may be the answer here\)/);
    expect(mine.verdict).toBe('confirmed');
  });

  it('the field report is not tested without an iommu workload', () => {
    expect(claims(holdSweep, OBJECTIVES.peak).at(-1)?.verdict).toBe('not tested');
  });
});

describe('the report', () => {
  it('puts the hard constraints first: slab-normal is disqualified, whatever its footprint', () => {
    const records = ['slab-normal', 'slab-dma32', 'full-page'].map((s) => record(s, 'hold', { tables: '100' }));
    const gate = constraints(records);
    expect(gate.find((g) => g.strategy === 'slab-normal')?.qualifies).toBe(false);
    // One cell, not one workload: the answer counts workloads with the hold sweep as one.
    expect(gate.find((g) => g.strategy === 'slab-normal')?.verdict).toMatch(/ at or above 4 GiB in 1 cell: /);
    const model = analyse(run(records));
    // slab-normal and slab-dma32 have the same footprint; only slab-dma32 may be recommended.
    expect(model.answers[0]?.recommendation.strategy).toBe('slab-dma32');
    expect(model.answers[0]?.recommendation.unavailable.map((u) => [u.strategy, u.kind])).toEqual([
      ['slab-normal', 'excluded'],
    ]);
  });

  it('renders Markdown with the answer before the rankings, and the command that reproduces it', () => {
    const md = renderMarkdown(
      analyse(run([...holdSweep.slice(0, 40), record('page-frag', 'churn', { live: '50', ops: '500' })])),
    );
    const order = [
      '## The answer',
      '## Hard constraints',
      '## Claims',
      '## Crossovers',
      '## Rankings per workload',
      '## Threats',
      '## Reproduce',
    ];
    const at = order.map((h) => md.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(md).toContain('npx l2bench run --workload hold:tables=1..20');
  });
});

describe('a report that never misleads', () => {
  // dma-pool on v5.1 serves 3 tables per page from a 256 KiB pool: 64 pages, 192 tables; churn
  // around 300 live tables makes it fail while it holds less memory than anything else.
  const churn = ['slab-dma32', 'full-page', 'dma-pool'].map((s) => record(s, 'churn', { live: '300', ops: '3000' }));

  it('never ranks a strategy first in a cell where it failed allocations or cannot serve, and says why', () => {
    const pool = churn.find((r) => r.strategy === 'dma-pool') as FullRecord;
    expect(pool.alloc_failures).toBeGreaterThan(0);
    expect(pool.peak_footprint_bytes).toBe(64 * 4096);
    // On MT8173 (not coherent) a dma_pool's memory is remapped: not applicable, before it even fails.
    expect(pool.applicable).toBe(false);
    const [cell] = rankings(churn);
    expect(cell?.strategies.find((s) => s.strategy === 'dma-pool')?.excluded).toBe(
      `not applicable: ${pool.detail.applicability}`,
    );
    expect(rankings([{ ...pool, applicable: true }])[0]?.strategies[0]?.excluded).toBe(
      `${pool.alloc_failures.toLocaleString('en-US')} of ${pool.allocs.toLocaleString('en-US')} allocations failed`,
    );
    for (const m of cell?.metrics ?? []) {
      expect(m.rows.find((r) => r.strategy === 'dma-pool')?.rank).toBeNull();
      expect(m.rows.find((r) => r.rank === 1)?.strategy).not.toBe('dma-pool');
    }
    const peak = cell?.metrics.find((m) => m.metric === 'peak_footprint_bytes');
    expect(peak?.rows.find((r) => r.rank === 1)?.strategy).toBe('slab-dma32');
    // The terminal table marks no best value on its row, and names it not applicable.
    const text = renderTables(churn, false);
    const row = text.split('\n').find((l) => l.includes('dma-pool')) as string;
    expect(row).toContain('dma-pool (not applicable)');
    expect(row).not.toContain('*');
  });

  it('says what would qualify an excluded strategy: the pool a variant that never failed needed', () => {
    // hold:tables=200 with 3 blocks a page needs ⌈200 / 3⌉ = 67 pages = 268 KiB of coherent pool.
    const hold = ['dma-pool', 'dma-pool:coherent_pool=0'].map((s) => record(s, 'hold', { tables: '200' }));
    const [limited, coherent] = hold as [FullRecord, FullRecord];
    expect(limited.alloc_failures).toBe(200 - 192);
    expect(coherent.alloc_failures).toBe(0);
    const gate = constraints(hold);
    expect(gate[0]?.qualify).toEqual([
      "dma-pool would have served every allocation of this run with coherent_pool=268 or more (it has coherent_pool=-1, the kernel's default), as dma-pool:coherent_pool=0, which never failed, shows",
    ]);
    // Without the variant, only a lower bound: 64 pages taken and one refused, 65 × 4 KiB.
    expect(constraints([limited])[0]?.qualify).toEqual([
      "dma-pool would need coherent_pool=260 at least to serve every allocation of this run (it has coherent_pool=-1, the kernel's default)",
    ]);
    // On MT8173 neither may be the answer: a dma_pool's memory is remapped there.
    const model = analyse(run(hold));
    expect(model.answers[0]?.recommendation.strategy).toBeNull();
    expect(model.answers[0]?.recommendation.unavailable.map((u) => [u.strategy, u.kind])).toEqual([
      ['dma-pool', 'not applicable'],
      ['dma-pool:coherent_pool=0', 'not applicable'],
    ]);
  });

  it('states its basis: peak held by default, mean when asked, in the answer, the claims and the crossovers', () => {
    const records = [...holdSweep, ...churn];
    const peak = analyse(run(records));
    expect(peak.objective.label).toBe('peak held');
    expect(peak.answers[0]?.recommendation.headline).toContain('peak held:');
    expect(peak.answers[0]?.claims[0]?.evidence).toMatch(/slab-dma32's peak held is the least (by|under) /);
    expect(peak.answers[0]?.crossovers.every((c) => c.sentence.includes('peak held'))).toBe(true);
    expect(renderMarkdown(peak)).toContain('**Basis:** peak held, the pages and metadata');
    const mean = analyse(run(records), { objective: 'mean' });
    expect(mean.answers[0]?.recommendation.headline).toContain('mean held:');
    expect(mean.answers[0]?.claims[0]?.evidence).toMatch(/slab-dma32's mean held is the least (by|under) /);
    expect(mean.answers[0]?.crossovers.every((c) => c.sentence.includes('mean held'))).toBe(true);
    expect(renderMarkdown(mean)).toContain('**Basis:** mean held, the pages and metadata');
  });

  it('gives crossovers only between qualifying strategies, and an alternating order as one statement', () => {
    // a and b, by peak footprint at 1..5 tables: 10/12, 20/18, 30/33, 40/38, 50/60 → a, b, a, b, a:
    // four changes between 1 and 5 tables. c fails, so it has no crossover at all.
    const hold = (strategy: string, n: number, peak: number, failures = 0) =>
      blankRecord(
        { workload: `hold:tables=${n}`, strategy, cpus: 4, seed: 1 },
        withTotals({ allocs: n, peak_live_tables: n, peak_footprint_bytes: peak, alloc_failures: failures }),
      );
    const a = [10, 20, 30, 40, 50].map((p, i) => hold('a', i + 1, p));
    const b = [12, 18, 33, 38, 60].map((p, i) => hold('b', i + 1, p));
    const c = [1, 1, 1, 1, 1].map((p, i) => hold('c', i + 1, p, i));
    const found = analyse(run([...a, ...b, ...c])).answers[0]?.crossovers ?? [];
    expect(found.map((x) => [x.below, x.above, x.from, x.to, x.changes])).toEqual([['a', 'a', 1, 5, 4]]);
    expect(found[0]?.sentence).toBe(
      'Between 1 and 5 tables the order of a and b in peak held alternates (4 changes, 4 CPUs); up to 1, a has the smaller, and from 5 tables on, a.',
    );
  });

  it('collapses a sweep into one row of the workloads table', () => {
    const notes = analyse(run([...holdSweep, ...churn])).workloads;
    expect(notes.map((n) => n.workload)).toEqual([
      `hold:tables=1..4096 (${COUNTS.length} values)`,
      'churn:live=300,ops=3000',
    ]);
  });
});
