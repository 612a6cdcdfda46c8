import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { planBenchmark, runBenchmark } from '../../harness/benchmark.ts';
import { dropSpare, spareState, startSpareWorker } from '../../harness/parallel.ts';
import { tempDir } from '../tmp.ts';

// A liveness bound for a worker thread to load, not a speed assertion.
const STARTED = { timeout: 60_000, interval: 20 };
const options = { strategies: ['full-page'], workloads: ['hold:tables=3'], throughput: false } as const;

/** full-page holds one 4 KiB page per live table: 3 tables, 3 pages. */
const PEAK_BYTES = 3 * 4096;

afterEach(() => dropSpare());

describe('the worker a plan starts ahead of its run', () => {
  it('is started by the plan and taken by the run, also when it said it was ready before the run listened', async () => {
    const plan = await planBenchmark(options);
    expect(spareState()).not.toBe('none');
    await vi.waitFor(() => expect(spareState()).toBe('ready'), STARTED);
    const result = await runBenchmark(options, plan);
    expect(result.complete).toBe(true);
    expect(result.records.map((r) => r.peak_footprint_bytes)).toEqual([PEAK_BYTES]);
    expect(spareState()).toBe('none');
  });

  it('started by the CLI before the plan, is the one the plan keeps (same modules) and the run takes', async () => {
    startSpareWorker([]);
    await vi.waitFor(() => expect(spareState()).toBe('ready'), STARTED);
    // A new worker would be starting again: the plan kept the ready one.
    const plan = await planBenchmark(options);
    expect(spareState()).toBe('ready');
    expect((await runBenchmark(options, plan)).records.map((r) => r.peak_footprint_bytes)).toEqual([PEAK_BYTES]);
    expect(spareState()).toBe('none');
  });

  it('is dropped when the plan fails, and a run of strategy objects starts none', async () => {
    await expect(planBenchmark({ ...options, workloads: ['hold:tables=x'] })).rejects.toThrow(/tables/);
    expect(spareState()).toBe('none');
    const fullPage = (await import('../../strategies/full-page.ts')).fullPage;
    const plan = await planBenchmark({ ...options, strategies: [fullPage] });
    expect(spareState()).toBe('none');
    expect((await runBenchmark({ ...options, strategies: [fullPage] }, plan)).complete).toBe(true);
  });

  it('is not used by a run with other strategy modules, nor when it failed to start: the run starts its own worker', async () => {
    const dir = tempDir('l2bench-spare-');
    const plan = await planBenchmark(options);
    // A spare for another module replaces the plan's: the run cannot use it.
    const other = join(dir, 'other.mjs');
    writeFileSync(
      other,
      `export default { name: 'other', description: 'x', placement: 'dma32', params: {},
  create: () => ({ work: {}, metadataBytes: () => 0, strandedBytes: () => 0, alloc: () => -1, free() {} }) };\n`,
    );
    startSpareWorker([other]);
    await vi.waitFor(() => expect(spareState()).toBe('ready'), STARTED);
    expect((await runBenchmark(options, plan)).records.map((r) => r.peak_footprint_bytes)).toEqual([PEAK_BYTES]);
    expect(spareState()).toBe('none');
    // One that failed to start is dropped: the run's own worker meets the same failure and reports it.
    const workerFails = join(dir, 'worker-fails.mjs');
    writeFileSync(
      workerFails,
      `import { isMainThread } from 'node:worker_threads';
if (!isMainThread) throw new Error('no worker threads for this one');
export default { name: 'worker-fails', description: 'x', placement: 'dma32', params: {},
  create: () => ({ work: {}, metadataBytes: () => 0, strandedBytes: () => 0, alloc: () => -1, free() {} }) };\n`,
    );
    const failing = { ...options, strategies: [workerFails] };
    const failingPlan = await planBenchmark(failing);
    await vi.waitFor(() => expect(spareState()).toBe('failed'), STARTED);
    await expect(runBenchmark(failing, failingPlan)).rejects.toThrow(/no worker threads for this one/);
    expect(spareState()).toBe('none');
  });
});
