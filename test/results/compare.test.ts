import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareCommand } from '../../cli/commands/compare.ts';
import { EXACT_NUMERIC_KEYS as EXACT_METRICS } from '../../core/metrics.ts';
import type { FullRecord } from '../../core/record.ts';
import { CSV_COLUMNS, TIMING_COLUMNS } from '../../core/record.ts';
import { formatComparison } from '../../results/compare/comparison-text.ts';
import {
  compareRuns,
  describeKey,
  type ExactRow,
  hiddenBecause,
  regressions,
  type ThroughputRow,
} from '../../results/compare/diff.ts';
import { ResultsError } from '../../results/errors.ts';
import { readRun } from '../../results/read-run.ts';
import type { RunResult } from '../../results/run-schema.ts';
import { seeded } from '../../workloads/random.ts';
import { blankRecord } from '../records.ts';
import { tempDir } from '../tmp.ts';

/** Replay times in ms around 1 ms with a small spread (events = 1000: about 1 M ops/s). */
const STEADY = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0, 1.0];

/**
 * A hand-made record: a 64-table hold-like cell; `samples` are the replay times in ms, and `rounds`
 * the fastest of each round (none: a run of one process, as l2bench-run/1 wrote them).
 */
function record(over: Partial<FullRecord> = {}, samples: number[] = STEADY, rounds?: number[]): FullRecord {
  return blankRecord(
    { workload: 'hold:tables=64', strategy: 'slab-dma32', cpus: 4, seed: 1 },
    {
      events: 1000,
      allocs: 500,
      frees: 500,
      peak_live_tables: 64,
      peak_footprint_bytes: 65536,
      mean_footprint_bytes: 60000.5,
      final_footprint_bytes: 65536,
      metadata_bytes: 640,
      frag_mean: 0.01,
      frag_at_peak_footprint: 0.3,
      reuse_rate: 0.5,
      page_alloc_calls: 4,
      strategy_work_per_event: 'new_slabs=0.004',
      ops_per_sec: 1e6,
      ops_per_sec_rme: 1,
      replay_median_ms: 1,
      replay_mad_ms: 0.01,
      replay_p99_ms: 1.02,
      replay_samples: samples.length,
      ...over,
      detail: {
        work: {},
        series: { event: [], footprint_bytes: [], live_tables: [] },
        samples,
        ...(rounds ? { rounds } : {}),
        workload_info: {},
      },
    },
  );
}

function run(records: FullRecord[], version = '0.1.0'): RunResult {
  return {
    schema: 'l2bench-run/2',
    provenance: {
      l2bench_version: version,
      git_commit: '0123456789abcdef',
      node_version: 'v20.20.2',
      v8_version: '11.3',
      cpu_model: 'test cpu',
      platform: 'linux-x64',
      started_at: '2026-01-01T00:00:00.000Z',
      command_line: [],
      machine: { dramBase: 2 ** 30, dramBytes: 2 ** 32, fragmentDma32: 0 },
      suite: '',
      throughput_time_ms: 100,
    },
    records,
    interrupted: false,
    complete: true,
    cells: records.length,
    missing: [],
  };
}

const exact = (rows: ReturnType<typeof compareRuns>['rows'], metric: string) =>
  rows.find((r): r is ExactRow => r.kind === 'exact' && r.metric === metric) as ExactRow;
const throughput = (rows: ReturnType<typeof compareRuns>['rows']) =>
  rows.find((r): r is ThroughputRow => r.kind === 'throughput') as ThroughputRow;

const tmp = () => tempDir('l2bench-compare-');

/** Write two runs to files and compare them through the command. */
function command(base: RunResult, next: RunResult, flags: Parameters<typeof compareCommand>[2] = {}) {
  const dir = tmp();
  writeFileSync(join(dir, 'base.json'), JSON.stringify(base));
  writeFileSync(join(dir, 'new.json'), JSON.stringify(next));
  return compareCommand(join(dir, 'base.json'), join(dir, 'new.json'), flags);
}

