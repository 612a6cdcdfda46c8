import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

// The lab's commands where the lab is not prepared (an empty lab folder): no QEMU is started.
const lab = tempDir('l2bench-empty-lab-');
const env = { L2BENCH_LAB_DIR: lab };
const out = tempDir('l2bench-capture-out-');

describe('lab commands on a machine whose lab is not prepared', () => {
  it('lab info says what is missing, and exits 1', async () => {
    const r = await l2bench(['lab', 'info'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`lab         ${lab}`);
    expect(r.stdout).toMatch(/^NO kernel +linux-image-6\.1\.0-57-amd64 not downloaded/m);
    expect(r.stdout).toMatch(/^NO initramfs/m);
    expect(r.stdout).toMatch(/^not ready: l2bench lab prepare/m);
  });

  it('lab info --json says the same as one object', async () => {
    const r = await l2bench(['lab', 'info', '--json'], { env });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ready: false, dir: lab, kernel: null });
    expect(j.items.kernel.ok).toBe(false);
    expect(j.problems.some((p: string) => p.startsWith('kernel: '))).toBe(true);
  });

  it('capture refuses in one line, exit 1, and writes nothing', async () => {
    const r = await l2bench(['capture', '-w', 'smoke', '-o', join(out, 'c1')], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /^l2bench: capture: the guest lab is not ready \(kernel, initramfs missing: /,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it.each([
    [['capture', '-o', join(out, 'c2')], /--workload NAME is required/],
    [['capture', '-w', 'nope', '-o', join(out, 'c2')], /--workload nope: unknown \(known: block-direct, .*smoke\)/],
    [['capture', '-w', 'smoke'], /--out DIR is required/],
    [['capture', '-w', 'smoke', '--vcpus', '3', '-o', join(out, 'c2')], /--vcpus 3: 1 or 2/],
    [
      ['capture', '-w', 'smoke', '--invalidation', 'sometimes', '-o', join(out, 'c2')],
      /--invalidation sometimes: strict or lazy/,
    ],
  ])('capture refuses bad input in one line, exit 2: %j', async (args, message) => {
    const r = await l2bench(args, { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('capture never overwrites an --out that exists', async () => {
    const existing = join(out, 'there');
    mkdirSync(existing);
    const r = await l2bench(['capture', '-w', 'smoke', '-o', existing], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/there: exists \(capture never overwrites\)/);
    expect(existsSync(join(existing, 'manifest.json'))).toBe(false);
  });

  it('capture --list names the workloads', async () => {
    const r = await l2bench(['capture', '--list']);
    expect(r.code).toBe(0);
    const names = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual([
      'block-direct',
      'block-buffered',
      'nvme-deep',
      'net-bulk',
      'net-small',
      'mix',
      'idle',
      'smoke',
    ]);
  });
});
