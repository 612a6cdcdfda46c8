import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, l2bench, type Outcome, ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

const tmp = () => tempDir('l2bench-integrity-');

/** A user strategy module in a temporary file. */
function strategyModule(name: string, alloc: string): string {
  const file = join(tmp(), `${name}.mjs`);
  writeFileSync(
    file,
    `export default {
  name: '${name}', description: 'a test strategy', placement: 'dma32', params: {},
  create: ({ pages }) => ({
    work: {}, metadataBytes: () => 0, strandedBytes: () => 0,
    alloc() { ${alloc} },
    free() {},
  }),
};
`,
  );
  return file;
}

/** A strategy stuck in alloc() for ever, and one that throws from it. */
const stuckModule = () => strategyModule('stuck', 'for (;;) {}');
const throwingModule = () => strategyModule('throws', "throw new Error('boom in alloc');");

interface RunJson {
  schema: string;
  complete: boolean;
  interrupted: boolean;
  cells: number;
  missing: {
    strategy: string;
    workload: string;
    module: string | null;
    reason: string;
    step: string | null;
    error: string | null;
    cell?: number;
  }[];
  records: {
    strategy: string;
    events: number;
    ops_per_sec: number | null;
    detail: { samples: number[]; rounds?: number[] };
  }[];
  provenance: Record<string, unknown>;
}

const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunJson;

/** Poll (no deadline: the test timeout catches a hang) until results.json holds `n` records. */
async function untilRecords(dir: string, n: number, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('the run ended before it was stopped');
    if (existsSync(join(dir, 'results.json')) && readJson(dir).records.length >= n) return;
    await sleep(50);
  }
}

