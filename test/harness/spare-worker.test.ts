import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handFirstCell, planBenchmark, planCommandRun, runBenchmark } from '../../harness/benchmark.ts';
import { dropSpare, spareState, startSpareWorker } from '../../harness/spare-worker.ts';
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

/**
 * A strategy module whose create() runs `body` in a worker thread first (then serves nothing): it
 * appends a line to `log` at each create, so a test can count how often its cell was replayed.
 */
function strategyModule(dir: string, name: string, body: string): { file: string; log: string } {
  const file = join(dir, `${name}.mjs`);
  const log = join(dir, `${name}.log`);
  writeFileSync(log, '');
  const errors = new URL('../../core/errors.ts', import.meta.url).href;
  writeFileSync(
    file,
    `import { appendFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { InputError } from ${JSON.stringify(errors)};
export default { name: '${name}', description: 'x', placement: 'dma32', params: {},
  create: () => {
    appendFileSync(${JSON.stringify(log)}, 'create\\n');
    if (!isMainThread) { ${body} }
    return { work: {}, metadataBytes: () => 0, strandedBytes: () => 0, alloc: () => -1, free() {} };
  } };\n`,
  );
  return { file, log };
}

/** Plan a run of this module, its spare ready, then hand it the first cell (as the CLI does). */
async function handedEarly(file: string) {
  const o = { strategies: [file], workloads: ['hold:tables=3'], throughput: false } as const;
  const plan = await planBenchmark(o);
  await vi.waitFor(() => expect(spareState()).toBe('ready'), STARTED);
  handFirstCell(plan);
  expect(spareState()).toBe('working');
  return { o, plan };
}

