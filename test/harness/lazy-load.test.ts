import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../tmp.ts';

// What the compiled command loads: each command imports only the libraries it uses, so that
// `l2bench list` starts fast (its time is measured by bench/startup.mjs, never asserted here).
const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

/** Packages that cost a command's start and that only some commands need. */
const HEAVY = [
  '@observablehq/plot',
  'linkedom',
  'tsx',
  'koffi',
  'zod',
  'yaml',
  'cli-progress',
  'cli-table3',
  'hdr-histogram-js',
];

/** What one command loaded: every module's URL by thread, ES modules and CommonJS ones both. */
interface Loaded {
  main: string[];
  worker: string[];
}

/** Run the compiled CLI with a module hook that records every module each thread loads. */
async function loadedModules(...args: string[]): Promise<Loaded> {
  const dir = tempDir('l2bench-loads-');
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
let thread = 'main';
export function initialize(data) { thread = data.thread; }
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, thread + ' ' + url + '\\n');
  return next(url, context);
}
`,
  );
  // The hook sees ES modules; a package loaded through require (yaml) shows in require's cache at exit.
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
const thread = isMainThread ? 'main' : 'worker';
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { thread } });
process.on('exit', () => {
  const files = Object.keys(createRequire(import.meta.url).cache);
  appendFileSync(${JSON.stringify(log)}, files.map((f) => thread + ' ' + pathToFileURL(f).href + '\\n').join(''));
});
`,
  );
  const { stderr } = await exec(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(ROOT, 'bin/l2bench.js'), ...args],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } },
  );
  expect(stderr).toBe('');
  const lines = readFileSync(log, 'utf8').split('\n');
  const of = (thread: string) => lines.filter((l) => l.startsWith(`${thread} `)).map((l) => l.slice(thread.length + 1));
  const loaded = { main: of('main'), worker: of('worker') };
  expect(loaded.main.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
  return loaded;
}

/** The packages among HEAVY in these modules. */
const heavy = (urls: readonly string[]) => HEAVY.filter((p) => urls.some((u) => u.includes(`/node_modules/${p}/`)));

/** The packages among HEAVY that the command's main thread loads. */
async function loads(...args: string[]): Promise<string[]> {
  return heavy((await loadedModules(...args)).main);
}

/** What a small run of full-page writing these formats into `out` loaded. */
const holdRun = (out: string, format: string) =>
  loadedModules('run', '-s', 'full-page', '-w', 'hold:tables=4', '--no-throughput', '--format', format, '-o', out);

describe('the compiled command loads a library only where it is used', () => {
  it('list strategies: none of them', async () => {
    expect(await loads('list', 'strategies')).toEqual([]);
  });

  it('run --help: none of them', async () => {
    expect(await loads('run', '--help')).toEqual([]);
  });

  it('run: the charts only when HTML is written', async () => {
    const out = tempDir('l2bench-loads-run-');
    const run = async (name: string, format: string) => heavy((await holdRun(join(out, name), format)).main);
    const plain = await run('plain', 'csv,json,md');
    expect(plain).not.toContain('@observablehq/plot');
    expect(plain).not.toContain('linkedom');
    expect(plain).not.toContain('tsx');
    expect(plain).not.toContain('zod'); // the run's own options are its flags, checked one by one
    const html = await run('html', 'csv,json,html');
    expect(html).toContain('@observablehq/plot');
    expect(html).toContain('linkedom');
    expect(readFileSync(join(out, 'html/report.html'), 'utf8')).toContain('<svg');
  });

  it("run with a user's strategy module: tsx, which the module (or what it imports) may need", async () => {
    const out = join(tempDir('l2bench-loads-ts-'), 'run');
    const { main, worker } = await loadedModules(
      'run',
      '-s',
      './examples/my-strategy.ts',
      '-w',
      'hold:tables=4',
      '--no-throughput',
      '--format',
      'csv',
      '-o',
      out,
    );
    expect(heavy(main)).toContain('tsx');
    // Its worker loads l2bench's modules one by one, not the bundle, so that the module's imports share them.
    expect(worker.some((u) => u.endsWith('/dist/harness/worker/measure.js'))).toBe(true);
  });

  it('run writing csv: no yaml (the cost table compiled), no progress bar, no report; no zod but for a suite file', async () => {
    const out = tempDir('l2bench-loads-csv-');
    const run = (name: string, format: string) => holdRun(join(out, name), format);
    const report = (urls: readonly string[]) => urls.some((u) => u.includes('/dist/results/report/'));
    const csv = await run('csv', 'csv');
    expect(heavy(csv.main)).not.toContain('yaml');
    expect(heavy(csv.main)).not.toContain('cli-progress');
    expect(heavy(csv.main)).not.toContain('zod');
    expect(report(csv.main)).toBe(false);
    // The worker's code bundled into one file by the build (scripts/bundle-worker.js), no module of dist/ beside it.
    const dist = pathToFileURL(join(ROOT, 'dist/')).href;
    expect(csv.worker.filter((u) => u.startsWith(dist))).toEqual([`${dist}harness/worker/measure.bundle.js`]);
    expect(heavy(csv.worker)).toEqual([]);
    // A report asked for loads its analysis, and a suite file the yaml parser.
    expect(report((await run('md', 'csv,md')).main)).toBe(true);
    const suite = join(out, 'suite.yaml');
    writeFileSync(suite, 'name: mine\ngroups:\n  - name: one\n    workloads: [hold:tables=4]\n');
    const fromSuite = await loadedModules(
      'run',
      '--suite',
      suite,
      '-s',
      'full-page',
      '--no-throughput',
      '--format',
      'csv',
      '-o',
      join(out, 'suite'),
    );
    expect(heavy(fromSuite.main)).toContain('yaml');
    expect(heavy(fromSuite.main)).toContain('zod'); // a suite file is checked by its schema
  });
});
