import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../harness/benchmark.ts';

/**
 * A run of one cell hands its worker the task `alone` (harness/cell-executors.ts): the worker
 * replays the stream as it reads it, chunk by chunk, instead of holding the whole stream first for
 * cells that never come. The record must be the one a held stream gives.
 */
describe("a run's only cell, replayed as its stream is read", () => {
  // churn: L + N events, L + ⌊N/2⌋ allocations, ⌈N/2⌉ frees, peak live L; 20,064 events, several chunks of 4,096.
  const workload = 'churn:live=64,ops=20000';
  const run = (strategies: string[]) => runBenchmark({ strategies, workloads: [workload], throughput: false, jobs: 1 });

  it('gives the record of the same cell replayed from a held stream', async () => {
    const [alone] = (await run(['full-page'])).records;
    const held = (await run(['full-page', 'slab-dma32'])).records.find((r) => r.strategy === 'full-page');
    expect(alone).toMatchObject({ events: 20_064, allocs: 64 + 10_000, frees: 10_000, peak_live_tables: 64 });
    expect(alone).toEqual(held);
  });
});
