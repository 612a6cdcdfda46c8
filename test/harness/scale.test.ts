import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

// A plan with every kind of workload and every strategy; memory metrics only (exact).
const PLAN = [
  '-w',
  'hold:tables=1..64',
  '-w',
  'churn:live=100,ops=3000,order=random,cpus=spread',
  '-w',
  'iommu:scenario=display',
  '-w',
  'trace:file=workloads/traces/linux-6.18-kmalloc-1k.txt',
  '--cpus',
  '2,4',
  '--no-throughput',
];

const tmp = () => tempDir('l2bench-scale-');
const csv = (dir: string) => readFileSync(join(dir, 'results.csv'), 'utf8');

describe('parallel and sharded runs give the serial run exactly', () => {
  const base = tmp();
  const serial = join(base, 'serial');

  it('--jobs 2 writes the same results.csv as a serial run (--jobs 1)', async () => {
    expect((await l2bench(['run', ...PLAN, '--jobs', '1', '-o', serial])).code).toBe(0);
    const parallel = join(base, 'parallel');
    expect((await l2bench(['run', ...PLAN, '--jobs', '2', '-o', parallel])).code).toBe(0);
    expect(csv(parallel)).toBe(csv(serial));
  });

  it('three shards merged write the same results.csv, and the same records', async () => {
    const shards = [1, 2, 3].map((i) => join(base, `shard${i}`));
    for (const [i, dir] of shards.entries()) {
      expect((await l2bench(['run', ...PLAN, '--shard', `${i + 1}/3`, '-o', dir])).code).toBe(0);
    }
    const merged = join(base, 'merged');
    expect((await l2bench(['merge', ...shards, '-o', merged])).code).toBe(0);
    expect(csv(merged)).toBe(csv(serial));
    const records = (d: string) =>
      (JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as { records: unknown[] }).records;
    expect(records(merged)).toEqual(records(serial));
  });

  it('refuses a missing shard, a repeated shard and a shard of another run, in one line', async () => {
    const shards = [1, 2, 3].map((i) => join(base, `shard${i}`));
    const missing = await l2bench(['merge', shards[0] as string, shards[2] as string, '-o', join(base, 'm1')]);
    expect([missing.code, missing.stderr]).toEqual([2, 'l2bench: merge: shards 2/3 are missing\n']);
    const twice = await l2bench(['merge', shards[0] as string, shards[0] as string, '-o', join(base, 'm2')]);
    expect(twice.stderr).toMatch(/^l2bench: .*shard1: shard 1\/3 again \(also .*shard1\)\n$/);
    const other = join(base, 'other');
    await l2bench(['run', '-w', 'hold:tables=1', '--no-throughput', '--shard', '2/3', '-o', other]);
    const mixed = await l2bench(['merge', shards[0] as string, other, shards[2] as string, '-o', join(base, 'm3')]);
    expect(mixed.stderr).toMatch(/^l2bench: .*other: a shard of another run/);
  });
}, 120_000);
