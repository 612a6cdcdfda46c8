import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { GiB } from '../../core/sizes.ts';
import { planBenchmark, runBenchmark, type Strategy } from '../../index.ts';
import { fullPage } from '../../strategies/full-page.ts';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/** full-page, but each instance says the CPUs and RAM of the machine it was created on (in its work counters). */
const spy: Strategy = {
  ...fullPage,
  name: 'machine-spy',
  create(ctx) {
    const inner = fullPage.create(ctx);
    const work = { cpus: ctx.cpus, totalram_pages: ctx.totalramPages ?? -1 };
    return Object.assign(Object.create(inner) as typeof inner, { work });
  },
};

const PAGES_PER_GIB = GiB / 4096;

describe('the platform axis', () => {
  it('is mt8173 on its board when not asked: 4 CPUs, 4 GiB, nothing overridden', async () => {
    const run = await runBenchmark({ workloads: ['hold:tables=2'], strategies: [spy], throughput: false });
    const r = run.records[0];
    expect([r?.platform, r?.cpus, r?.detail.work.totalram_pages]).toEqual(['mt8173', 4, 4 * PAGES_PER_GIB]);
    expect(r?.detail.machine_overrides).toEqual([]);
    expect(run.provenance.platforms).toEqual(['mt8173']);
  });

  it('runs each platform on its board and only under the kernels it runs, saying which it skipped', async () => {
    const o = {
      workloads: ['hold:tables=2'],
      strategies: [spy],
      platforms: ['mt8188', 'mt8173'],
      kernels: ['5.1', '6.18'],
      throughput: false as const,
    };
    const plan = await planBenchmark(o);
    // mt8188 (6.18 only) on 8 CPUs, first as asked first: its own workload stream (the events of 8 CPUs).
    expect(plan.notices).toEqual([
      'not planned: mt8188 under Linux 5.1, which that platform does not run (l2bench list platforms)',
    ]);
    const run = await runBenchmark(o, plan);
    expect(run.records.map((r) => [r.platform, r.kernel, r.cpus, r.detail.work.totalram_pages])).toEqual([
      ['mt8188', '6.18', 8, 8 * PAGES_PER_GIB],
      ['mt8173', '5.1', 4, 4 * PAGES_PER_GIB],
      ['mt8173', '6.18', 4, 4 * PAGES_PER_GIB],
    ]);
  });

  it('--cpus and --machine replace the board for every platform, and the record names what differs', async () => {
    const run = await runBenchmark({
      workloads: ['hold:tables=2'],
      strategies: [spy],
      platforms: ['mt8183', 'apq8064'],
      kernels: ['6.18'],
      cpus: [4],
      machine: 'dram=2G',
      throughput: false,
    });
    // mt8183's board: 8 CPUs, 4 GiB, so both differ; apq8064's: 4 CPUs, 2 GiB, so neither does.
    expect(
      run.records.map((r) => [r.platform, r.cpus, r.detail.work.totalram_pages, r.detail.machine_overrides]),
    ).toEqual([
      ['mt8183', 4, 2 * PAGES_PER_GIB, ['cpus', 'dram']],
      ['apq8064', 4, 2 * PAGES_PER_GIB, []],
    ]);
  });

  it('refuses a plan left empty by platforms that run none of the kernels, and an unknown platform', async () => {
    const base = { workloads: ['hold:tables=2'], strategies: ['full-page'], throughput: false as const };
    await expect(planBenchmark({ ...base, platforms: ['mt8188'], kernels: ['5.1'] })).rejects.toThrow(
      'nothing to run: not planned: mt8188 under Linux 5.1, which that platform does not run',
    );
    const e = await planBenchmark({ ...base, platforms: ['mt9999'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).input).toEqual({ option: 'platforms', value: 'mt9999' });
  });

  it('takes platform: from a suite and from a group, skipping quietly the kernels a platform does not run', async () => {
    const dir = tempDir('l2bench-platform-suite-');
    const file = join(dir, 'suite.yaml');
    writeFileSync(
      file,
      [
        'name: platforms',
        'strategies: [full-page]',
        'kernel: ["5.1", "6.18"]',
        'platform: [apq8064]',
        'groups:',
        '  - name: all',
        "    workloads: ['hold:tables=1']",
        '  - name: ttbr-ext',
        '    platform: [mt8188]',
        "    workloads: ['hold:tables=3']",
        '',
      ].join('\n'),
    );
    const plan = await planBenchmark({ suite: file, throughput: false });
    expect(plan.notices).toEqual([]);
    expect(plan.cells.map((c) => [c.workload.spec, c.platform, c.kernel])).toEqual([
      ['hold:tables=1', 'apq8064', '5.1'],
      ['hold:tables=1', 'apq8064', '6.18'],
      ['hold:tables=3', 'mt8188', '6.18'],
    ]);
    writeFileSync(file, "name: x\nplatform: [nope]\ngroups:\n  - name: g\n    workloads: ['hold:tables=1']\n");
    await expect(planBenchmark({ suite: file })).rejects.toThrow(`${file}: platform.0: expected one of mt8173,`);
  });
});

describe('the command line', () => {
  it('run --platform names a platform it does not know in one line, exit 2', async () => {
    const r = await l2bench(['run', '-w', 'hold:tables=1', '--platform', 'mt9999', '--no-throughput']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'l2bench: --platform mt9999: not a platform l2bench knows (allowed: mt8173, mt8183, mt8186, mt8188, apq8064, coherent-v7s)',
    );
  });

  it('list platforms prints every platform with its facts and their sources', async () => {
    const r = await l2bench(['list', 'platforms']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mt8173 [default]: MediaTek MT8173');
    expect(r.stdout).toContain('coherent-v7s [hypothetical]');
    expect(r.stdout).toMatch(/\nmt8188: [^\n]*\n(?: {2}[^\n]*\n)*? {2}kernels: 6\.18\n/);
    expect(r.stdout).toContain('not applicable: dma-pool: mt8183');
  });
});

describe('the default suite', () => {
  it('covers every platform under the kernels it runs, times mt8173 alone, and keeps mt8173 as it was', async () => {
    const plan = await planBenchmark({});
    const pairs = new Set(plan.cells.map((c) => `${c.platform} ${c.kernel}`));
    expect([...pairs].sort()).toEqual([
      'apq8064 5.1',
      'apq8064 6.1',
      'apq8064 6.18',
      'coherent-v7s 5.1',
      'coherent-v7s 6.1',
      'coherent-v7s 6.18',
      'mt8173 5.1',
      'mt8173 6.1',
      'mt8173 6.18',
      'mt8183 6.1',
      'mt8183 6.18',
      'mt8186 6.1',
      'mt8186 6.18',
      'mt8188 6.18',
    ]);
    // Simulator speed: the six synthetic streams × 8 strategies × 3 kernels, on mt8173 only.
    const timed = plan.cells.filter((c) => c.timed);
    expect(timed.length).toBe(6 * 8 * 3);
    expect(new Set(timed.map((c) => c.platform))).toEqual(new Set(['mt8173']));
    // mt8173: the 139 workloads of the suite before platforms, its typical count (100 tables), and the
    // 80 traces of the real captures (16 captures: 4 devices and the shared domain each).
    expect(plan.cells.filter((c) => c.platform === 'mt8173').length).toBe((139 + 1 + 16 * 5) * 8 * 3);
    // The full hold sweep on mt8173 and mt8188 (127 points and 100); powers of two and 100 elsewhere.
    const holds = (p: string) =>
      new Set(
        plan.cells.filter((c) => c.platform === p && c.workload.spec.startsWith('hold:')).map((c) => c.workload.spec),
      ).size;
    expect([holds('mt8173'), holds('mt8188'), holds('mt8183'), holds('mt8186')]).toEqual([128, 129, 14, 15]);
    expect(plan.notices).toEqual([]);
  });
});
