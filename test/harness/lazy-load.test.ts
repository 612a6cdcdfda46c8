import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/**
 * What one command loaded: every module's URL by thread, ES modules and CommonJS ones both, the
 * files of the CLI's bundle counted as the modules they hold; and the main thread's files as loaded.
 */
interface Loaded {
  main: string[];
  worker: string[];
  files: string[];
}

/** Run the compiled CLI with a module hook that records every module each thread loads. */
async function loadedModules(...args: string[]): Promise<Loaded>;
async function loadedModules(options: { env: Record<string, string> }, ...args: string[]): Promise<Loaded>;
async function loadedModules(...given: (string | { env: Record<string, string> })[]): Promise<Loaded> {
  const env = typeof given[0] === 'object' ? given[0].env : {};
  const args = given.filter((a): a is string => typeof a === 'string');
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
import { fileURLToPath, pathToFileURL } from 'node:url';
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
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env } },
  );
  expect(stderr).toBe('');
  const lines = readFileSync(log, 'utf8').split('\n');
  const of = (thread: string) => lines.filter((l) => l.startsWith(`${thread} `)).map((l) => l.slice(thread.length + 1));
  const loaded = { main: of('main').flatMap(unbundled), worker: of('worker'), files: of('main') };
  expect(loaded.main.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
  return loaded;
}

