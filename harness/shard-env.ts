import { InputError } from '../core/errors.ts';

/** A shard of a run: `index` of `count`, 1-based, and the batch engine it came from. */
export interface ShardFromEnv {
  index: number;
  count: number;
  /** Which variables said so, for the run's output. */
  source: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A whole number from an environment variable, or an InputError naming it. */
function whole(env: Env, name: string): number {
  const text = env[name];
  if (text === undefined || !/^\d+$/.test(text.trim())) {
    throw new InputError(`${name}=${text ?? ''}: not a whole number`, { option: 'shard', value: 'auto' });
  }
  return Number(text);
}

/**
 * The shard an array job's task runs, from the variables its batch engine sets:
 * - Slurm job arrays: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN (an array
 *   `--array=1-8` numbers its tasks from 1); the array must have step 1 (MAX − MIN + 1 = COUNT).
 *   With the count given (`count`, or L2BENCH_SHARD_COUNT), the task id is the shard counted from 0,
 *   so that part of an array submitted again (`sbatch --array=3`, an array of one) runs its shards.
 * - AWS Batch array jobs: AWS_BATCH_JOB_ARRAY_INDEX (from 0) and AWS_BATCH_JOB_ARRAY_SIZE.
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (from 0); Kubernetes does not pass the number of
 *   completions, so the count comes from `count` (`--shard auto/N`) or L2BENCH_SHARD_COUNT.
 * `count`, when given, overrides and must agree with an engine that states one.
 */
export function shardFromEnvironment(env: Env, count?: number): ShardFromEnv {
  const found: ShardFromEnv[] = [];
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = whole(env, 'SLURM_ARRAY_TASK_ID');
    const n = whole(env, 'SLURM_ARRAY_TASK_COUNT');
    const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : whole(env, 'SLURM_ARRAY_TASK_MIN');
    if (env.SLURM_ARRAY_TASK_MAX !== undefined && whole(env, 'SLURM_ARRAY_TASK_MAX') - min + 1 !== n) {
      throw new InputError(
        `SLURM_ARRAY_TASK_MIN..MAX (${min}..${env.SLURM_ARRAY_TASK_MAX}) is not ${n} consecutive tasks: use --array=A-B with step 1`,
        { option: 'shard', value: 'auto' },
      );
    }
    const given = count ?? (env.L2BENCH_SHARD_COUNT === undefined ? undefined : whole(env, 'L2BENCH_SHARD_COUNT'));
    if (given === undefined) found.push({ index: id - min + 1, count: n, source: `Slurm array task ${id} of ${n}` });
    else {
      // Slurm tells a task only about the tasks submitted with it: `sbatch --array=3` reruns task 3
      // as an array of one. With the count given, task ids are shards counted from 0.
      if (n > given) {
        throw new InputError(`a Slurm array of ${n} tasks, but the count given is ${given}`, {
          option: 'shard',
          value: 'auto',
        });
      }
      if (n === given && min !== 0) {
        throw new InputError(
          `with the count given, Slurm task ids count from 0, but this array runs ${min}..${min + n - 1}: use --array=0-${n - 1}`,
          { option: 'shard', value: 'auto' },
        );
      }
      found.push({ index: id + 1, count: given, source: `Slurm array task ${id} of ${given}` });
    }
  }
  if (env.AWS_BATCH_JOB_ARRAY_INDEX !== undefined) {
    const i = whole(env, 'AWS_BATCH_JOB_ARRAY_INDEX');
    const n = whole(env, 'AWS_BATCH_JOB_ARRAY_SIZE');
    found.push({ index: i + 1, count: n, source: `AWS Batch array index ${i} of ${n}` });
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    const i = whole(env, 'JOB_COMPLETION_INDEX');
    const n = count ?? (env.L2BENCH_SHARD_COUNT === undefined ? undefined : whole(env, 'L2BENCH_SHARD_COUNT'));
    if (n === undefined) {
      throw new InputError(
        'a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) does not say how many completions there are: give --shard auto/N or L2BENCH_SHARD_COUNT',
        { option: 'shard', value: 'auto' },
      );
    }
    found.push({ index: i + 1, count: n, source: `Kubernetes completion index ${i} of ${n}` });
  }
  if (found.length === 0) {
    throw new InputError(
      'no array-job variables set (SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX)',
      { option: 'shard', value: 'auto' },
    );
  }
  if (found.length > 1) {
    throw new InputError(
      `array-job variables of more than one engine are set (${found.map((f) => f.source).join('; ')})`,
      {
        option: 'shard',
        value: 'auto',
      },
    );
  }
  const shard = found[0] as ShardFromEnv;
  if (count !== undefined && count !== shard.count) {
    throw new InputError(`${shard.source}, but the count given is ${count}`, {
      option: 'shard',
      value: `auto/${count}`,
    });
  }
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) {
    throw new InputError(`${shard.source}: the index is outside the array`, { option: 'shard', value: 'auto' });
  }
  return shard;
}
