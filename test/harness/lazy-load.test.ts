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

/** Run the compiled CLI with a module hook that records every module it loads; returns the packages among HEAVY. */
async function loads(...args: string[]): Promise<string[]> {
  const dir = tempDir('l2bench-loads-');
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return next(url, context);
}
`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
  const { stderr } = await exec(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(ROOT, 'bin/l2bench.js'), ...args],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } },
  );
  expect(stderr).toBe('');
  const urls = readFileSync(log, 'utf8').split('\n');
  expect(urls.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
  return HEAVY.filter((p) => urls.some((u) => u.includes(`/node_modules/${p}/`)));
}

describe('the compiled command loads a library only where it is used', () => {
  it('list strategies: none of them', async () => {
    expect(await loads('list', 'strategies')).toEqual([]);
  });

  it('run --help: none of them', async () => {
    expect(await loads('run', '--help')).toEqual([]);
  });

  it('run: the charts only when HTML is written', async () => {
    const out = tempDir('l2bench-loads-run-');
    const run = (name: string, format: string) =>
      loads(
        'run',
        '-s',
        'full-page',
        '-w',
        'hold:tables=4',
        '--no-throughput',
        '--format',
        format,
        '-o',
        join(out, name),
      );
    const plain = await run('plain', 'csv,json,md');
    expect(plain).not.toContain('@observablehq/plot');
    expect(plain).not.toContain('linkedom');
    expect(plain).not.toContain('tsx');
    expect(plain).toContain('zod'); // suites and results.json are validated
    const html = await run('html', 'csv,json,html');
    expect(html).toContain('@observablehq/plot');
    expect(html).toContain('linkedom');
    expect(readFileSync(join(out, 'html/report.html'), 'utf8')).toContain('<svg');
  });

  it("run with a user's strategy module: tsx, which the module (or what it imports) may need", async () => {
    const out = join(tempDir('l2bench-loads-ts-'), 'run');
    const loaded = await loads(
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
    expect(loaded).toContain('tsx');
  });
});