/** Start a run in the background. */
function start(args: string[]): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', L2BENCH_DEBUG: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** Every file in a folder with its size and mtime, to show that nothing was touched. */
const snapshot = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((f) => {
      const s = statSync(join(dir, f));
      return [f, s.size, s.mtimeMs];
    });

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('cells that fail', () => {
  it('a strategy that throws: its cells fail with the module, the cell and the error; the others run; exit 3', async () => {
    const file = throwingModule();
    const dir = join(tmp(), 'run');
    const r = await l2bench(['run', '-s', `full-page,${file}`, '-w', 'hold:tables=2..3', '--time', '10', '-o', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      [
        `l2bench: cell failed: throws on hold:tables=2 (cpus=4, seed=1), module ${file}: boom in alloc`,
        `l2bench: cell failed: throws on hold:tables=3 (cpus=4, seed=1), module ${file}: boom in alloc`,
        `l2bench: 2 of 4 cells failed; the others are in ${dir}/results.csv, ${dir}/results.json`,
        '',
      ].join('\n'),
    );
    const json = readJson(dir);
    expect(json.complete).toBe(false);
    expect(json.interrupted).toBe(false);
    expect(json.records.map((x) => x.strategy)).toEqual(['full-page', 'full-page']);
    expect(json.missing).toEqual(
      [2, 3].map((n, i) => ({
        workload: `hold:tables=${n}`,
        strategy: 'throws',
        platform: 'mt8173',
        cpus: 4,
        kernel: '5.1',
        seed: 1,
        module: file,
        reason: 'failed',
        step: 'metrics',
        error: 'boom in alloc',
        // Their positions in the plan: each workload's strategies in turn.
        cell: 2 * i + 1,
      })),
    );
    // The cells that ran were timed in every round, and ops/s is the events over the mean sample.
    for (const rec of json.records) {
      expect(rec.detail.rounds).toHaveLength(8);
      const mean = rec.detail.samples.reduce((s, x) => s + x, 0) / rec.detail.samples.length;
      expect(rec.ops_per_sec).toBeCloseTo(rec.events / (mean / 1000), 6);
    }
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
  });

  it('a strategy stuck in a loop is stopped by --cell-timeout and recorded as timed out; the next cell runs', async () => {
    const file = stuckModule();
    const dir = join(tmp(), 'run');
    const r = await l2bench([
      'run',
      '-s',
      `${file},full-page`,
      '-w',
      'hold:tables=2',
      '--machine',
      'dram=16M,base=0',
      '--no-throughput',
      '--cell-timeout',
      '2',
      '-o',
      dir,
    ]);
    expect(r.stderr).toMatch(
      /^l2bench: cell timed out: stuck on hold:tables=2 \(cpus=4, seed=1\), module .*stuck\.mjs: stopped after 2 s \(cell timeout\)\nl2bench: 1 of 2 cells failed; /,
    );
    expect(r.code).toBe(3);
    const json = readJson(dir);
    expect(json.records.map((x) => x.strategy)).toEqual(['full-page']);
    expect(json.missing).toMatchObject([{ strategy: 'stuck', reason: 'timeout', step: 'metrics', module: file }]);
    expect(json.complete).toBe(false);
  });

  it('refuses a bad --cell-timeout in one line', async () => {
    const r = await l2bench(['run', '-w', 'hold:tables=1', '--cell-timeout', '0', '-o', join(tmp(), 'x')]);
    expect([r.code, r.stderr]).toEqual([2, 'l2bench: --cell-timeout 0: not a positive number of seconds\n']);
  });
});

describe('runs that cannot pass for complete', () => {
  const stuckArgs = (dir: string, extra: string[] = []) => [
    'run',
    '-s',
    `full-page,${stuckModule()}`,
    '-w',
    'hold:tables=2',
    '--no-throughput',
    '-o',
    dir,
    ...extra,
  ];

  it.each([
    ['one worker', []],
    ['--jobs 2', ['--jobs', '2']],
  ])('a run killed by SIGKILL reads as incomplete, and report opens with what is missing (%s)', async (_, extra) => {
    const dir = join(tmp(), 'run');
    const run = start(stuckArgs(dir, extra));
    children.push(run.child);
    // full-page finishes; the stuck cell never does.
    await untilRecords(dir, 1, run.child);
    run.child.kill('SIGKILL');
    await run.exited;
    const json = readJson(dir);
    expect(json.schema).toBe('l2bench-run/2');
    expect(json.complete).toBe(false);
    expect(json.interrupted).toBe(false);
    expect(json.cells).toBe(2);
    expect(json.records.map((x) => x.strategy)).toEqual(['full-page']);
    expect(json.missing).toMatchObject([{ strategy: 'stuck', workload: 'hold:tables=2', reason: 'not run' }]);
    // The killed run's lock file stays behind, locking nothing, and its spool, with every record it finished.
    expect(readdirSync(dir).sort()).toEqual(['.l2bench-records.spool', '.l2bench.lock', 'results.csv', 'results.json']);

    const report = await l2bench(['report', join(dir, 'results.json'), '--format', 'md']);
    expect(report.code).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md.split('\n').find((l) => l.startsWith('> '))).toBe(
      '> **Incomplete run: it did not finish (stopped, killed, or still running). 1 of 2 cells measured; 1 cell not run. The report covers only the cells that finished.**',
    );

    // The stale lock blocks nothing, and the killed run is not overwritten by another plan's run
    // (a module file of its own): only a rerun of the same plan replaces it (below).
    const again = await l2bench(stuckArgs(dir));
    expect([again.code, again.stderr]).toEqual([
      2,
      `l2bench: --out ${dir}: folder is not empty; refusing to overwrite a run\n`,
    ]);
    const fresh = join(tmp(), 'fresh');
    mkdirSync(fresh);
    copyFileSync(join(dir, '.l2bench.lock'), join(fresh, '.l2bench.lock'));
    const reuse = await l2bench(['run', '-s', 'full-page', '-w', 'hold:tables=1', '--no-throughput', '-o', fresh]);
    expect(reuse.code).toBe(0);
    expect(readdirSync(fresh).sort()).toEqual(['results.csv', 'results.json']);
    expect(readJson(fresh).complete).toBe(true);
  });

  // SIGTERM is what a batch engine sends before SIGKILL (Slurm's scancel, preemption, a time limit;
  // Kubernetes; AWS Batch), SIGHUP what a closed terminal sends: both stop a run as Ctrl-C does.
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s stops a run whose strategy is stuck in a loop, keeping the finished cells (exit %i)',
    async (signal, code) => {
      const dir = join(tmp(), 'run');
      const run = start(stuckArgs(dir));
      children.push(run.child);
      await untilRecords(dir, 1, run.child);
      run.child.kill(signal);
      expect(await run.exited).toBe(code);
      expect(run.stderr()).toBe(
        `l2bench: interrupted by ${signal}; kept 1 of 2 cells in ${dir}/results.csv, ${dir}/results.json\n`,
      );
      const json = readJson(dir);
      expect(json).toMatchObject({ complete: false, interrupted: true, cells: 2 });
      expect(json.missing).toMatchObject([{ strategy: 'stuck', reason: 'not run' }]);
      expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
    },
  );

  it('SIGTERM twice at once (the process group signalled, and the run again by a wrapper) saves, says so and exits 143', async () => {
    const dir = join(tmp(), 'run');
    const run = start(stuckArgs(dir));
    children.push(run.child);
    await untilRecords(dir, 1, run.child);
    run.child.kill('SIGTERM');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.stderr()).toBe(
      `l2bench: interrupted by SIGTERM; kept 1 of 2 cells in ${dir}/results.csv, ${dir}/results.json\n`,
    );
    expect(readJson(dir)).toMatchObject({ complete: false, interrupted: true, cells: 2 });
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
  });

  it('a rerun into a killed run of the same plan replaces it, saying so; a finished run, another plan or other files are refused', async () => {
    const dir = join(tmp(), 'run');
    const gate = join(tmp(), 'open');
    // The gated strategy's cell of 2 tables waits for the gate; the 3 others finish.
    const args = [
      'run',
      '-s',
      `full-page,${join(ROOT, 'test/slurm/gated-page.ts')}:at=2,open=${gate}`,
      '-w',
      'hold:tables=1..2+1',
      '--no-throughput',
      '-o',
      dir,
    ];
    const killed = start(args);
    children.push(killed.child);
    await untilRecords(dir, 3, killed.child);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(readdirSync(dir).sort()).toEqual(['.l2bench-records.spool', '.l2bench.lock', 'results.csv', 'results.json']);
    writeFileSync(gate, '');
    const before = snapshot(dir);
    const refused = `l2bench: --out ${dir}: folder is not empty; refusing to overwrite a run\n`;
    // Another plan (a seed more), or a file the run did not write: refused, untouched.
    const other = await l2bench([...args, '--seed', '1,2']);
    expect([other.code, other.stderr]).toEqual([2, refused]);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const foreign = await l2bench(args);
    expect([foreign.code, foreign.stderr]).toEqual([2, refused]);
    rmSync(join(dir, 'notes.txt'));
    expect(snapshot(dir)).toEqual(before);

    const again = await l2bench(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(`l2bench: --out ${dir}: an unfinished run of this plan (3 of 4 cells); starting clean\n`);
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
    expect(readJson(dir)).toMatchObject({ complete: true, interrupted: false, cells: 4 });
    // Finished: never overwritten.
    const finished = await l2bench(args);
    expect([finished.code, finished.stderr]).toEqual([2, refused]);
  });

  it('two runs into one --out: while one runs, the other is refused in one line and touches nothing', async () => {
    const dir = join(tmp(), 'run');
    const first = start(stuckArgs(dir));
    children.push(first.child);
    await untilRecords(dir, 1, first.child);
    const before = snapshot(dir);
    const second = await l2bench(['run', '-s', 'full-page', '-w', 'hold:tables=1', '--no-throughput', '-o', dir]);
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(
      `l2bench: --out ${dir}: another l2bench run (pid ${first.child.pid}) is writing into this folder\n`,
    );
    expect(second.stdout).toBe('');
    expect(snapshot(dir)).toEqual(before);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
  });

  it('two runs started together into one --out: exactly one proceeds', async () => {
    const dir = join(tmp(), 'run');
    const args = ['run', '-s', 'full-page', '-w', 'hold:tables=1..4', '--no-throughput', '-o', dir];
    const both = await Promise.all([l2bench(args), l2bench(args)]);
    expect(both.map((r) => r.code).sort()).toEqual([0, 2]);
    const loser = both.find((r) => r.code === 2) as Outcome;
    expect(loser.stderr).toMatch(
      new RegExp(
        `^l2bench: --out ${dir}: (another l2bench run \\(pid \\d+\\) is writing into this folder|folder is not empty; refusing to overwrite a run)\\n$`,
      ),
    );
    expect(readJson(dir)).toMatchObject({ complete: true, cells: 3, missing: [] });
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
  });

  it('writes results.json whatever --format says, and records provenance for modules and suites', async () => {
    const dir = join(tmp(), 'run');
    const module = join(ROOT, 'examples/my-strategy.ts');
    const suite = join(ROOT, 'test/fixtures/suites/small.yaml');
    const r = await l2bench(['run', '--suite', suite, '-s', module, '--no-throughput', '--format', 'csv', '-o', dir]);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
    const p = readJson(dir).provenance;
    expect(typeof p.git_dirty).toBe('boolean');
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(p.input_files).toEqual([
      { kind: 'strategy module', path: module, sha256: sha(module) },
      { kind: 'suite', path: suite, sha256: sha(suite) },
    ]);
  });
});