/** n normal values (Box–Muller) from a fixed seed. */
function normal(rng: ReturnType<typeof seeded>, n: number, mean: number, sd: number): number[] {
  return Array.from({ length: n }, () => {
    const u = 1 - rng.float();
    const v = rng.float();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

describe('compare: matching', () => {
  it('classifies every numeric CSV column but the key and timing columns', () => {
    expect(EXACT_METRICS).toContain('peak_footprint_bytes');
    expect(EXACT_METRICS).toContain('reuse_rate');
    for (const c of [
      'workload',
      'cpus',
      'kernel',
      'seed',
      'ops_per_sec',
      'replay_samples',
      'strategy_work_per_event',
    ]) {
      expect(EXACT_METRICS).not.toContain(c);
    }
    // Exactly the CSV columns that hold numbers in a record, less the key and the timing columns.
    const numeric = CSV_COLUMNS.filter(
      (c) =>
        !['workload', 'strategy', 'cpus', 'kernel', 'seed'].includes(c) &&
        !(TIMING_COLUMNS as readonly string[]).includes(c) &&
        typeof record()[c] === 'number',
    );
    expect([...EXACT_METRICS]).toEqual(numeric);
  });

  it('matches by (workload, strategy, cpus, kernel, seed) and lists the cells in one run only', () => {
    const base = run([record(), record({ strategy: 'genalloc' }), record({ cpus: 2 })]);
    const next = run([record({ cpus: 2 }), record(), record({ seed: 7 })]);
    const cmp = compareRuns(base, next);
    // Two cells in both, in the base run's order; they share all but cpus.
    expect(cmp.matched).toBe(2);
    expect([...new Set(cmp.rows.map((r) => describeKey(r.key)))]).toEqual([
      'hold:tables=64 slab-dma32 (cpus=4, seed=1)',
      'hold:tables=64 slab-dma32 (cpus=2, seed=1)',
    ]);
    expect(cmp.same).toEqual({ platform: 'mt8173', kernel: '5.1', seed: 1 });
    expect(cmp.onlyBase.map((k) => k.strategy)).toEqual(['genalloc']);
    expect(cmp.onlyNew.map((k) => k.seed)).toEqual([7]);
    const text = formatComparison(cmp, { format: 'text', all: true });
    expect(text).toContain('only in base (1): hold:tables=64 genalloc (cpus=4, seed=1)');
    expect(text).toContain('only in new (1): hold:tables=64 slab-dma32 (cpus=4, seed=7)');
    // Cells differ in cpus: the table says which.
    expect(text).toContain('hold:tables=64 @cpus=2');
  });

  it('matches a cell only with the same kernel, and names a kernel other than v5.1', () => {
    const base = run([record(), record({ kernel: '6.18' })]);
    const next = run([
      record({ kernel: '6.18', peak_footprint_bytes: 2 * 65536 }),
      record({ kernel: '6.18', seed: 2 }),
    ]);
    const cmp = compareRuns(base, next);
    expect(cmp.matched).toBe(1);
    expect(cmp.same).toEqual({ platform: 'mt8173', cpus: 4, kernel: '6.18', seed: 1 });
    expect(cmp.rows.find((r) => r.kind === 'exact' && r.metric === 'peak_footprint_bytes')).toMatchObject({
      base: 65536,
      next: 131072,
    });
    const text = formatComparison(cmp, { format: 'text', all: true });
    expect(text).toContain('(cpus=4, kernel=6.18, seed=1)');
    expect(text).toContain('only in base (1): hold:tables=64 slab-dma32 (cpus=4, seed=1)');
    expect(text).toContain('only in new (1): hold:tables=64 slab-dma32 (cpus=4, kernel=6.18, seed=2)');
  });

  it('refuses two runs with no cell in common', () => {
    expect(() => compareRuns(run([record()]), run([record({ strategy: 'genalloc' })]))).toThrow(
      /no \(workload, strategy, cpus, kernel, seed\) cell is in both runs/,
    );
  });

  it('warns, but compares, across l2bench major versions', () => {
    const cmp = compareRuns(run([record()], '0.1.0'), run([record()], '1.0.0'));
    expect(cmp.warnings.join('\n')).toMatch(/different l2bench major versions \(base 0\.1\.0, new 1\.0\.0\)/);
    expect(cmp.matched).toBe(1);
  });
});

describe('compare: verdicts', () => {
  it('(a) reports a real change: exact metrics with direction, throughput 20 % lower as regressed', () => {
    const base = run([record()]);
    // Each replay takes 1.25× as long: ops/s of every sample is 0.8×, a 20 % drop.
    const next = run([
      record(
        { peak_footprint_bytes: 81920, reuse_rate: 0.6, pages_returned: 2, events: 1000 },
        STEADY.map((ms) => ms * 1.25),
      ),
    ]);
    const cmp = compareRuns(base, next);
    const peak = exact(cmp.rows, 'peak_footprint_bytes');
    expect(peak).toMatchObject({ verdict: 'changed', direction: 'worse', base: 65536, next: 81920 });
    expect(peak.changePct).toBeCloseTo(25, 12);
    const reuse = exact(cmp.rows, 'reuse_rate');
    expect(reuse).toMatchObject({ verdict: 'changed', direction: 'better' });
    expect(reuse.changePct).toBeCloseTo(20, 12);
    // Neutral metric, from 0: changed, no side, an infinite relative change.
    expect(exact(cmp.rows, 'pages_returned')).toMatchObject({
      verdict: 'changed',
      direction: 'neutral',
      changePct: Infinity,
    });
    expect(exact(cmp.rows, 'metadata_bytes').verdict).toBe('no change');
    const tp = throughput(cmp.rows);
    expect(tp.verdict).toBe('regressed');
    expect(tp.changePct).toBeCloseTo(-20, 10);
    // No overlap between 10 and 10 samples (with ties: the normal approximation).
    expect(tp.test?.p).toBeLessThan(1e-3);

    const text = formatComparison(cmp, { format: 'text', all: false });
    expect(text).toMatch(/peak_footprint_bytes\s+65536\s+81920\s+\+25\.00%\s+changed, worse/);
    expect(text).toMatch(/reuse_rate\s+0\.5\s+0\.6\s+\+20\.00%\s+changed, better/);
    expect(text).toMatch(/pages_returned\s+0\s+2\s+\+∞%\s+changed\n/);
    expect(text).toMatch(
      /ops_per_sec\s+1M\/s n=10\s+800k\/s n=10\s+-20\.00%\s+regressed \(p<0\.001, Holm; -\d+\.\d+% to -\d+\.\d+%\)/,
    );
    expect(text).not.toMatch(/metadata_bytes/);
    expect(text).toContain(`hidden because unchanged (${EXACT_METRICS.length - 3})`);
  });

  it('(a) reports faster replays as improved', () => {
    const cmp = compareRuns(
      run([record()]),
      run([
        record(
          {},
          STEADY.map((ms) => ms * 0.8),
        ),
      ]),
    );
    const tp = throughput(cmp.rows);
    expect(tp.verdict).toBe('improved');
    expect(tp.changePct).toBeCloseTo(25, 10);
  });

  it('(b) finds no significant change between two sample sets from the same distribution', () => {
    const rng = seeded(42);
    const base = run([record({}, normal(rng, 20, 1, 0.1))]);
    const next = run([record({}, normal(rng, 20, 1, 0.1))]);
    const cmp = compareRuns(base, next);
    const tp = throughput(cmp.rows);
    expect(tp.test?.p).toBeGreaterThan(0.05);
    expect(tp.verdict).toBe('no significant change');
    expect(hiddenBecause(tp)).toBe('not significant');
    const text = formatComparison(cmp, { format: 'text', all: false });
    expect(text).toContain('hidden because not significant (1): 1 no significant change, 0 within noise');
    expect(text).not.toMatch(/ops_per_sec/);
    expect(formatComparison(cmp, { format: 'text', all: true })).toMatch(/ops_per_sec .*no significant change \(p=/);
  });

  it('(c) hides everything and flags nothing for identical runs', () => {
    const cmp = compareRuns(
      run([record(), record({ strategy: 'genalloc' })]),
      run([record(), record({ strategy: 'genalloc' })]),
    );
    expect(cmp.rows.every((r) => hiddenBecause(r) !== null)).toBe(true);
    expect(regressions(cmp, 0)).toEqual([]);
    const text = formatComparison(cmp, { format: 'text', all: false });
    expect(text).toContain('no change to show');
    expect(text).toContain(`hidden because unchanged (${2 * EXACT_METRICS.length})`);
    expect(text).toContain('hidden because not significant (2)');
    expect(text).not.toMatch(/workload\s+strategy/);
    expect(formatComparison(cmp, { format: 'text', all: true })).toMatch(
      /peak_footprint_bytes\s+65536\s+65536\s+0%\s+no change/,
    );
  });

  it('calls a significant change within the noise threshold "within noise", beyond it a change', () => {
    // A spread of 0.1 %: a 1 % shift is significant.
    const tight = STEADY.map((ms) => 1 + (ms - 1) / 10);
    const base = run([record({}, tight)]);
    const next = run([
      record(
        {},
        tight.map((ms) => ms / 1.01),
      ),
    ]);
    const tp = throughput(compareRuns(base, next).rows);
    expect(tp.test?.p).toBeLessThan(0.05);
    expect(tp.changePct).toBeCloseTo(1, 10);
    expect(tp.verdict).toBe('within noise');
    expect(hiddenBecause(tp)).toBe('not significant');
    expect(throughput(compareRuns(base, next, { noisePct: 0.5 }).rows).verdict).toBe('improved');
  });

  it('calls throughput timed on one side only not comparable, one sample too few, and omits it when never timed', () => {
    const cmp = compareRuns(run([record()]), run([record({}, [])]));
    expect(throughput(cmp.rows)).toMatchObject({ verdict: 'not comparable', test: null });
    expect(formatComparison(cmp, { format: 'text', all: false })).toMatch(/not comparable \(n=10 vs 0\)/);
    expect(throughput(compareRuns(run([record()]), run([record({}, [1.0])])).rows).verdict).toBe(
      'too few samples to tell',
    );
    const untimed = compareRuns(run([record({}, [])]), run([record({}, [])]));
    expect(untimed.rows.some((r) => r.kind === 'throughput')).toBe(false);
    expect(untimed.warnings).toContain('throughput was measured in neither run: exact metrics only');
  });
});

describe('compare command', () => {
  const worse = () => run([record({ peak_footprint_bytes: 81920, reuse_rate: 0.6 })]);

  it('exits 0 without --fail-on-regression, whatever changed', () => {
    expect(command(run([record()]), worse()).exitCode).toBe(0);
  });

  it('--fail-on-regression: exit 1 when a metric worsens by more than PCT, naming it last', () => {
    const r = command(run([record()]), worse(), { failOnRegression: '10' });
    expect(r.exitCode).toBe(1);
    const last = r.output.trimEnd().split('\n').at(-1);
    expect(last).toBe(
      'regressions beyond 10% (1): hold:tables=64 slab-dma32 (cpus=4, seed=1) peak_footprint_bytes +25.00%',
    );
  });

  it('--fail-on-regression: exit 0 when the worsening is within PCT; a better change never fails', () => {
    const r = command(run([record()]), worse(), { failOnRegression: '30' });
    expect(r.exitCode).toBe(0);
    expect(r.output.trimEnd().split('\n').at(-1)).toBe('no regression beyond 30%');
    expect(
      command(run([record({ peak_footprint_bytes: 81920 })]), run([record()]), { failOnRegression: '0' }).exitCode,
    ).toBe(0);
  });

  it('--fail-on-regression: throughput only when significantly regressed', () => {
    const slower = run([
      record(
        {},
        STEADY.map((ms) => ms * 1.25),
      ),
    ]);
    expect(command(run([record()]), slower, { failOnRegression: '10' }).exitCode).toBe(1);
    expect(command(run([record()]), slower, { failOnRegression: '25' }).exitCode).toBe(0);
    // A 20 % lower mean that is noise: two wide sample sets.
    const rng = seeded(3);
    const noisy = (scale: number) =>
      run([
        record(
          {},
          normal(rng, 4, 1, 0.8).map((ms) => Math.abs(ms) * scale + 0.05),
        ),
      ]);
    const r = compareRuns(noisy(1), noisy(1.25));
    const tp = throughput(r.rows);
    expect(tp.verdict).toBe('no significant change');
    expect(tp.changePct).toBeLessThan(-10);
    expect(regressions(r, 10)).toEqual([]);
  });

  it('--format md prints a Markdown table', () => {
    const r = command(run([record()]), worse(), { format: 'md' });
    const lines = r.output.split('\n');
    const head = lines.indexOf('| workload | strategy | metric | base | new | change | verdict |');
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]).toBe('|---|---|---|---:|---:|---:|---|');
    expect(lines).toContain(
      '| hold:tables=64 | slab-dma32 | peak_footprint_bytes | 65536 | 81920 | +25.00% | changed, worse |',
    );
    expect(lines).toContain(`- hidden because unchanged (${EXACT_METRICS.length - 2}); --all shows them`);
  });

  it('refuses a missing file, naming it in one line', () => {
    const dir = tmp();
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(run([record()])));
    const missing = join(dir, 'missing.json');
    expect(() => compareCommand(missing, good, {})).toThrow(ResultsError);
    expect(() => compareCommand(missing, good, {})).toThrow(new RegExp(`^${missing}: cannot read: no such file$`));
  });

  it('refuses invalid JSON, another schema, a broken record and bad flags', () => {
    const dir = tmp();
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(run([record()])));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schema":');
    expect(() => compareCommand(good, bad, {})).toThrow(/bad\.json: not valid JSON: /);
    writeFileSync(bad, JSON.stringify({ ...run([record()]), schema: 'l2bench-run/3' }));
    expect(() => compareCommand(good, bad, {})).toThrow(
      /bad\.json: not an l2bench run: schema "l2bench-run\/3", expected 'l2bench-run\/1' or 'l2bench-run\/2'$/,
    );
    writeFileSync(bad, JSON.stringify({ ...run([record()]), complete: 'yes' }));
    expect(() => compareCommand(good, bad, {})).toThrow(/^[^\n]*bad\.json: invalid l2bench run: complete: [^\n]*$/);
    const broken = run([record()]) as unknown as { records: Record<string, unknown>[] };
    delete (broken.records[0] as Record<string, unknown>).peak_footprint_bytes;
    writeFileSync(bad, JSON.stringify(broken));
    expect(() => compareCommand(good, bad, {})).toThrow(
      /bad\.json: invalid l2bench run: records\[0\]\.peak_footprint_bytes: /,
    );
    expect(() => compareCommand(good, good, { noise: '-1' })).toThrow(/^--noise -1: not a non-negative percentage$/);
    expect(() => compareCommand(good, good, { format: 'html' })).toThrow(/^--format html: allowed: text, md$/);
    expect(() => compareCommand(good, good, { failOnRegression: 'x' })).toThrow(/^--fail-on-regression x:/);
  });

  it('reads a run folder as its results.json', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'results.json'), JSON.stringify(run([record()])));
    expect(compareCommand(dir, dir, {}).exitCode).toBe(0);
    expect(() => compareCommand(tmp(), dir, {})).toThrow(/: a folder with no results\.json$/);
  });
});

