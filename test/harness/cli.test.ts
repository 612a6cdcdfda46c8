import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

const tmp = () => tempDir('l2bench-');

describe('l2bench run (walking skeleton)', () => {
  it('writes one CSV row per (workload, strategy) with footprints metered at the page allocator', async () => {
    const out = join(tmp(), 'run');
    const r = await l2bench([
      'run',
      '--strategy',
      'slab-dma32,genalloc,page-frag,full-page,slab-normal',
      '--workload',
      'hold:tables=100',
      '--cpus',
      '2',
      '--no-throughput',
      '--format',
      'csv',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [header, ...rows] = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    const cols = (header as string).split(',');
    const get = (row: string, col: string) => row.split(',')[cols.indexOf(col)];
    const byStrategy = Object.fromEntries(rows.map((row) => [get(row, 'strategy'), row]));
    expect(Object.keys(byStrategy)).toEqual(['slab-dma32', 'genalloc', 'page-frag', 'full-page', 'slab-normal']);
    const peak = (s: string) => Number(get(byStrategy[s] as string, 'peak_footprint_bytes'));
    expect(peak('full-page')).toBe(100 * 4096);
    expect(peak('page-frag')).toBe(Math.ceil(100 / 32) * 32 * 1024);
    expect(peak('slab-dma32')).toBe(Math.ceil(100 / 16) * 16 * 1024); // 2 CPUs: 16 tables per 16 KiB slab
    expect(peak('genalloc')).toBe(4 * 1024 * 1024);
    expect(get(byStrategy['slab-normal'] as string, 'dma32_violations')).toBe('100');
    expect(get(byStrategy['slab-dma32'] as string, 'dma32_violations')).toBe('0');
    for (const row of rows) expect(get(row, 'cpus')).toBe('2');
  });

  it.each([
    [['run', '--workload', 'nope'], /^l2bench: unknown workload 'nope' \(allowed: hold.*\)\n$/],
    [
      ['run', '--workload', 'hold:tables=0'],
      /^l2bench: workload hold: tables=0 is out of range \(allowed 1\.\.1048576\)\n$/,
    ],
    [
      ['run', '--workload', 'hold:rows=1'],
      /^l2bench: workload hold: unknown parameter 'rows' \(allowed: tables, cpus\)\n$/,
    ],
    [['run', '--strategy', 'slab'], /^l2bench: unknown strategy 'slab' \(allowed: slab-dma32, .*\)\n$/],
    [
      ['run', '--strategy', 'genalloc:algo=worst'],
      /^l2bench: strategy genalloc: algo=worst is not allowed \(choose first\|best\)\n$/,
    ],
    [['run', '--cpus', 'two'], /^l2bench: --cpus two: 'two' is not a whole number\n$/],
    [['run', '--machine', 'ram=4G'], /^l2bench: --machine: unknown key 'ram' \(allowed: dram, base, fragment\)\n$/],
    [['run', '--machine', 'fragment=1.5'], /^l2bench: --machine fragment=1\.5: .*\n$/],
    [['run', '--format', 'xml'], /^l2bench: --format xml: unknown format 'xml' \(allowed: csv, json.*\)\n$/],
    [
      ['run', '--out', '/proc/l2bench/x'],
      /^l2bench: --out \/proc\/l2bench\/x: cannot create the folder, as its parent \/proc\/l2bench cannot be created \(ENOENT\)\n$/,
    ],
  ])('refuses %j with one line and a non-zero exit', async (args, message) => {
    const r = await l2bench(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('never overwrites an earlier run', async () => {
    const out = join(tmp(), 'run');
    expect((await l2bench(['run', '-w', 'hold:tables=1', '-s', 'full-page', '-o', out])).code).toBe(0);
    const again = await l2bench(['run', '-w', 'hold:tables=1', '-s', 'full-page', '-o', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/folder is not empty; refusing to overwrite a run/);
  });
});

describe('l2bench run: what the workloads want said', () => {
  it('prints a trace folded onto fewer CPUs once on stderr, for every strategy and seed replaying it', async () => {
    const dir = tmp();
    const file = join(dir, 'eight-cpus.txt');
    writeFileSync(file, 'alloc,1,7\nalloc,2,0\nfree,1,3\n');
    const r = await l2bench([
      'run',
      ...['--strategy', 'full-page,genalloc', '--workload', `trace:file=${file}`, '--seed', '1,2'],
      ...['--cpus', '4', '--no-throughput', '--format', 'csv', '--out', join(dir, 'run')],
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `l2bench: note: ${file}: trace CPUs 0..7 are folded onto 4 simulated CPUs (trace CPU c runs on c % 4)\n`,
    );
  });
});