describe('report and compare refuse a broken results.json', () => {
  it('truncated or mistyped: one line naming the file and the field, exit 2, nothing written', async () => {
    const good = join(tmp(), 'good');
    expect((await l2bench(['run', '-s', 'full-page', '-w', 'hold:tables=1', '--no-throughput', '-o', good])).code).toBe(
      0,
    );
    const text = readFileSync(join(good, 'results.json'), 'utf8');
    const truncated = tmp();
    writeFileSync(join(truncated, 'results.json'), text.slice(0, text.length >> 1));
    const mistyped = tmp();
    const data = JSON.parse(text) as { records: Record<string, unknown>[] };
    (data.records[0] as Record<string, unknown>).peak_footprint_bytes = '4096';
    writeFileSync(join(mistyped, 'results.json'), JSON.stringify(data));
    const cases: [string, RegExp][] = [
      [truncated, /: not valid JSON: [^\n]*\n$/],
      [mistyped, /: invalid l2bench run: records\[0\]\.peak_footprint_bytes: [^\n]*\n$/],
    ];
    for (const [dir, message] of cases) {
      const file = join(dir, 'results.json');
      for (const args of [
        ['report', file],
        ['compare', join(good, 'results.json'), file],
        ['compare', file, good, '--fail-on-regression', '10'],
      ]) {
        const r = await l2bench(args);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^l2bench: ${file}${message.source}`));
        expect(r.stdout).toBe('');
        expect(readdirSync(dir)).toEqual(['results.json']);
      }
    }
  });
});

describe('the reproduce line', () => {
  it('runs as printed: without the output folder and the shard', async () => {
    const dir = join(tmp(), 'shard');
    const args = ['run', '-s', 'full-page', '-w', 'hold:tables=1..3', '--no-throughput', '--shard', '1/2', '-o', dir];
    expect((await l2bench(args)).code).toBe(0);
    expect((await l2bench(['report', dir, '--format', 'md'])).code).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const lines = md.slice(md.indexOf('## Reproduce')).split('\n');
    const command = lines.find((l) => l.includes('npx l2bench')) as string;
    expect(command).toMatch(/(^|&& )npx l2bench run -s full-page -w hold:tables=1\.\.3 --no-throughput$/);
    // As printed, from another folder (the checkout is this tree).
    const printed = command.replace(/^.*npx l2bench /, '').split(' ');
    const cwd = tmp();
    const rerun = await l2bench(printed, { cwd });
    expect(rerun.code).toBe(0);
    const made = readdirSync(join(cwd, 'runs'));
    expect(made).toHaveLength(1);
    expect(readJson(join(cwd, 'runs', made[0] as string))).toMatchObject({ complete: true, cells: 3 });
  });
});
