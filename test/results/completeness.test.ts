import { describe, expect, it } from 'vitest';
import { describeIncomplete } from '../../results/completeness.ts';
import { reproduceCommand } from '../../results/reproduce.ts';
import type { MissingCell, Provenance, RunResult } from '../../results/run-schema.ts';
import { asSource } from '../../results/run-source.ts';

const PROVENANCE: Provenance = {
  l2bench_version: '0.1.0',
  git_commit: 'abc123',
  node_version: 'v20',
  v8_version: 'x',
  cpu_model: 'test',
  platform: 'test',
  started_at: '2026-01-01T00:00:00.000Z',
  command_line: ['run', '-w', 'hold:tables=1..8', '-o', 'out/run', '--shard', '2/3', '--time', '50'],
  machine: {},
  suite: '',
  throughput_time_ms: 50,
};

const missing = (strategy: string, reason: MissingCell['reason'], error: string | null = null): MissingCell => ({
  workload: 'hold:tables=8',
  strategy,
  platform: 'mt8173',
  cpus: 4,
  kernel: '5.1',
  seed: 1,
  module: null,
  reason,
  step: reason === 'not run' ? null : 'metrics',
  error,
});

function run(over: Partial<RunResult>): RunResult {
  return {
    schema: 'l2bench-run/2',
    provenance: PROVENANCE,
    records: [],
    interrupted: false,
    complete: false,
    cells: 10,
    missing: [],
    ...over,
  };
}

describe('the banner of an incomplete run', () => {
  it('says nothing for a complete run', () => {
    expect(describeIncomplete(asSource(run({ complete: true })))).toBeNull();
  });

  it('names failed and timed-out cells, and counts the others', () => {
    const text = describeIncomplete(
      asSource(
        run({
          missing: [
            missing('a', 'failed', 'boom'),
            missing('b', 'failed', 'bang'),
            missing('c', 'failed', 'pop'),
            missing('d', 'failed', 'fizz'),
            missing('e', 'timeout', 'stopped after 2 s (cell timeout)'),
            missing('f', 'not run'),
            missing('g', 'not timed', 'timed in 3 of 8 rounds'),
          ],
        }),
      ),
    );
    expect(text).toBe(
      'Incomplete run: some cells failed and it did not finish (stopped, killed, or still running). 0 of 10 cells measured; ' +
        '4 cells failed: a on hold:tables=8 (boom); b on hold:tables=8 (bang); c on hold:tables=8 (pop); and 1 more; ' +
        '1 cell timed out: e on hold:tables=8 (stopped after 2 s (cell timeout)); 1 cell not run; 1 cell not timed in every round. ' +
        'The report covers only the cells that finished.',
    );
  });

  it('tells a run that finished with failed cells from an interrupted one', () => {
    const banner = (over: Partial<RunResult>) => describeIncomplete(asSource(run(over)));
    expect(banner({ missing: [missing('a', 'failed', 'boom')] })).toMatch(/^Incomplete run: some cells failed\. /);
    expect(banner({ interrupted: true, missing: [missing('a', 'not run')] })).toMatch(
      /^Incomplete run: it was interrupted\. 0 of 10 cells measured; 1 cell not run\./,
    );
    // Shards merged with --partial: one had failed cells, another was stopped; both are said.
    expect(banner({ interrupted: true, missing: [missing('a', 'failed', 'boom'), missing('b', 'not run')] })).toMatch(
      /^Incomplete run: some cells failed and it was interrupted\. /,
    );
  });
});

describe('the reproduce line', () => {
  it('drops the output folder and the shard, in every spelling, and keeps the rest', () => {
    expect(reproduceCommand(PROVENANCE)).toBe('git checkout abc123 && npx l2bench run -w hold:tables=1..8 --time 50');
    const spelled = { ...PROVENANCE, command_line: ['run', '--out=x', '-oy', '--shard=1/2', '-w', "a b'c"] };
    expect(reproduceCommand(spelled)).toBe(`git checkout abc123 && npx l2bench run -w 'a b'\\''c'`);
  });

  it('warns on its own line when the tree had uncommitted changes', () => {
    expect(reproduceCommand({ ...PROVENANCE, git_dirty: true, git_commit: null })).toBe(
      '# the tree had uncommitted changes: this commit alone may not reproduce it\nnpx l2bench run -w hold:tables=1..8 --time 50',
    );
  });
});
