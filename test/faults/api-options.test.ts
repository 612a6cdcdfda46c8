import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { BenchmarkOptions } from '../../harness/benchmark.ts';
import type { benchmarkOptionsSchema } from '../../harness/options.ts';
import { planBenchmark, runBenchmark } from '../../index.ts';

/**
 * The fault battery, the API's options (issue 20, item 5): runBenchmark and planBenchmark check them
 * with one schema, in the ranges the CLI's flags have, and refuse unknown keys, each with the message
 * known in advance.
 */
describe('fault battery: the API checks its options as the CLI does', () => {
  const base = { workloads: ['hold:tables=1'], strategies: ['full-page'], throughput: false as const };

  it.each([
    [{ ...base, seeds: [-1] }, 'seeds -1: expected a whole number from 0 to 2147483647'],
    [{ ...base, seeds: [1.5] }, 'seeds 1.5: expected a whole number from 0 to 2147483647'],
    [{ ...base, seeds: [2 ** 40] }, 'seeds 1099511627776: expected a whole number from 0 to 2147483647'],
    [{ ...base, jobs: Number.POSITIVE_INFINITY }, 'jobs Infinity: expected a whole number from 1 to 256'],
    [{ ...base, throughput: { timeMs: -1 } }, 'throughput timeMs=-1: expected a whole number from 1 to 600000'],
    [
      { ...base, cellTimeoutMs: 2_147_484_000 },
      "cellTimeout 2147484000: expected milliseconds from 1 to 2147483647 (the timer's limit)",
    ],
    [{ ...base, cpus: [0] }, 'cpus 0: expected a whole number from 1 to 4096'],
    [{ ...base, rounds: 0 }, 'rounds 0: expected a whole number from 1 to 1000'],
    [{ ...base, kernels: [5.1] }, "kernels 5.1: expected a version as text ('5.1')"],
    [{ ...base, seed: [1] }, "unknown option 'seed'"],
    [{ ...base, shard: { index: 3, count: 2 } }, 'shard: index must be at most count'],
    [{ ...base, workloads: 'hold:tables=1' }, 'workloads "hold:tables=1": expected a list'],
    [null, 'the options must be an object, not null'],
    [7, 'the options must be an object, not 7'],
  ])('planBenchmark and runBenchmark refuse %j: %s', async (options, message) => {
    await expect(planBenchmark(options as BenchmarkOptions)).rejects.toMatchObject({ name: 'InputError', message });
    await expect(runBenchmark(options as BenchmarkOptions)).rejects.toMatchObject({ name: 'InputError', message });
  });

  it('takes what the CLI takes at the ends of each range', async () => {
    const plan = await planBenchmark({ ...base, seeds: [0, 2 ** 31 - 1], cpus: [1, 4], cellTimeoutMs: 2 ** 31 - 1 });
    expect(plan.cells.map((c) => [c.seed, c.machine.cpus])).toEqual([
      [0, 1],
      [2 ** 31 - 1, 1],
      [0, 4],
      [2 ** 31 - 1, 4],
    ]);
  });

  it('names every option of BenchmarkOptions in its schema, and no other (checked by tsc)', () => {
    type SchemaKeys = keyof z.infer<ReturnType<typeof benchmarkOptionsSchema>>;
    type Missing = Exclude<keyof BenchmarkOptions, SchemaKeys>;
    type Extra = Exclude<SchemaKeys, keyof BenchmarkOptions>;
    const same: [Missing, Extra] extends [never, never] ? true : false = true;
    expect(same).toBe(true);
  });
});
