import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runsBundled } from '../../cli/bundled-run.ts';
import { l2bench, ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

describe('which `l2bench` commands run from the CLI bundle (cli/bundled-run.ts)', () => {
  it('a run of built-in strategies, whatever its other flags name (a trace, an output folder)', () => {
    expect(runsBundled(['run'])).toBe(true);
    expect(
      runsBundled(['run', '-s', 'full-page,genalloc:algo=best', '-w', 'trace:file=/tmp/t.txt', '-o', './out']),
    ).toBe(true);
    expect(runsBundled(['run', '--strategy=slab-dma32', '--costs', './costs.yaml', '--out=/tmp/o.js'])).toBe(true);
  });

  it('not another command: only a run starts from it', () => {
    expect(runsBundled(['list', 'strategies'])).toBe(false);
    expect(runsBundled(['report', 'results.json'])).toBe(false);
    expect(runsBundled([])).toBe(false);
  });

  it('not a run naming a strategy module, in any form commander reads', () => {
    expect(runsBundled(['run', '-s', './mine.ts'])).toBe(false);
    expect(runsBundled(['run', '-s./mine.ts'])).toBe(false);
    expect(runsBundled(['run', '--strategy', 'full-page,/abs/mine.js:slots=2'])).toBe(false);
    expect(runsBundled(['run', '--strategy=mine.mjs'])).toBe(false);
    // The last -s is the one commander keeps; any one naming a module is enough.
    expect(runsBundled(['run', '-s', 'mine.mts', '-s', 'full-page'])).toBe(false);
  });

  it('not a run from a suite file, which may name strategy modules', () => {
    expect(runsBundled(['run', '--suite', 'default'])).toBe(false);
    expect(runsBundled(['run', '--suite=mine.yaml', '-s', 'full-page'])).toBe(false);
  });
});

describe('a run from the bundle is the run from the modules', () => {
  const args = (out: string) => [
    'run',
    '-s',
    'full-page,genalloc',
    '-w',
    'hold:tables=4',
    '--cpus',
    '2',
    '--no-throughput',
    '--format',
    'csv,json,md',
    '-o',
    out,
  ];

  /** The compiled CLI's modules one by one, never the bundle. */
  const unbundled = (argv: readonly string[]) => l2bench(argv, { bin: join(ROOT, 'dist/cli/main.js') });

  it('the same terminal output and files, byte for byte (the provenance aside)', async () => {
    expect(existsSync(join(ROOT, 'dist/cli/bundle/main.js'))).toBe(true);
    const dir = tempDir('l2bench-bundle-');
    const [a, b] = [join(dir, 'bundled'), join(dir, 'modules')];
    const fromBundle = await l2bench(args(a));
    const fromModules = await unbundled(args(b));
    expect(fromBundle.code).toBe(0);
    expect(fromModules.code).toBe(0);
    expect(fromBundle.stdout.replaceAll(a, 'OUT')).toBe(fromModules.stdout.replaceAll(b, 'OUT'));
    expect(fromBundle.stderr).toBe(fromModules.stderr);
    // report.md names when the run started, as the provenance does.
    const text = (d: string, file: string) =>
      readFileSync(join(d, file), 'utf8')
        .replaceAll(d, 'OUT')
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'WHEN');
    for (const file of ['results.csv', 'report.md']) expect(text(a, file)).toBe(text(b, file));
    const run = (d: string) => ({ ...JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')), provenance: null });
    expect(run(a)).toEqual(run(b));
  });

  it('a bad input refused the same: one line, exit 2, no output folder', async () => {
    const dir = tempDir('l2bench-bundle-bad-');
    const bad = (out: string) => ['run', '-s', 'full-page', '-w', 'hold:tables=4', '--cpus', '0', '-o', out];
    const fromBundle = await l2bench(bad(join(dir, 'a')));
    const fromModules = await unbundled(bad(join(dir, 'b')));
    expect(fromBundle).toEqual({ code: 2, stdout: '', stderr: fromModules.stderr });
    expect(fromBundle.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'a'))).toBe(false);
  });
});
