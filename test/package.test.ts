import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SOURCE_DIRS } from '../bin/stale-build.js';
import { STRATEGIES } from '../strategies/index.ts';
import { tempDir } from './tmp.ts';

// The compiled package (dist/, built by test/global-setup.ts) as its users get it: imported by name
// from plain Node with no TypeScript loader, type-checked from its declarations, and its command.
const exec = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
/** The environment of a plain `node`: no loader or option inherited from the test runner. */
const PLAIN = { PATH: process.env.PATH ?? '', NO_COLOR: '1' };

/** A project folder with l2bench installed in node_modules (a link to this repository, as `npm link` makes). */
function project(): string {
  const dir = tempDir('l2bench-package-');
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules/l2bench'));
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  return dir;
}

/**
 * A project in a git repository of its own with a copy of l2bench installed, as npm installs a
 * packed package: only what package.json's `files` lists (dist/ and the assets read at run time),
 * no sources, no .git; its dependencies are this repository's.
 */
function installedCopy(): string {
  const dir = tempDir('l2bench-installed-');
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (!name.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  for (const path of [...manifest.files, 'package.json']) {
    cpSync(join(ROOT, path), join(modules, 'l2bench', path), { recursive: true });
  }
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', 'package.json');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'a project');
  return dir;
}

describe('the compiled package', () => {
  it('is imported by name from a plain Node ESM script and runs a simulation', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'use.mjs'),
      `import { Machine, runBenchmark, STRATEGIES } from 'l2bench';
const run = await runBenchmark({ strategies: ['full-page', 'page-frag'], workloads: ['hold:tables=5'], throughput: false });
console.log(JSON.stringify({
  resolved: import.meta.resolve('l2bench'),
  strategies: STRATEGIES.map((s) => s.name),
  machinePages: new Machine().totalPages,
  peaks: run.records.map((r) => [r.strategy, r.peak_footprint_bytes]),
  commit: run.provenance.git_commit,
}));
`,
    );
    const { stdout, stderr } = await exec(process.execPath, ['use.mjs'], { cwd: dir, env: PLAIN });
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as {
      resolved: string;
      strategies: string[];
      machinePages: number;
      peaks: [string, number][];
      commit: string | null;
    };
    expect(out.resolved).toBe(pathToFileURL(join(ROOT, 'dist/index.js')).href);
    // Linked, it is this checkout: its commit.
    expect(out.commit).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT }).toString().trim());
    expect(out.strategies).toContain('slab-dma32');
    expect(out.machinePages).toBe(1024 * 1024); // 4 GiB of 4 KiB frames
    // One page per table; page_frag carves its 5 tables from one 32 KiB refill.
    expect(out.peaks).toEqual([
      ['full-page', 5 * 4096],
      ['page-frag', 32 * 1024],
    ]);
  });

  it('works installed as a copy of its files, in another git repository, whose commit it does not record', async () => {
    const dir = installedCopy();
    writeFileSync(
      join(dir, 'use.mjs'),
      `import { planBenchmark, runBenchmark } from 'l2bench';
// The default suite names a trace shipped with the package; the run reads the cost table.
const plan = await planBenchmark({ suite: 'default' });
const run = await runBenchmark({ strategies: ['full-page'], workloads: ['hold:tables=3'], throughput: false });
console.log(JSON.stringify({
  resolved: import.meta.resolve('l2bench'),
  planned: plan.cells.length > 0,
  peak: run.records[0].peak_footprint_bytes,
  nsPerOp: run.records[0].kernel_ns_per_op,
  commit: run.provenance.git_commit,
  dirty: run.provenance.git_dirty,
}));
`,
    );
    const { stdout, stderr } = await exec(process.execPath, ['use.mjs'], { cwd: dir, env: PLAIN });
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out.resolved).toBe(pathToFileURL(join(dir, 'node_modules/l2bench/dist/index.js')).href);
    expect(out.planned).toBe(true);
    expect(out.peak).toBe(3 * 4096);
    expect(out.nsPerOp).toBeGreaterThan(0);
    // The project's repository is not l2bench's: no commit, rather than the project's.
    expect(out.commit).toBeNull();
    expect(out.dirty).toBeNull();

    // Its command, from the copy (no sources: no check for a stale build).
    const list = await exec(
      process.execPath,
      [join(dir, 'node_modules/l2bench/bin/l2bench.js'), 'list', 'strategies'],
      {
        cwd: dir,
        env: PLAIN,
      },
    );
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/^slab-dma32 \[DMA32\]/);
  });

  it('type-checks a TypeScript user of its declarations (exports types)', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'use.ts'),
      `import { type FullRecord, runBenchmark, type Strategy, STRATEGIES } from 'l2bench';
const run = await runBenchmark({ strategies: ['full-page'], workloads: ['hold:tables=5'], throughput: false });
const peak: number = (run.records[0] as FullRecord).peak_footprint_bytes;
const first: Strategy | undefined = STRATEGIES[0];
console.log(peak, first?.name);
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'] },
        files: ['use.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const { stdout } = await exec(process.execPath, [tsc, '-p', dir], { cwd: dir, env: PLAIN });
    expect(stdout).toBe('');

    // A wrong use of the declared types is an error: they are checked, not any.
    writeFileSync(
      join(dir, 'use.ts'),
      `import { STRATEGIES } from 'l2bench';\nconst n: number = STRATEGIES[0]?.name;\n`,
    );
    const wrong = await exec(process.execPath, [tsc, '-p', dir], { cwd: dir, env: PLAIN }).catch(
      (e: { stdout: string }) => e,
    );
    expect(wrong.stdout).toMatch(/use\.ts\(2,7\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });
});

describe('the l2bench command, compiled', () => {
  const l2bench = (...args: string[]) =>
    exec(process.execPath, [join(ROOT, 'bin/l2bench.js'), ...args], { cwd: ROOT, env: PLAIN });

  it('lists the strategies from dist/, not from source', async () => {
    const { stdout, stderr } = await l2bench('list', 'strategies');
    // From source it would say so on stderr ("running from source").
    expect(stderr).toBe('');
    const names = stdout
      .split('\n')
      .filter((l) => /^\S/.test(l))
      .map((l) => l.split(' ')[0]);
    // The registry of the sources this dist/ was built from, in its order.
    expect(names).toEqual(STRATEGIES.map((s) => s.name));
  });

  it("runs a user's strategy module written in TypeScript", async () => {
    const out = join(tempDir('l2bench-package-run-'), 'run');
    const { stderr } = await l2bench(
      'run',
      '--strategy',
      './examples/my-strategy.ts,full-page',
      '-w',
      'hold:tables=10',
      '--no-throughput',
      '--format',
      'csv',
      '-o',
      out,
    );
    expect(stderr).toBe('');
    const [header, ...rows] = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    const cols = (header as string).split(',');
    const peaks = rows.map((row) => {
      const cells = row.split(',');
      return [cells[cols.indexOf('strategy')], Number(cells[cols.indexOf('peak_footprint_bytes')])];
    });
    // packed-page: 4 tables per page, so 10 tables take 3 pages; full-page: one page each.
    expect(peaks).toEqual([
      ['packed-page', 3 * 4096],
      ['full-page', 10 * 4096],
    ]);
  });

  it('runs the sources instead, and says so, where no build is or a source is newer than it', async () => {
    // A checkout of its own: the sources, and this repository's dependencies.
    const dir = tempDir('l2bench-checkout-');
    for (const path of ['bin', ...SOURCE_DIRS, 'index.ts', 'package.json']) {
      cpSync(join(ROOT, path), join(dir, path), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const list = () =>
      exec(process.execPath, [join(dir, 'bin/l2bench.js'), 'list', 'strategies'], { cwd: dir, env: PLAIN });

    const unbuilt = await list();
    expect(unbuilt.stderr).toBe('l2bench: running from source (no build: npm run build makes one)\n');
    expect(unbuilt.stdout).toMatch(/^slab-dma32 \[DMA32\]/);

    // A build stamped after every source: it runs, silently.
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'dist/.built'), later, later);
    expect((await list()).stderr).toBe('');

    // A source edited since: the sources again.
    const edit = new Date(Date.now() + 120_000);
    utimesSync(join(dir, 'strategies/full-page.ts'), edit, edit);
    const stale = await list();
    expect(stale.stderr).toBe(
      'l2bench: running from source (strategies/full-page.ts is newer than the build: npm run build updates it)\n',
    );
    expect(stale.stdout).toBe(unbuilt.stdout);
  });
});