describe('compare: rounds as the units of replication', () => {
  /** A record timed in rounds: each round's fastest sample in ms (its samples: those, for brevity). */
  const timedInRounds = (medians: number[], over: Partial<FullRecord> = {}) => record(over, medians, medians);

  it('tests the round medians, not the samples: a 6× slowdown over 8 rounds a side is a regression', () => {
    // The case Welch's test missed: base 1.36–5.43 ms, new 11.41–21.91 ms, no overlap.
    const base = [1.36, 1.4, 1.52, 1.61, 1.9, 2.2, 3.1, 5.43];
    const slow = [11.41, 11.9, 12.3, 13.1, 14.8, 16.2, 19.5, 21.91];
    const cmp = compareRuns(run([timedInRounds(base)]), run([timedInRounds(slow)]));
    const tp = throughput(cmp.rows);
    expect(tp.base).toMatchObject({ n: 8, unit: 'rounds' });
    expect(tp.test?.p).toBeCloseTo(0.0001554001554001554, 14); // scipy mannwhitneyu, exact
    expect(tp.verdict).toBe('regressed');
    // The median ops/s of each side (1000 events a replay), between its middle two rounds.
    const opsMedian = (a: number, b: number) => (1000 / a + 1000 / b) / 2 / 1e-3;
    expect(tp.changePct).toBeCloseTo((opsMedian(13.1, 14.8) / opsMedian(1.61, 1.9) - 1) * 100, 10);
    expect(cmp.warnings.join('\n')).not.toMatch(/sample by sample/);
    expect(regressions(cmp, 10)).toHaveLength(1);
  });

  it('says "too few samples to tell" when the sizes cannot reach alpha, never "no significant change"', () => {
    // 3 rounds a side: even with no overlap the best p is 0.1.
    const cmp = compareRuns(run([timedInRounds([1, 1.1, 1.2])]), run([timedInRounds([6, 6.1, 6.2])]));
    const tp = throughput(cmp.rows);
    expect(tp.minP).toBeCloseTo(0.1, 14);
    expect(tp.verdict).toBe('too few samples to tell');
    expect(hiddenBecause(tp)).toBeNull();
    expect(regressions(cmp, 10)).toEqual([]);
    expect(formatComparison(cmp, { format: 'text', all: false })).toMatch(
      /too few samples to tell \(n=3 vs 3: p=0\.100, Holm; p≥0\.1 at best\)/,
    );
  });

  it('counts the correction: 5 rounds a side decide one cell but not forty', () => {
    // min p for 5 vs 5 is 2/252 ≈ 0.0079: below 0.05 alone, not after Holm over 40 tests (× 40).
    const one = (strategy: string, ms: number) =>
      timedInRounds(
        [1, 2, 3, 4, 5].map((x) => ms + x / 100),
        { strategy },
      );
    expect(throughput(compareRuns(run([one('a', 1)]), run([one('a', 3)])).rows).verdict).toBe('regressed');
    const names = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const cmp = compareRuns(run(names.map((n) => one(n, 1))), run(names.map((n) => one(n, 3))));
    const verdicts = new Set(cmp.rows.filter((r) => r.kind === 'throughput').map((r) => r.verdict));
    expect([...verdicts]).toEqual(['too few samples to tell']);
  });

  it('fails --fail-on-regression only when the whole interval of change lies beyond the threshold', () => {
    // About 9 % slower, significant (p = 0.003), with an interval of −13.8 % to −4.4 %.
    const base = timedInRounds([1.0, 1.02, 1.04, 1.06, 1.08, 1.1, 1.12, 1.14]);
    const slow = timedInRounds([1.07, 1.13, 1.15, 1.17, 1.19, 1.21, 1.23, 1.25]);
    const cmp = compareRuns(run([base]), run([slow]));
    const tp = throughput(cmp.rows);
    expect(tp.verdict).toBe('regressed');
    expect(tp.interval?.lowPct).toBeCloseTo((Math.exp(-0.14874526126035015) - 1) * 100, 8);
    expect(tp.interval?.highPct).toBeCloseTo((Math.exp(-0.04367506350266126) - 1) * 100, 8);
    // The median change is beyond 5 %, but the rounds allow as little as 4.4 %: no failure at 5, one at 3.
    expect(tp.changePct).toBeLessThan(-5);
    expect(regressions(cmp, 5)).toEqual([]);
    expect(regressions(cmp, 3)).toEqual([tp]);
    expect(formatComparison(cmp, { format: 'text', all: false })).toMatch(
      /regressed \(p=0\.003, Holm; -13\.8\d% to -4\.2\d%\)/,
    );
  });

  it('falls back to the samples of a run without rounds, and warns that they come from one process', () => {
    const cmp = compareRuns(run([record()]), run([timedInRounds([1, 1, 1])]));
    expect(throughput(cmp.rows).base.unit).toBe('samples');
    expect(cmp.warnings.join('\n')).toMatch(/compared sample by sample: a run older than l2bench-run\/2/);
  });
});

describe('reading results.json', () => {
  it('reads an l2bench-run/1 file as complete unless interrupted', () => {
    const dir = tmp();
    const v1 = (interrupted: boolean) => {
      const { complete: _c, missing: _m, ...rest } = run([record()]);
      return { ...rest, schema: 'l2bench-run/1', interrupted };
    };
    writeFileSync(join(dir, 'whole.json'), JSON.stringify(v1(false)));
    writeFileSync(join(dir, 'cut.json'), JSON.stringify(v1(true)));
    expect(readRun(join(dir, 'whole.json'))).toMatchObject({ schema: 'l2bench-run/2', complete: true, missing: [] });
    expect(readRun(join(dir, 'cut.json'))).toMatchObject({ complete: false, interrupted: true });
  });
});