describe('the first cell handed to the spare before the run takes it (the CLI, while the session loads)', () => {
  it("is replayed once: the run takes the worker's answer as its first cell's", async () => {
    const { file, log } = strategyModule(tempDir('l2bench-early-'), 'early-once', '');
    const { o, plan } = await handedEarly(file);
    await vi.waitFor(() => expect(spareState()).toBe('answered'), STARTED);
    const result = await runBenchmark(o, plan);
    // Its strategy refuses every table (alloc returns -1): hold:tables=3, 3 failed allocations.
    expect(result.complete).toBe(true);
    expect(result.records.map((r) => r.alloc_failures)).toEqual([3]);
    expect(readFileSync(log, 'utf8')).toBe('create\n');
    expect(spareState()).toBe('none');
  });

  it('handed while the worker still loads: the worker finds it when it starts listening, replays it once', async () => {
    const dir = tempDir('l2bench-early-');
    const gate = join(dir, 'gate');
    const { file, log } = strategyModule(dir, 'early-gated', '');
    // The worker cannot finish loading this module before the gate exists: it is still starting when handed the cell.
    writeFileSync(
      file,
      `import { existsSync } from 'node:fs';
import { isMainThread as mainThread } from 'node:worker_threads';
if (!mainThread) while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 10));
${readFileSync(file, 'utf8')}`,
    );
    const o = { strategies: [file], workloads: ['hold:tables=3'], throughput: false } as const;
    const plan = await planBenchmark(o);
    expect(spareState()).toBe('starting');
    handFirstCell(plan);
    expect(spareState()).toBe('working');
    writeFileSync(gate, '');
    const result = await runBenchmark(o, plan);
    expect(result.records.map((r) => r.alloc_failures)).toEqual([3]);
    expect(readFileSync(log, 'utf8')).toBe('create\n');
    expect(spareState()).toBe('none');
  });

  it('is not handed when its throughput is timed: the spare waits for the run, which times the cell with this thread idle', async () => {
    const { file, log } = strategyModule(tempDir('l2bench-early-'), 'early-timed', '');
    const o = { strategies: [file], workloads: ['hold:tables=3'], throughput: { timeMs: 1 }, rounds: 1 } as const;
    const plan = await planBenchmark(o);
    expect(plan.timeMs).toBe(1);
    expect(plan.cells[0]?.timed).toBe(true);
    await vi.waitFor(() => expect(spareState()).toBe('ready'), STARTED);
    handFirstCell(plan);
    expect(spareState()).toBe('ready');
    const result = await runBenchmark(o, plan);
    expect(result.records.map((r) => r.alloc_failures)).toEqual([3]);
    expect(readFileSync(log, 'utf8')).toMatch(/^create\n/);
  });

  it("runs past the timeout: lost to it, with the pool's line", async () => {
    const { file } = strategyModule(tempDir('l2bench-early-'), 'early-hangs', 'for (;;) {}');
    const { o, plan } = await handedEarly(file);
    const result = await runBenchmark({ ...o, cellTimeoutMs: 1000 }, plan);
    expect(result.missing.map((m) => [m.reason, m.error])).toEqual([['timeout', 'stopped after 1 s (cell timeout)']]);
    expect(result.complete).toBe(false);
    expect(spareState()).toBe('none');
  });

  it('a worker that dies on it: the cell failed, as under the pool', async () => {
    const { file } = strategyModule(tempDir('l2bench-early-'), 'early-exits', 'process.exit(7);');
    const { o, plan } = await handedEarly(file);
    await vi.waitFor(() => expect(spareState()).toBe('answered'), STARTED);
    const result = await runBenchmark(o, plan);
    expect(result.missing.map((m) => [m.reason, m.error])).toEqual([
      ['failed', 'the worker thread exited with code 7'],
    ]);
    expect(spareState()).toBe('none');
  });

  it("bad input found by it stops the run with that input's error, as from the pool", async () => {
    const { file } = strategyModule(
      tempDir('l2bench-early-'),
      'early-input',
      "throw new InputError('early-input: this cell is refused');",
    );
    const { o, plan } = await handedEarly(file);
    await vi.waitFor(() => expect(spareState()).toBe('answered'), STARTED);
    await expect(runBenchmark(o, plan)).rejects.toThrow('early-input: this cell is refused');
    expect(spareState()).toBe('none');
  });

  it('a run stopped before it starts, or whose first cell is another, terminates the worker and its cell', async () => {
    const dir = tempDir('l2bench-early-');
    const hangs = strategyModule(dir, 'early-stopped', 'for (;;) {}');
    const { o, plan } = await handedEarly(hangs.file);
    const stopped = await runBenchmark({ ...o, signal: AbortSignal.abort() }, plan);
    expect(stopped.interrupted).toBe(true);
    expect(spareState()).toBe('none');
    // Handed the cell of another plan (3 tables), a run of 4 starts its own worker: 4 pages, not 3.
    await handedEarly(strategyModule(dir, 'early-other', '').file);
    const four = { ...options, workloads: ['hold:tables=4'] };
    const other = await runBenchmark(four, await planBenchmark(four));
    expect(other.records.map((r) => r.peak_footprint_bytes)).toEqual([4 * 4096]);
    expect(spareState()).toBe('none');
  });
});

describe("the CLI's plan: its first cell handed out (planCommandRun)", () => {
  it('refuses what planBenchmark refuses in the plan, with the same error, and leaves no worker replaying', async () => {
    const bad = { ...options, workloads: ['hold:tables=1', 'churny:live=4'] };
    const before = await planBenchmark(bad).catch((e: Error) => e.message);
    expect(before).toMatch(/^unknown workload 'churny'/);
    await expect(planCommandRun(bad)).rejects.toThrow(before as string);
    expect(spareState()).toBe('none');
  });

  it('hands the first cell to the spare, which the run then takes', async () => {
    startSpareWorker([]);
    await vi.waitFor(() => expect(spareState()).toBe('ready'), STARTED);
    const plan = await planCommandRun(options);
    expect(['working', 'answered']).toContain(spareState());
    expect((await runBenchmark(options, plan)).records.map((r) => r.peak_footprint_bytes)).toEqual([PEAK_BYTES]);
    expect(spareState()).toBe('none');
  });
});