/** The modules of dist/ a file of the CLI's bundle holds (scripts/bundle-cli.js writes the list); any other file itself. */
function unbundled(url: string): string[] {
  const dist = pathToFileURL(join(ROOT, 'dist/')).href;
  if (!url.startsWith(`${dist}cli/bundle/`)) return [url];
  const modules = JSON.parse(readFileSync(join(ROOT, 'dist/cli/bundle/modules.json'), 'utf8')) as Record<
    string,
    string[]
  >;
  const held = modules[url.slice(dist.length)];
  expect(held).toBeDefined();
  return (held as string[]).map((m) => dist + m);
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
    const { main, worker, files } = await loadedModules(
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
    // Its main thread too: the CLI's bundle is not used, so that the module's imports share the CLI's classes.
    expect(files.some((u) => u.includes('/dist/cli/bundle/'))).toBe(false);
    // Its worker loads l2bench's modules one by one, not the bundle, so that the module's imports share them.
    expect(worker.some((u) => u.endsWith('/dist/harness/worker/measure.js'))).toBe(true);
  });

  it('run writing csv: no yaml (the cost table compiled), no progress bar, no report; no zod but for a suite file', async () => {
    const out = tempDir('l2bench-loads-csv-');
    const dist = pathToFileURL(join(ROOT, 'dist/')).href;
    const run = (name: string, format: string) => holdRun(join(out, name), format);
    const report = (urls: readonly string[]) => urls.some((u) => u.includes('/dist/results/report/'));
    const csv = await run('csv', 'csv');
    // The main thread's code from the CLI's bundle (scripts/bundle-cli.js), but for what bin/l2bench.js
    // loads first: the spare worker's module, which starts the worker, and what picks the bundle.
    const picks = ['harness/spare-worker.js', 'cli/bundled-run.js', 'core/spec.js', 'core/errors.js', 'core/params.js'];
    expect(csv.files.filter((u) => u.startsWith(dist) && !u.startsWith(`${dist}cli/bundle/`))).toEqual(
      picks.map((m) => dist + m),
    );
    expect(heavy(csv.main)).not.toContain('yaml');
    expect(heavy(csv.main)).not.toContain('cli-progress');
    expect(heavy(csv.main)).not.toContain('zod');
    expect(report(csv.main)).toBe(false);
    // The worker's code bundled into one file by the build (scripts/bundle-worker.js), no module of dist/ beside it;
    // one worker: the one bin/l2bench.js started is the one the run took.
    expect(csv.worker.filter((u) => u.startsWith(dist))).toEqual([`${dist}harness/worker/measure.bundle.cjs`]);
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

  it('a trace of 64 MiB or more parsed in the bundled worker: the counts of a closed form', async () => {
    // With the event cache off the worker parses the trace itself (in create() and again in
    // chunks()), and from SCAN_THREAD_FROM (64 MiB) on with a scanning thread beside it, when that
    // thread starts in time (else the worker scans alone: the same events either way).
    // Per group of 8 lines: one allocation and its free, and 6 comments that would each be an
    // allocation without their '#'. Expected by construction: 2 events a group, peak 1 live table,
    // for full-page one order-0 page a table.
    const groups = 60_000;
    const lines: string[] = [];
    const line = (event: string, fields: string) => `  bash-2980    [001] .....   323.570264: ${event}: ${fields}`;
    const kmalloc = (ptr: string) =>
      line('kmalloc', `call_site=load_msg+0x41/0x1e0 ptr=${ptr} bytes_req=948 bytes_alloc=1024 gfp_flags=GFP_KERNEL`);
    for (let g = 0; g < groups; g++) {
      const ptr = `00000000${(g + 1).toString(16).padStart(8, '0')}`;
      lines.push(kmalloc(ptr));
      for (let c = 0; c < 6; c++) lines.push(`#${kmalloc(`ffff0000${(g * 6 + c).toString(16).padStart(8, '0')}`)}`);
      lines.push(line('kfree', `call_site=free_msg+0x1b/0x50 ptr=${ptr}`));
    }
    const dir = tempDir('l2bench-loads-scan-');
    const file = join(dir, 'big.trace');
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(statSync(file).size).toBeGreaterThanOrEqual(64 << 20);
    const out = join(dir, 'run');
    const run = await loadedModules(
      { env: { L2BENCH_CACHE_DIR: 'off' } },
      'run',
      '-s',
      'full-page',
      '-w',
      `trace:file=${file}`,
      '--no-throughput',
      '--format',
      'json',
      '-o',
      out,
    );
    expect(run.worker).toContain(pathToFileURL(join(ROOT, 'dist/harness/worker/measure.bundle.cjs')).href);
    const [record] = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).records;
    expect([record.events, record.allocs, record.frees, record.peak_live_tables]).toEqual([
      2 * groups,
      groups,
      groups,
      1,
    ]);
    expect([record.page_alloc_calls, record.page_free_calls, record.peak_footprint_bytes]).toEqual([
      groups,
      groups,
      4096,
    ]);
  });

  it("the bundles find the files beside each module from that module's place (the trace's scanning thread)", () => {
    // scripts/bundle-worker.js and bundle-cli.js rewrite each module's import.meta.url to the module's
    // own URL. Missed, the scan pipeline would start dist/harness/worker/scan-thread.js (or one in
    // dist/cli/bundle/), which does not exist, and every trace would be scanned without its thread,
    // silently (the test above passes either way). The worker's bundle is CommonJS: its own URL is
    // its __filename's.
    const cli = join(ROOT, 'dist/cli/bundle');
    const bundles: [file: string, own: string][] = [
      [join(ROOT, 'dist/harness/worker/measure.bundle.cjs'), 'require("node:url").pathToFileURL(__filename).href'],
      ...readdirSync(cli)
        .filter((f) => f.endsWith('.js'))
        .map((f): [string, string] => [join(cli, f), 'import.meta.url']),
    ];
    const entries: string[] = [];
    for (const [bundle, own] of bundles) {
      const text = readFileSync(bundle, 'utf8');
      const base = `new URL\\("([^"]+)", ${own.replace(/[.()"]/g, '\\$&')}\\)\\.href`;
      const bases = [...text.matchAll(new RegExp(base, 'g'))].map((m) => m[1] as string);
      expect(bases.length).toBe(text.split(own).length - 1); // no bare own URL left
      expect(text.includes('import_meta')).toBe(false); // nor an import.meta esbuild emptied
      const from = (rel: string, at = pathToFileURL(bundle).href) => fileURLToPath(new URL(rel, at));
      for (const b of bases) expect(existsSync(from(b)), `${bundle}: ${b}`).toBe(true);
      const scanThread = new RegExp(`new URL\\("\\./scan-thread\\.js", ${base}\\)`).exec(text);
      if (scanThread) entries.push(from('./scan-thread.js', pathToFileURL(from(scanThread[1] as string)).href));
    }
    // The worker's bundle and the CLI's (a first run parses the trace on the main thread) both start it.
    expect(entries).toHaveLength(2);
    for (const entry of entries) expect(entry).toBe(join(ROOT, 'dist/workloads/trace/scan-thread.js'));
    expect(existsSync(join(ROOT, 'dist/workloads/trace/scan-thread.js'))).toBe(true);
  });
});
