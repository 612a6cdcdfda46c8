import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabInterrupted } from '../../kernel/lab/errors.ts';
import { bootGuest } from '../../kernel/lab/guest.ts';
import { labInfo } from '../../kernel/lab/info.ts';
import { buildModule } from '../../kernel/lab/module-build.ts';
import { ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

// Real guests: run when the lab is prepared (l2bench lab prepare), skipped with the reason otherwise.
const info = labInfo();
const why = info.ready ? '' : ` (skipped: the guest lab is not ready: ${info.problems.join('; ')})`;
const whyModules = info.modulesReady
  ? ''
  : ` (skipped: ${info.items.find((i) => i.name === 'headers')?.detail ?? 'no headers'})`;

const gone = (pid: number) =>
  !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

describe.skipIf(!info.ready)(`the guest lab boots a real guest${why}`, () => {
  it('runs a script, exchanges files through the share, and returns its exit status', async () => {
    const share = tempDir('l2bench-guest-share-');
    mkdirSync(join(share, 'in'));
    execFileSync('sh', ['-c', `echo from-host > ${join(share, 'in', 'note')}`]);
    let pid = 0;
    const r = await bootGuest({
      share,
      script:
        'cat in/note > out.txt; uname -r >> out.txt; grep -c . /sys/kernel/iommu_groups/*/type | wc -l >> out.txt; exit 3',
      onStart: (p) => (pid = p),
    });
    expect(r.status).toBe(3);
    expect(readFileSync(join(share, 'out.txt'), 'utf8').split('\n').slice(0, 2)).toEqual([
      'from-host',
      '6.1.0-57-amd64',
    ]);
    expect(r.cmdline).toContain('intel_iommu=on');
    expect(r.readySeconds).toBeGreaterThan(0);
    expect(gone(pid)).toBe(true);
  });

  it('stops a guest that hangs, and says so', async () => {
    let pid = 0;
    await expect(
      bootGuest({
        share: tempDir('l2bench-guest-hang-'),
        script: 'sleep 100000',
        timeoutSeconds: 3,
        onStart: (p) => (pid = p),
      }),
    ).rejects.toThrow(/^the guest did not finish within 3 s \(hung\?\): QEMU was stopped/);
    expect(pid).toBeGreaterThan(0);
    expect(gone(pid)).toBe(true);
  });

  it('stops the guest when aborted (Ctrl-C)', async () => {
    const abort = new AbortController();
    let pid = 0;
    const booting = bootGuest({
      share: tempDir('l2bench-guest-abort-'),
      script: 'sleep 100000',
      signal: abort.signal,
      onStart: (p) => {
        pid = p;
        setTimeout(() => abort.abort(), 500);
      },
    });
    await expect(booting).rejects.toThrow(LabInterrupted);
    expect(gone(pid)).toBe(true);
  });
});

describe.skipIf(!(info.ready && info.modulesReady))(
  `the guest lab builds and loads a module${why || whyModules}`,
  () => {
    it('builds an out-of-tree module against the guest kernel’s headers and loads it in the guest', async () => {
      const out = tempDir('l2bench-module-');
      const [ko] = await buildModule(join(ROOT, 'test/fixtures/lab-module'), out);
      expect(ko).toMatch(/l2bench_hello\.ko$/);
      const share = tempDir('l2bench-module-share-');
      const r = await bootGuest({
        share,
        files: [{ path: '/l2bench_hello.ko', from: ko as string }],
        script:
          'insmod /l2bench_hello.ko && dmesg | grep l2bench-hello > hello.txt && ls /sys/kernel/slab/ | grep -c l2bench_hello_l2 >> hello.txt',
      });
      expect(r.status).toBe(0);
      const [line, caches] = readFileSync(join(share, 'hello.txt'), 'utf8').trim().split('\n');
      // 1 KiB-aligned objects: the offset in the page is a multiple of 1024.
      expect(Number(/offset (\d+)/.exec(line as string)?.[1]) % 1024).toBe(0);
      expect(caches).toBe('1');
    });
  },
);
