import { describe, expect, it } from 'vitest';
import { type Cell, measureCell } from '../../harness/cell.ts';
import { renderMarkdown } from '../../results/markdown.ts';
import type { FullRecord } from '../../results/record.ts';
import { analyse } from '../../results/report/analyse.ts';
import { claims } from '../../results/report/claims.ts';
import { constraints } from '../../results/report/constraints.ts';
import { crossovers } from '../../results/report/crossovers.ts';
import type { RunResult } from '../../results/run.ts';
import { findStrategy } from '../../strategies/index.ts';
import { DEFAULT_MACHINE } from '../../strategies/machine/machine.ts';
import { parseParams } from '../../strategies/params.ts';
import { workload } from '../workload-helpers.ts';

function record(strategy: string, name: string, raw: Record<string, string>): FullRecord {
  const s = findStrategy(strategy);
  if (!s) throw new Error(strategy);
  const cell: Cell = {
    strategy: s,
    strategyParams: parseParams(strategy, s.params, {}),
    strategyLabel: strategy,
    workload: workload(name, raw),
    machine: { ...DEFAULT_MACHINE, cpus: 4 },
    seed: 1,
    check: false,
    timed: false,
  };
  return measureCell(cell);
}

const COUNTS = [
  ...Array.from({ length: 20 }, (_, i) => i + 1),
  ...Array.from({ length: 11 }, (_, i) => 1020 + i),
  4096,
];
const V51 = ['slab-dma32', 'genalloc', 'page-frag', 'full-page'];
const holdSweep = V51.flatMap((s) => COUNTS.map((n) => record(s, 'hold', { tables: String(n) })));

function run(records: FullRecord[]): RunResult {
  return {
    schema: 'l2bench-run/2',
    provenance: {
      l2bench_version: '0.0.0',
      git_commit: null,
      node_version: 'v20',
      v8_version: 'x',
      cpu_model: 'test',
      platform: 'test',
      started_at: '2026-01-01T00:00:00.000Z',
      command_line: ['run', '--workload', 'hold:tables=1..20'],
      machine: {},
      suite: '',
      throughput_time_ms: null,
    },
    records,
    interrupted: false,
    complete: true,
    cells: records.length,
    missing: [],
  };
}

describe('crossovers along the hold sweep (4 CPUs: 16 tables per slab)', () => {
  it('finds where each pair changes order, from the footprints in closed form', () => {
    // full-page 4N KiB; slab 16⌈N/16⌉ KiB; page-frag 32⌈N/32⌉ KiB; genalloc 4096 KiB.
    // full-page vs slab: 12 < 16 at N = 3, tie at 4, 20 > 16 at 5.
    // full-page vs page-frag: 28 < 32 at 7, tie at 8, 36 > 32 at 9.
    // full-page vs genalloc: 4092 < 4096 at 1023, tie at 1024, 4100 > 4096 at 1025.
    // slab and page-frag never beat each other the other way; genalloc never beats slab or page-frag.
    const found = crossovers(holdSweep).map((c) => [c.below, c.above, c.from, c.to]);
    expect(found.sort()).toEqual(
      [
        ['full-page', 'genalloc', 1023, 1025],
        ['full-page', 'page-frag', 7, 9],
        ['full-page', 'slab-dma32', 3, 5],
      ].sort(),
    );
  });
});

describe('claims of the v5.1 decision, on runs with known answers', () => {
  const adversary = V51.map((s) => record(s, 'frag-adversary', { tables: '4096', keep: '32' }));
  const all = claims([...holdSweep, ...adversary]);
  const verdict = (start: string) => all.find((c) => c.claim.startsWith(start))?.verdict;

  it('genalloc: exactly 4 MiB in every cell → confirmed', () => {
    expect(verdict('genalloc')).toBe('confirmed');
  });

  it('full page per table: waste (4 − 1) / 4 = 75 % in every cell → confirmed', () => {
    expect(verdict('One 4 KiB page')).toBe('confirmed');
  });

  it('page_frag on frag-adversary: reuse 0 and 3968 KiB stranded → confirmed', () => {
    const c = claims(adversary).find((x) => x.claim.startsWith('page_frag')) as { verdict: string; evidence: string };
    expect(c.verdict).toBe('confirmed');
    expect(c.evidence).toContain('3.88 MiB of freed fragments stranded');
  });

  it('slab most memory-efficient: judged on mean footprint, full-page wins at 1–6 tables, so only partly', () => {
    // Mean over the N events of hold:N, in KiB: full-page 4(N+1)/2; slab (16/N)Σ⌈i/16⌉;
    // page-frag (32/N)Σ⌈i/32⌉; genalloc 4096. A tie counts as a win for slab.
    const mean = (n: number, per: number) => {
      let s = 0;
      for (let i = 1; i <= n; i++) s += per * Math.ceil(i / per);
      return s / n;
    };
    const wins = COUNTS.filter((n) => mean(n, 16) <= Math.min(2 * (n + 1), mean(n, 32), 4096)).length;
    expect(wins).toBe(COUNTS.length - 6);
    const c = claims(holdSweep).find((x) => x.claim.startsWith('A DMA32 slab')) as {
      verdict: string;
      evidence: string;
    };
    expect(c.evidence).toMatch(new RegExp(`in ${wins} of ${COUNTS.length} workloads`));
    expect(c.verdict).toBe('partly');
  });

  it('the field report is not tested without an iommu workload', () => {
    expect(claims(holdSweep).at(-1)?.verdict).toBe('not tested');
  });
});

describe('the report', () => {
  it('puts the hard constraints first: slab-normal is disqualified, whatever its footprint', () => {
    const records = ['slab-normal', 'slab-dma32', 'full-page'].map((s) => record(s, 'hold', { tables: '100' }));
    const gate = constraints(records);
    expect(gate.find((g) => g.strategy === 'slab-normal')?.qualifies).toBe(false);
    const model = analyse(run(records));
    // slab-normal and slab-dma32 have the same footprint; only slab-dma32 may be recommended.
    expect(model.recommendation.strategy).toBe('slab-dma32');
    expect(model.recommendation.flips.join(' ')).toContain('slab-normal is excluded');
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
