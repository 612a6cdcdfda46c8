import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseShard } from '../../cli/flag-values.ts';
import { shardFromEnvironment } from '../../harness/shard-env.ts';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

describe('--shard auto: the shard of an array job from its engine', () => {
  it('Slurm: the task id from the array minimum, the count from the array', () => {
    const slurm = {
      SLURM_ARRAY_TASK_ID: '3',
      SLURM_ARRAY_TASK_MIN: '0',
      SLURM_ARRAY_TASK_MAX: '7',
      SLURM_ARRAY_TASK_COUNT: '8',
    };
    expect(shardFromEnvironment(slurm)).toEqual({ index: 4, count: 8, source: 'Slurm array task 3 of 8' });
    // --array=1-8 numbers its tasks from 1.
    expect(
      shardFromEnvironment({ ...slurm, SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8' })
        .index,
    ).toBe(1);
    // --array=0-14:2 (8 tasks, step 2) cannot be mapped onto 8 shards.
    expect(() => shardFromEnvironment({ ...slurm, SLURM_ARRAY_TASK_MAX: '14' })).toThrow(/not 8 consecutive tasks/);
  });

  it('Slurm, part of an array submitted again (sbatch --array=2): the count given, task ids from 0', () => {
    /** What Slurm sets in task `id` of `--array=min-max`. */
    const array = (id: number, min: number, max: number) => ({
      SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_MIN: String(min),
      SLURM_ARRAY_TASK_MAX: String(max),
      SLURM_ARRAY_TASK_COUNT: String(max - min + 1),
    });
    // `sbatch --array=2`: an array of one task.
    const alone = array(2, 2, 2);
    // Without the count, the task is the whole of its array of one: the whole plan.
    expect(shardFromEnvironment(alone)).toEqual({ index: 1, count: 1, source: 'Slurm array task 2 of 1' });
    const third = { index: 3, count: 3, source: 'Slurm array task 2 of 3' };
    expect(shardFromEnvironment({ ...alone, L2BENCH_SHARD_COUNT: '3' })).toEqual(third);
    expect(parseShard('auto/3', alone)).toEqual(third);
    // The whole array with the count given: the same shards as without it.
    expect(shardFromEnvironment(array(1, 0, 2), 3)).toMatchObject({ index: 2, count: 3 });
    expect(() => shardFromEnvironment(array(3, 3, 3), 3)).toThrow(/outside the array/);
    expect(() => shardFromEnvironment(array(1, 0, 2), 2)).toThrow(/a Slurm array of 3 tasks, but the count given is 2/);
    // A whole array numbered from 1 cannot mean ids from 0.
    expect(() => shardFromEnvironment(array(1, 1, 3), 3)).toThrow(
      /Slurm task ids count from 0, but this array runs 1\.\.3: use --array=0-2/,
    );
  });

  it('AWS Batch: the array index from 0 and the array size', () => {
    expect(shardFromEnvironment({ AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '5' })).toEqual({
      index: 1,
      count: 5,
      source: 'AWS Batch array index 0 of 5',
    });
  });

  it('Kubernetes: the completion index, with the count given or from L2BENCH_SHARD_COUNT', () => {
    expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' }, 4)).toMatchObject({ index: 3, count: 4 });
    expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: '2', L2BENCH_SHARD_COUNT: '4' })).toMatchObject({
      index: 3,
      count: 4,
    });
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' })).toThrow(/does not say how many completions/);
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '4', L2BENCH_SHARD_COUNT: '4' })).toThrow(
      /outside the array/,
    );
  });

  it('refuses clearly when no engine, or more than one, set its variables, or the count disagrees', () => {
    expect(() => shardFromEnvironment({})).toThrow(/^shard auto: no array-job variables set/);
    expect(() =>
      shardFromEnvironment(
        { JOB_COMPLETION_INDEX: '0', AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '2' },
        2,
      ),
    ).toThrow(/more than one engine/);
    expect(() => shardFromEnvironment({ AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '2' }, 3)).toThrow(
      /but the count given is 3/,
    );
    expect(() => shardFromEnvironment({ AWS_BATCH_JOB_ARRAY_INDEX: 'x', AWS_BATCH_JOB_ARRAY_SIZE: '2' })).toThrow(
      /AWS_BATCH_JOB_ARRAY_INDEX=x: not a whole number/,
    );
  });

  it('is what --shard auto and auto/N resolve to; i/n stays as it was', () => {
    expect(parseShard('auto', { AWS_BATCH_JOB_ARRAY_INDEX: '1', AWS_BATCH_JOB_ARRAY_SIZE: '3' })).toMatchObject({
      index: 2,
      count: 3,
    });
    expect(parseShard('auto/6', { JOB_COMPLETION_INDEX: '5' })).toMatchObject({ index: 6, count: 6 });
    expect(parseShard('2/3', {})).toEqual({ index: 2, count: 3 });
  });
});

