import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../harness/benchmark.ts';
import type { Cell } from '../../harness/cell.ts';
import type { LiveRun } from '../../harness/live-run.ts';
import { notRunJson } from '../../harness/not-run-json.ts';
import { ENTRY_SEPARATOR } from '../../results/json.ts';
import type { MissingCell } from '../../results/run-schema.ts';
import { textOf } from '../../results/run-source.ts';
import { tempDir } from '../tmp.ts';

/** A cell as notRunJson reads it, and its entry as benchmark.ts makes it. */
function fakeCell(i: number, over: { workload: string; strategy: string; cpus: number; module: string | null }) {
  const cell = {
    workload: { spec: over.workload },
    strategyLabel: over.strategy,
    platform: 'mt8173',
    machine: { cpus: over.cpus },
    kernel: '6.1',
    seed: 7,
    source: { module: over.module, index: i },
  } as unknown as Cell;
  const entry: MissingCell = {
    workload: over.workload,
    strategy: over.strategy,
    platform: 'mt8173',
    cpus: over.cpus,
    kernel: '6.1',
    seed: 7,
    module: over.module,
    reason: 'not run',
    step: null,
    error: null,
    cell: i,
  };
  return { cell, entry };
}

describe('the entries of cells not run, made from pieces', () => {
  it('are JSON.stringify of each entry, whatever its strings hold and whichever pieces it shares', () => {
    const workloads = ['hold:tables=1', 'trace:file="a\\b é.trace"', 'churn:live=2,ops=3'];
    const made = workloads.flatMap((workload, w) =>
      [
        { strategy: 'full-page', cpus: 4, module: null },
        { strategy: '/tmp/mine "x".ts:k=1', cpus: 1, module: '/tmp/mine "x".ts' },
        { strategy: 'full-page', cpus: 1, module: null },
      ].map((s, k) => fakeCell(3 * w + k, { workload, ...s })),
    );
    let asked = 0;
    const json = notRunJson(
      made.map((m) => m.cell),
      (i) => {
        asked++;
        return made[i]?.entry ?? null;
      },
    );
    expect(made.map((_, i) => json(i))).toEqual(made.map((m) => JSON.stringify(m.entry)));
    // One entry made whole for each of the 3 kinds of rest; the other 6 cells from pieces.
    expect(asked).toBe(3);
  });

  it('makes an entry of another shape whole: a field it does not know of, or a cell with no number', () => {
    const a = fakeCell(0, { workload: 'hold:tables=1', strategy: 'full-page', cpus: 4, module: null });
    const b = fakeCell(1, { workload: 'hold:tables=2', strategy: 'slab-dma32', cpus: 4, module: null });
    const extra = { ...a.entry, arch: 'arm64' } as MissingCell;
    const { cell: _, ...numberless } = b.entry;
    const entries = [extra, numberless as MissingCell];
    const json = notRunJson([a.cell, b.cell], (i) => entries[i] ?? null);
    expect([json(0), json(1)]).toEqual(entries.map((e) => JSON.stringify(e)));
  });

  it('are those of a real plan (strategies, a module, CPU counts, kernels, seeds, platforms): results.json lists the same cells either way', async () => {
    const module = join(tempDir('l2bench-not-run-'), 'mine.mjs');
    writeFileSync(
      module,
      `export default { name: 'mine', description: 'a test strategy', placement: 'dma32', params: {},
  create: () => ({ work: {}, metadataBytes: () => 0, strandedBytes: () => 0, alloc() { return 0; }, free() {} }) };
`,
    );
    const abort = new AbortController();
    let live: LiveRun | null = null;
    await runBenchmark({
      strategies: ['full-page', 'slab-dma32:min_order=1', module],
      workloads: ['hold:tables=1..3', 'churn:live=2,ops=2'],
      cpus: [1, 4],
      kernels: ['5.1', '6.1'],
      seeds: [1, 2],
      platforms: ['mt8173', 'coherent-v7s'],
      throughput: false,
      signal: abort.signal,
      onStart: (l) => {
        live = l;
        abort.abort();
      },
    });
    const run = live as LiveRun | null;
    if (!run) throw new Error('the run never started');
    const listed = [...run.missingJson()].map(textOf).join(ENTRY_SEPARATOR).split(ENTRY_SEPARATOR);
    const made = [...run.missing()].map((m) => JSON.stringify(m));
    expect(made).toHaveLength(3 * 4 * 2 * 2 * 2 * 2);
    expect(listed).toEqual(made);
  });
});
