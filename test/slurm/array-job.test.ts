import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { l2bench, ROOT } from '../cli.ts';
import { isFinal, type SlurmCluster, slurmAvailability, slurmTitle, startCluster, type TaskState } from './cluster.ts';

// `l2bench run --shard auto` as a real Slurm array job, on a private one-node cluster: the example
// script users submit, Slurm's own environment, working directory and signals.
const SCRIPT = join(ROOT, 'examples/distributed/slurm-array.sbatch');
const GATED = join(ROOT, 'test/slurm/gated-page.ts');
/** Jobs finish in seconds; this only catches a hang. */
const LONG = 600_000;

const available = slurmAvailability();

/** A results.csv, row by row. */
const rows = (dir: string) => readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');
const readJson = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
    complete: boolean;
    interrupted: boolean;
    cells: number;
    records: { workload: string; strategy: string }[];
    missing: { workload: string; reason: string }[];
  };

/** Seconds between two of Slurm's timestamps (whole seconds, local time). */
const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

describe.skipIf(!available.usable)(slurmTitle('l2bench shards as a real Slurm array job', available), () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, LONG);
  afterAll(() => cluster?.stop(), LONG);

  /** Submit the example script (from the checkout, one CPU a task), the run's options after it; the job id. */
  async function submit(sbatch: string[], run: string[], env: Record<string, string>): Promise<string> {
    const r = await cluster.command(
      'sbatch',
      [
        '--parsable',
        `--chdir=${ROOT}`,
        '--cpus-per-task=1',
        `--output=${cluster.work}/slurm-%A_%a.log`,
        ...sbatch,
        SCRIPT,
        ...run,
      ],
      { env },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim().split(';')[0] as string;
  }
  const log = (job: string, task: number) => readFileSync(join(cluster.work, `slurm-${job}_${task}.log`), 'utf8');
  /** Poll until a task's results.json satisfies `ok` (its saves come every 2 s while it runs); fail if the task ends first. */
  async function untilResults(
    dir: string,
    task: { job: string; task: number },
    ok: (json: ReturnType<typeof readJson>) => boolean,
  ): Promise<void> {
    while (!(existsSync(join(dir, 'results.json')) && ok(readJson(dir)))) {
      const ended = (await cluster.tasks(task.job)).find((t) => t.task === task.task && isFinal(t));
      if (ended) throw new Error(`task ${task.task} ended (${ended.state}): ${log(task.job, task.task)}`);
      await sleep(100);
    }
  }
  /** Merge the shards in `runs`, run the same cells at once, and check the merge is that run, row for row. */
  async function expectMergeIsOneRun(runs: string, plan: string[]): Promise<void> {
    const shards = [0, 1, 2].map((i) => join(runs, `shard-${i}`));
    const merged = await l2bench(['merge', ...shards, '--out', join(runs, 'merged')]);
    expect([merged.code, merged.stderr]).toEqual([0, '']);
    const whole = await l2bench(['run', ...plan, '--out', join(runs, 'whole')]);
    expect(whole.code).toBe(0);
    expect(rows(join(runs, 'merged'))).toHaveLength(1 + 12);
    expect(rows(join(runs, 'merged'))).toEqual(rows(join(runs, 'whole')));
    expect(readJson(join(runs, 'merged'))).toMatchObject({ complete: true, interrupted: false, cells: 12 });
  }
  const timings = (what: string, wallMs: number, tasks: TaskState[]) =>
    console.log(
      `slurm: ${what}: ${(wallMs / 1000).toFixed(1)} s from sbatch to the last task's end; ${tasks
        .map((t) => `task ${t.task} ${t.state} in ${seconds(t.start, t.end)} s`)
        .join(', ')}`,
    );

  it(
    'three tasks of --array=0-2 run the example script; their merge is one run of the same cells, row for row',
    async () => {
      const plan = ['-w', 'hold:tables=1..6+1', '-s', 'full-page,slab-dma32', '--no-throughput'];
      const runs = join(cluster.work, 'array');
      const started = Date.now();
      const job = await submit(['--array=0-2'], plan, { L2BENCH_RUNS: runs });
      const tasks = await cluster.waitFor(job, [0, 1, 2], { ms: LONG });
      timings('--array=0-2, 12 cells', Date.now() - started, tasks);
      expect(tasks.map((t) => [t.task, t.state, t.exitCode])).toEqual([
        [0, 'COMPLETED', '0:0'],
        [1, 'COMPLETED', '0:0'],
        [2, 'COMPLETED', '0:0'],
      ]);
      for (const i of [0, 1, 2]) {
        expect(log(job, i)).toContain(`l2bench: shard ${i + 1}/3 (Slurm array task ${i} of 3)\n`);
        expect(rows(join(runs, `shard-${i}`))).toHaveLength(1 + 4);
      }
      await expectMergeIsOneRun(runs, plan);
    },
    LONG,
  );

  // 12 cells: full-page, slab-dma32 and gated-page on 1 to 4 tables. Shard 3 of 3 is every
  // gated-page cell: those of 1 and 2 tables finish, those of 3 and 4 wait for the gate.
  const gatedPlan = (gate: string) => [
    '-w',
    'hold:tables=1..4+1',
    '-s',
    `full-page,slab-dma32,${GATED}:at=3,open=${gate}`,
    '--no-throughput',
  ];

  it(
    'scancel of a running task keeps its finished cells in a shard marked incomplete; merge names it; sbatch --array=2 alone completes the run',
    async () => {
      const runs = join(cluster.work, 'cancel');
      const gate = join(cluster.work, 'cancel-gate');
      const plan = gatedPlan(gate);
      const started = Date.now();
      const job = await submit(['--array=0-2'], plan, { L2BENCH_RUNS: runs });
      const shard = join(runs, 'shard-2');
      await untilResults(shard, { job, task: 2 }, (j) => j.records.length === 2);
      await cluster.waitFor(job, [0, 1]);
      // Slurm sends SIGTERM (SIGKILL only KillWait = 30 s later).
      const cancel = await cluster.command('scancel', [`${job}_2`]);
      expect(cancel.code).toBe(0);
      const tasks = await cluster.waitFor(job, [0, 1, 2], { ms: LONG });
      timings('--array=0-2, task 2 cancelled', Date.now() - started, tasks);
      expect(tasks.map((t) => [t.task, t.state])).toEqual([
        [0, 'COMPLETED'],
        [1, 'COMPLETED'],
        [2, 'CANCELLED'],
      ]);
      expect(log(job, 2)).toContain(`l2bench: interrupted by SIGTERM; kept 2 of 4 cells in ${shard}/results.csv`);
      // The finished cells, in a run that says it is incomplete; no lock, no half-written file.
      expect(readdirSync(shard).sort()).toEqual(['results.csv', 'results.json']);
      const json = readJson(shard);
      expect(json).toMatchObject({ complete: false, interrupted: true, cells: 4 });
      expect(json.records.map((r) => r.workload)).toEqual(['hold:tables=1', 'hold:tables=2']);
      expect(json.missing.map((m) => [m.workload, m.reason])).toEqual([
        ['hold:tables=3', 'not run'],
        ['hold:tables=4', 'not run'],
      ]);

      const shards = [0, 1, 2].map((i) => join(runs, `shard-${i}`));
      const refused = await l2bench(['merge', ...shards, '--out', join(runs, 'refused')]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toBe(
        `l2bench: merge: ${shard} (shard 3/3: 2 of 4 cells, interrupted) is incomplete; rerun it, or give --partial to merge what there is\n`,
      );
      expect(existsSync(join(runs, 'refused'))).toBe(false);

      // The missing task alone: a one-task array, told the array's size.
      writeFileSync(gate, '');
      const again = await submit(['--array=2'], plan, { L2BENCH_RUNS: runs, L2BENCH_SHARD_COUNT: '3' });
      const rerun = await cluster.waitFor(again, [2], { ms: LONG });
      expect(rerun.map((t) => [t.task, t.state, t.exitCode])).toEqual([[2, 'COMPLETED', '0:0']]);
      const said = log(again, 2);
      expect(said).toContain('l2bench: shard 3/3 (Slurm array task 2 of 3)\n');
      expect(said).toContain(
        `l2bench: --out ${shard}: an unfinished run of this shard (2 of 4 cells); starting clean\n`,
      );
      await expectMergeIsOneRun(runs, plan);
    },
    LONG,
  );

  it(
    'a task requeued by Slurm (scontrol requeue) runs again into its killed attempt’s folder and starts clean, saying so',
    async () => {
      const runs = join(cluster.work, 'requeue');
      const gate = join(cluster.work, 'requeue-gate');
      const plan = gatedPlan(gate);
      const shard = join(runs, 'shard-2');
      const started = Date.now();
      const job = await submit(['--array=2'], plan, { L2BENCH_RUNS: runs, L2BENCH_SHARD_COUNT: '3' });
      await untilResults(shard, { job, task: 2 }, (j) => j.records.length === 2);
      const requeued = Date.now();
      const requeue = await cluster.command('scontrol', ['requeue', `${job}_2`]);
      expect([requeue.code, requeue.stderr]).toEqual([0, '']);
      // The first attempt stopped and saved (SIGTERM) before the gate opens: it cannot finish a cell.
      await untilResults(shard, { job, task: 2 }, (j) => j.interrupted);
      writeFileSync(gate, '');
      const tasks = await cluster.waitFor(job, [2], {
        ms: LONG,
        done: (ts) => ts.some((t) => t.task === 2 && t.restarts === 1 && t.state === 'COMPLETED'),
      });
      timings('--array=2 requeued once', Date.now() - started, tasks);
      console.log(
        `slurm: the second attempt started ${((Date.parse(tasks[0]?.start ?? '') - requeued) / 1000).toFixed(0)} s after scontrol requeue`,
      );
      expect(tasks.map((t) => [t.task, t.state, t.exitCode, t.restarts])).toEqual([[2, 'COMPLETED', '0:0', 1]]);
      // Both attempts in one log (--open-mode=append): the first stopped, the second started clean.
      const said = log(job, 2);
      expect(said).toContain(`l2bench: interrupted by SIGTERM; kept 2 of 4 cells in ${shard}/results.csv`);
      expect(said).toContain(
        `l2bench: --out ${shard}: an unfinished run of this shard (2 of 4 cells); starting clean\n`,
      );
      expect(said.indexOf('starting clean')).toBeGreaterThan(said.indexOf('interrupted by SIGTERM'));
      expect(readdirSync(shard).sort()).toEqual(['results.csv', 'results.json']);
      expect(readJson(shard)).toMatchObject({ complete: true, interrupted: false, cells: 4 });
      // The same shard run here, outside Slurm.
      const here = join(runs, 'here');
      expect((await l2bench(['run', ...plan, '--shard', '3/3', '--out', here])).code).toBe(0);
      expect(rows(shard)).toEqual(rows(here));
    },
    LONG,
  );
});
