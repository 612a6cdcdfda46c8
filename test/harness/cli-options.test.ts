import { describe, expect, it } from 'vitest';
import { optionsOf, type RunFlags } from '../../cli/commands/run.ts';
import { checkBenchmarkOptions, LIMITS } from '../../harness/options.ts';

/**
 * The CLI's run is planned without the API's schema (planCommandRun, so that a run loads no zod):
 * every option object its flags give must be one the schema takes, and what the schema would refuse
 * the flags' own checks refuse first.
 */
const flags = (more: Partial<RunFlags>): RunFlags => ({ throughput: true, format: 'csv', ...more });

describe("the run command's options, from its flags checked one by one", () => {
  it.each<[string, Partial<RunFlags>]>([
    ['the fewest flags', {}],
    [
      'every flag, at the low end of each range',
      {
        strategy: 'full-page, genalloc:algo=best,,slab-dma32',
        workload: ['hold:tables=1', 'churn:live=4,ops=10'],
        cpus: String(LIMITS.cpus.min),
        kernel: '6.1,',
        platform: ' mt8173 ',
        seed: String(LIMITS.seeds.min),
        machine: 'dram=8G',
        check: false,
        jobs: String(LIMITS.jobs.min),
        shard: '1/1',
        costs: 'costs.yaml',
        cellTimeout: String(LIMITS.cellTimeoutMs.min / 1000),
        time: String(LIMITS.timeMs.min),
        rounds: String(LIMITS.rounds.min),
      },
    ],
    [
      'every flag, at the high end of each range',
      {
        suite: 'default',
        cpus: `1,${LIMITS.cpus.max}`,
        kernel: '',
        platform: '',
        seed: String(LIMITS.seeds.max),
        check: true,
        jobs: String(LIMITS.jobs.max),
        shard: `${LIMITS.shard.max}/${LIMITS.shard.max}`,
        cellTimeout: String(LIMITS.cellTimeoutMs.max / 1000),
        time: String(LIMITS.timeMs.max),
        rounds: String(LIMITS.rounds.max),
      },
    ],
    ['without throughput', { throughput: false, workload: ['hold'] }],
  ])('%s: the API schema takes them', (_, more) => {
    expect(() => checkBenchmarkOptions(optionsOf(flags(more)))).not.toThrow();
  });

  it.each<[string, Partial<RunFlags>, Record<string, unknown>, RegExp]>([
    ['an empty --workload', { workload: ['hold', ''] }, { workloads: ['hold', ''] }, /^--workload "": an empty spec/],
    [
      'a shard count past the range',
      { shard: `1/${LIMITS.shard.max + 1}` },
      { shard: { index: 1, count: LIMITS.shard.max + 1 } },
      /^--shard 1\/2147483648: 2147483648 shards is out of range \(allowed 1\.\.2147483647\)$/,
    ],
  ])('%s: refused by the flags, as the schema refuses it', (_, more, api, message) => {
    expect(() => optionsOf(flags(more))).toThrow(message);
    expect(() => checkBenchmarkOptions(api)).toThrow();
  });
});
