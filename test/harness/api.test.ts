import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import packedPage from '../../examples/my-strategy.ts';
import { CSV_COLUMNS, planBenchmark, type RunResult, runBenchmark, type Strategy, writeResults } from '../../index.ts';
import { renderMarkdown } from '../../results/markdown.ts';
import { analyse } from '../../results/report/analyse.ts';
import { tempDir } from '../tmp.ts';

const tmp = () => tempDir('l2bench-api-');
const HOLDS = [1, 2, 4, 8];

describe('programmatic API', () => {
  it('runs a hold sweep for two strategies and meters full-page at one page per table', async () => {
    const progress: number[] = [];
    const run = await runBenchmark({
      workloads: ['hold:tables=1..8'],
      strategies: ['full-page', 'slab-dma32'],
      throughput: false,
      cpus: [2],
      onProgress: (done, total) => progress.push(done, total),
    });
    expect(run.schema).toBe('l2bench-run/2');
    expect(run.complete).toBe(true);
    expect(run.missing).toEqual([]);
    expect(run.records).toHaveLength(HOLDS.length * 2);
    expect(run.cells).toBe(8);
    expect(run.interrupted).toBe(false);
    expect(run.provenance.throughput_time_ms).toBeNull();
    expect(run.provenance.suite).toBe('');
    expect(progress.slice(-2)).toEqual([8, 8]);
    expect(run.records.map((r) => [r.workload, r.strategy])).toEqual(
      HOLDS.flatMap((n) => [
        [`hold:tables=${n}`, 'full-page'],
        [`hold:tables=${n}`, 'slab-dma32'],
      ]),
    );
    for (const r of run.records) {
      expect(r.cpus).toBe(2);
      expect(r.seed).toBe(1);
      expect(r.ops_per_sec).toBeNull();
      expect(r.detail.samples).toEqual([]);
    }
    const fullPage = run.records.filter((r) => r.strategy === 'full-page');
    expect(fullPage.map((r) => r.peak_footprint_bytes)).toEqual(HOLDS.map((n) => n * 4096));
    expect(fullPage.map((r) => r.peak_live_tables)).toEqual(HOLDS);
  });

  it('runs a Strategy object passed directly, under the checker, beside a built-in', async () => {
    const strategy: Strategy = packedPage;
    const run = await runBenchmark({
      workloads: ['hold:tables=1..8', 'churn:live=37,ops=3000,order=random,cpus=spread'],
      strategies: [strategy, 'full-page'],
      throughput: false,
      check: true,
    });
    expect(run.records).toHaveLength((HOLDS.length + 1) * 2);
    const packed = run.records.filter((r) => r.strategy === 'packed-page');
    // Four tables per page: ⌈N / 4⌉ pages.
    expect(packed.slice(0, HOLDS.length).map((r) => r.peak_footprint_bytes)).toEqual(
      HOLDS.map((n) => Math.ceil(n / 4) * 4096),
    );
    const churn = packed[HOLDS.length];
    expect(churn?.alloc_failures).toBe(0);
    expect(churn?.dma32_violations).toBe(0);
    expect(churn?.reuse_rate).toBeGreaterThan(0.5);
    expect(churn?.detail.work.refills).toBeGreaterThan(0);
  });

  it('says in the report when the cost table has no entry for a strategy, whose kernel cost stays empty', async () => {
    const run = await runBenchmark({
      workloads: ['hold:tables=8'],
      strategies: [packedPage, 'full-page'],
      throughput: false,
    });
    expect(run.records.map((r) => [r.strategy, r.kernel_ns_per_op === null])).toEqual([
      ['packed-page', true],
      ['full-page', false],
    ]);
    expect(renderMarkdown(analyse(run))).toContain(
      'No entry in the cost table for packed-page: its modelled kernel cost is empty (–). Add one to results/costs/default.yaml, or pass --costs FILE.',
    );
  });

  it('runs a module path with parameters, as the CLI does', async () => {
    const run = await runBenchmark({
      workloads: ['hold:tables=5'],
      strategies: ['./examples/my-strategy.ts:slots=2'],
      throughput: false,
    });
    expect(run.records.map((r) => [r.strategy, r.peak_footprint_bytes])).toEqual([['packed-page:slots=2', 3 * 4096]]);
  });

  it('says in the report which user modules ran without the invariant checker, and only those', async () => {
    const run = (check?: boolean) =>
      runBenchmark({
        workloads: ['hold:tables=2'],
        strategies: ['./examples/my-strategy.ts', 'full-page'],
        throughput: false,
        ...(check === undefined ? {} : { check }),
      });
    const unchecked = await run(false);
    // full-page is built in: never checked unless asked, and never called unchecked.
    expect(unchecked.provenance.unchecked_strategies).toEqual(['packed-page']);
    expect(renderMarkdown(analyse(unchecked))).toContain(
      'packed-page ran without the invariant checker (--no-check): a bad address, an overlap or a double free would not have failed its cells, so its figures are unchecked.',
    );
    const checked = await run();
    expect(checked.provenance.unchecked_strategies).toEqual([]);
    expect(renderMarkdown(analyse(checked))).not.toContain('without the invariant checker');
  });

  it("reports a user's module exactly like a built-in: its own declared placement", async () => {
    // packed-page declares placement 'dma32'; a copy of it declaring 'any' must be reported as 'any'.
    const anywhere: Strategy = { ...packedPage, name: 'packed-anywhere', placement: 'any' };
    const run = await runBenchmark({
      workloads: ['hold:tables=8'],
      strategies: ['./examples/my-strategy.ts', anywhere, 'slab-normal'],
      throughput: false,
    });
    expect(run.records.map((r) => [r.strategy, r.detail.placement, r.detail.workload_category])).toEqual([
      ['packed-page', 'dma32', 'synthetic'],
      ['packed-anywhere', 'any', 'synthetic'],
      ['slab-normal', 'any', 'synthetic'],
    ]);
    const report = analyse(run);
    expect(report.answers[0]?.constraints.map((c) => [c.strategy, c.placement])).toEqual([
      ['packed-page', 'dma32'],
      ['packed-anywhere', 'any'],
      ['slab-normal', 'any'],
    ]);
    expect(renderMarkdown(report)).toMatch(/^\| packed-page \| DMA32 \| 0 \| 0 \| ok \|$/m);
  });

  it("takes a suite's trace paths (trace:file=, iommu:trace=) from the suite file's folder", async () => {
    const dir = tmp();
    const map =
      'kworker/0:1-42 [000] ..... 12.345678: map: IOMMU: iova=0x0000000000100000 - 0x0000000000101000 paddr=0x0000000040000000 size=4096';
    writeFileSync(join(dir, 'device.trace'), `${map}\n`);
    writeFileSync(join(dir, 'tables.trace'), 'alloc,1\nfree,1\n');
    writeFileSync(
      join(dir, 'suite.yaml'),
      'name: here\nthroughput: false\ngroups:\n  - name: g\n    workloads: [iommu:trace=device.trace, trace:file=tables.trace]\n',
    );
    const run = await runBenchmark({ suite: join(dir, 'suite.yaml'), strategies: ['full-page'] });
    const rel = relative(process.cwd(), dir);
    expect(run.records.map((r) => [r.workload, r.allocs])).toEqual([
      [`iommu:trace=${rel}/device.trace,teardown=0`, 1],
      [`trace:file=${rel}/tables.trace,size=1024`, 1],
    ]);
  });

  it('plans without running and refuses bad input', async () => {
    const plan = await planBenchmark({ workloads: ['hold:tables=1..8'], strategies: ['full-page'], cpus: [1, 2] });
    expect(plan.cells).toHaveLength(8);
    expect(plan.timeMs).toBe(100);
    await expect(runBenchmark({ workloads: ['nope'] })).rejects.toThrow(/^unknown workload 'nope'/);
    await expect(runBenchmark({ suite: 'default', workloads: ['hold'] })).rejects.toThrow(/cannot be used together/);
  });

  it('stops before the first cell when the signal is already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const run = await runBenchmark({
      workloads: ['hold:tables=1..8'],
      strategies: ['full-page'],
      throughput: false,
      signal: abort.signal,
    });
    expect(run.interrupted).toBe(true);
    expect(run.records).toEqual([]);
    expect(run.cells).toBe(4);
  });

  it('writes results.csv and results.json', async () => {
    const run: RunResult = await runBenchmark({
      workloads: ['hold:tables=1..8'],
      strategies: ['full-page', 'slab-dma32'],
      throughput: false,
      cpus: [2],
    });
    const dir = tmp();
    const files = await writeResults(dir, run);
    expect(files).toEqual([join(dir, 'results.csv'), join(dir, 'results.json')]);
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
    const lines = readFileSync(join(dir, 'results.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + 8);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
    expect(json.records).toHaveLength(8);
    expect(json.records[0]?.detail.series.event.length).toBeGreaterThan(0);
    expect(json).toEqual(JSON.parse(JSON.stringify(run)));
    expect(await writeResults(tmp(), run, ['json'])).toHaveLength(1);
    await expect(writeResults(tmp(), run, ['xml'])).rejects.toThrow(/unknown format 'xml'/);
  });
});
