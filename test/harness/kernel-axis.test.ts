import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { type KernelVersion, planBenchmark, runBenchmark, type Strategy, writeResults } from '../../index.ts';
import { readRun } from '../../results/read-run.ts';
import { fullPage } from '../../strategies/full-page.ts';
import { tempDir } from '../tmp.ts';

const tmp = () => tempDir('l2bench-kernel-axis-');

/** full-page, but each instance says which kernel and RAM it was created for (in its work counters). */
const spy: Strategy = {
  ...fullPage,
  name: 'kernel-spy',
  create(ctx) {
    const inner = fullPage.create(ctx);
    const seen: Record<KernelVersion, number> = { '5.1': 51, '6.1': 61, '6.18': 618 };
    const work = { kernel: seen[ctx.kernel ?? '5.1'], totalram_pages: ctx.totalramPages ?? -1 };
    return Object.assign(Object.create(inner) as typeof inner, { work });
  },
};

describe('the kernel axis', () => {
  it('is v5.1 when not asked: one cell per (workload, strategy, cpus, seed), the kernel column 5.1', async () => {
    const run = await runBenchmark({ workloads: ['hold:tables=4'], strategies: [spy], throughput: false });
    expect(run.records.map((r) => [r.kernel, r.detail.work.kernel])).toEqual([['5.1', 51]]);
    expect(run.provenance.kernels).toEqual(['5.1']);
    // The default machine: 4 GiB of DRAM = 1,048,576 pages, as totalram_pages() would say.
    expect(run.records[0]?.detail.work.totalram_pages).toBe(1 << 20);
  });

  it('runs every cell under each kernel asked for, and StrategyContext.kernel carries it', async () => {
    const run = await runBenchmark({
      workloads: ['hold:tables=1..2'],
      strategies: [spy, 'full-page'],
      kernels: ['5.1', '6.18', '5.1'],
      cpus: [1, 2],
      throughput: false,
    });
    // workload × cpus × kernel × strategy, a kernel named twice once.
    expect(run.cells).toBe(2 * 2 * 2 * 2);
    expect(run.records.slice(0, 4).map((r) => [r.workload, r.cpus, r.kernel, r.strategy])).toEqual([
      ['hold:tables=1', 1, '5.1', 'kernel-spy'],
      ['hold:tables=1', 1, '5.1', 'full-page'],
      ['hold:tables=1', 1, '6.18', 'kernel-spy'],
      ['hold:tables=1', 1, '6.18', 'full-page'],
    ]);
    for (const r of run.records.filter((x) => x.strategy === 'kernel-spy')) {
      expect(r.detail.work.kernel).toBe(r.kernel === '6.18' ? 618 : 51);
    }
    expect(run.provenance.kernels).toEqual(['5.1', '6.18']);
    const dir = tmp();
    await writeResults(dir, run);
    const [header, first] = readFileSync(join(dir, 'results.csv'), 'utf8').split('\n');
    expect(header?.split(',').slice(0, 8)).toEqual([
      'workload',
      'strategy',
      'platform',
      'cpus',
      'kernel',
      'seed',
      'applicable',
      'events',
    ]);
    expect(first?.split(',').slice(0, 7)).toEqual(['hold:tables=1', 'kernel-spy', 'mt8173', '1', '5.1', '1', 'true']);
  });

  it('gives worker threads the kernel: --jobs 2 records what a serial run does', async () => {
    const o = {
      workloads: ['churn:live=40,ops=400,order=random,cpus=spread'],
      strategies: ['slab-dma32', 'page-frag', 'dma-pool:coherent_pool=0'],
      kernels: ['6.18'],
      throughput: false as const,
    };
    const serial = await runBenchmark(o);
    const parallel = await runBenchmark({ ...o, jobs: 2 });
    const strip = (rs: typeof serial.records) => rs.map((r) => ({ ...r, detail: { ...r.detail, cell: 0 } }));
    expect(parallel.records.map((r) => r.kernel)).toEqual(['6.18', '6.18', '6.18']);
    expect(strip(parallel.records)).toEqual(strip(serial.records));
  });

  it('refuses a kernel it does not model, naming the option, before any work', async () => {
    const refused = planBenchmark({ workloads: ['hold'], kernels: ['5.1', '6.19'] });
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toMatchObject({
      input: { option: 'kernels', value: '6.19' },
      problem: 'not a kernel l2bench models (allowed: 5.1, 6.1, 6.18)',
    });
    await expect(planBenchmark({ workloads: ['hold'], kernels: [] })).rejects.toMatchObject({
      input: { option: 'kernels' },
    });
  });

  it('makes the kernel part of the plan: another kernel is another plan hash', async () => {
    const a = await planBenchmark({ workloads: ['hold:tables=8'], strategies: ['slab-dma32'] });
    const b = await planBenchmark({ workloads: ['hold:tables=8'], strategies: ['slab-dma32'], kernels: ['6.18'] });
    expect(a.plan.cells).toBe(b.plan.cells);
    expect(a.plan.sha256).not.toBe(b.plan.sha256);
  });

  it('takes `kernel:` from a suite as text, and refuses numbers (YAML reads 5.10 as 5.1) and others with the field', async () => {
    const dir = tmp();
    const suite = (kernel: string) => {
      const file = join(dir, `s${kernel.length}${Math.random()}.yaml`);
      writeFileSync(file, `name: k\nkernel: ${kernel}\ngroups:\n  - name: g\n    workloads: ['hold:tables=2']\n`);
      return file;
    };
    const plan = await planBenchmark({ suite: suite(`['5.1', "6.18"]`), strategies: ['full-page'] });
    expect(plan.cells.map((c) => c.kernel)).toEqual(['5.1', '6.18']);
    // A flag overrides the suite.
    const flags = await planBenchmark({
      suite: suite(`['5.1', '6.18']`),
      strategies: ['full-page'],
      kernels: ['6.18'],
    });
    expect(flags.cells.map((c) => c.kernel)).toEqual(['6.18']);
    await expect(planBenchmark({ suite: suite(`['5.1', '6.2']`) })).rejects.toThrow(
      /: kernel\.1: expected one of 5\.1, 6\.1, 6\.18$/,
    );
    await expect(planBenchmark({ suite: suite(`['5.1', 6.18]`) })).rejects.toThrow(
      /: kernel\.1: 6\.18 is a number: write kernel versions as text, quoted \('6\.18'\)/,
    );
  });

  it('reads a results.json written before the axis (no kernel anywhere) as v5.1', async () => {
    const run = await runBenchmark({ workloads: ['hold:tables=2'], strategies: ['full-page'], throughput: false });
    const old = JSON.parse(JSON.stringify(run));
    delete old.provenance.kernels;
    for (const r of old.records) delete r.kernel;
    const file = join(tmp(), 'results.json');
    writeFileSync(file, JSON.stringify(old));
    const back = readRun(file);
    expect(back.records[0]?.kernel).toBe('5.1');
    expect(back.records[0]?.peak_footprint_bytes).toBe(run.records[0]?.peak_footprint_bytes);
  });
});