describe('examples/distributed: each engine shards a suite and merges the shards', () => {
  const read = (file: string) => readFileSync(join('examples/distributed', file), 'utf8');

  it('Kubernetes: an Indexed Job of N completions that knows N, then a merge Job', () => {
    const docs = parseAllDocuments(read('kubernetes-indexed-job.yaml')).map((d) => d.toJS());
    const shards = docs.find((d) => d.kind === 'Job' && d.spec.completionMode === 'Indexed');
    expect(shards.spec.completions).toBe(shards.spec.parallelism);
    const container = shards.spec.template.spec.containers[0];
    const count = container.env.find((e: { name: string }) => e.name === 'L2BENCH_SHARD_COUNT');
    expect(Number(count.value)).toBe(shards.spec.completions);
    expect(container.args.join(' ')).toMatch(
      /^exec \.\/bin\/l2bench\.js run .*--shard auto .*--out \/runs\/shard-\$JOB_COMPLETION_INDEX/,
    );
    const merge = docs.find((d) => d.kind === 'Job' && d !== shards);
    expect(merge.spec.template.spec.containers[0].args.join(' ')).toMatch(/l2bench merge \/runs\/shard-\*/);
    expect(docs.some((d) => d.kind === 'PersistentVolumeClaim')).toBe(true);
  });

  it('Slurm: an array with step 1 running --shard auto, and a merge queued after every task succeeded', () => {
    const array = read('slurm-array.sbatch');
    expect(array).toMatch(/^#SBATCH --array=\d+-\d+$/m);
    expect(array).toMatch(/^exec \.\/bin\/l2bench\.js run .*--shard auto .*shard-\$SLURM_ARRAY_TASK_ID"$/m);
    expect(read('slurm-merge.sbatch')).toMatch(/npx l2bench merge "runs\/\$1"\/shard-\*/);
    expect(read('slurm-submit.sh')).toMatch(/--dependency="afterok:\$array"/);
  });

  it('GitHub Actions: a matrix of n shards each running i/n, then a merge that needs them', () => {
    const wf = parseYaml(read('github-actions.yml'));
    const n = wf.jobs.shard.strategy.matrix.shard.length;
    expect(wf.jobs.shard.strategy.matrix.shard).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const run = wf.jobs.shard.steps.map((s: { run?: string }) => s.run ?? '').join('\n');
    expect(run).toContain(`--shard \${{ matrix.shard }}/${n}`);
    expect(wf.jobs.merge.needs).toBe('shard');
    expect(wf.jobs.merge.steps.map((s: { run?: string }) => s.run ?? '').join('\n')).toMatch(
      /npx l2bench merge runs\/shard-\*/,
    );
  });
});

describe('an array job end to end (Slurm variables, as the sbatch script runs it)', () => {
  const rows = (dir: string) => readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');

  it('two tasks of --array=0-1 run the halves of the plan, and their merge is the whole run', async () => {
    const dir = tempDir('l2bench-array-');
    const plan = ['run', '-w', 'hold:tables=1..6+1', '-s', 'full-page,slab-dma32', '--no-throughput'];
    const slurm = { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '1', SLURM_ARRAY_TASK_COUNT: '2' };
    for (const id of ['0', '1']) {
      const r = await l2bench([...plan, '--shard', 'auto', '--out', join(dir, `shard-${id}`)], {
        env: { ...slurm, SLURM_ARRAY_TASK_ID: id },
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`shard ${Number(id) + 1}/2 (Slurm array task ${id} of 2)`);
    }
    expect(rows(join(dir, 'shard-0'))).toHaveLength(1 + 6);
    expect(
      (await l2bench(['merge', join(dir, 'shard-0'), join(dir, 'shard-1'), '--out', join(dir, 'merged')])).code,
    ).toBe(0);
    expect((await l2bench([...plan, '--out', join(dir, 'whole')])).code).toBe(0);
    expect(rows(join(dir, 'merged'))).toEqual(rows(join(dir, 'whole')));
  });
});

describe('merge of a shard that is not complete', () => {
  it('is refused in one line naming the shard and what it lacks; --partial joins it, marked incomplete', async () => {
    const dir = tempDir('l2bench-partial-');
    // Shard 2 of 2 holds the cells of the strategy that throws: both fail.
    const throws = join(dir, 'throws.mjs');
    writeFileSync(
      throws,
      `export default { name: 'throws', description: 'fails', placement: 'dma32', params: {},
  create: () => ({ work: {}, metadataBytes: () => 0, strandedBytes: () => 0,
    alloc() { throw new Error('boom'); }, free() {} }) };
`,
    );
    const plan = ['run', '-w', 'hold:tables=1..2', '-s', `full-page,${throws}`, '--no-throughput'];
    const shards = [1, 2].map((i) => join(dir, `shard-${i}`));
    expect((await l2bench([...plan, '--shard', '1/2', '--out', shards[0] as string])).code).toBe(0);
    expect((await l2bench([...plan, '--shard', '2/2', '--out', shards[1] as string])).code).toBe(3);

    const refused = await l2bench(['merge', ...shards, '--out', join(dir, 'refused')]);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      `l2bench: merge: ${shards[1]} (shard 2/2: 0 of 2 cells, 2 failed) is incomplete; rerun it, or give --partial to merge what there is\n`,
    ]);
    expect(existsSync(join(dir, 'refused'))).toBe(false);

    const partial = await l2bench(['merge', ...shards, '--partial', '--out', join(dir, 'partial')]);
    expect([partial.code, partial.stderr]).toEqual([
      0,
      `l2bench: merge: incomplete shards joined as they are (the result says complete: false): ${shards[1]} (shard 2/2: 0 of 2 cells, 2 failed)\n`,
    ]);
    const json = JSON.parse(readFileSync(join(dir, 'partial/results.json'), 'utf8'));
    // Failed cells are not an interruption: the report's banner says they failed.
    expect(json).toMatchObject({ complete: false, interrupted: false, cells: 4 });
    expect(json.records.map((r: { strategy: string }) => r.strategy)).toEqual(['full-page', 'full-page']);
    expect(json.missing.map((m: { reason: string }) => m.reason)).toEqual(['failed', 'failed']);
    // In plan order, as one run would have listed them: the cells of `throws` are 1 and 3.
    expect(json.missing.map((m: { cell: number }) => m.cell)).toEqual([1, 3]);
    const report = await l2bench(['report', join(dir, 'partial'), '--format', 'md']);
    expect(report.code).toBe(0);
    const banner = readFileSync(join(dir, 'partial/report.md'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('> '));
    expect(banner).toBe(
      `> **Incomplete run: some cells failed. 2 of 4 cells measured; 2 cells failed: throws on hold:tables=1 (boom); throws on hold:tables=2 (boom). The report covers only the cells that finished.**`,
    );
  });
});
