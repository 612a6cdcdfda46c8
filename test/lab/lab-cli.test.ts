import { describe, expect, it } from 'vitest';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

// The lab's commands where the lab is not prepared (an empty lab folder): no QEMU is started.
const lab = tempDir('l2bench-empty-lab-');
const env = { L2BENCH_LAB_DIR: lab };

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
});
