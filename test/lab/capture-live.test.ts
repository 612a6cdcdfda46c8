import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capture } from '../../kernel/capture/capture.ts';
import { labInfo } from '../../kernel/lab/info.ts';
import { readCaptureManifest } from '../../workloads/iommu/manifest.ts';
import { tempDir } from '../tmp.ts';

// Real captures: run when the lab is prepared (l2bench lab prepare), skipped with the reason otherwise.
const info = labInfo();
const why = info.ready ? '' : ` (skipped: the guest lab is not ready: ${info.problems.join('; ')})`;

describe.skipIf(!info.ready)(`l2bench capture in a real guest${why}`, () => {
  it('captures the smoke workload: every device, every event attributed, the IOVA model checked', async () => {
    const parent = tempDir('l2bench-capture-');
    const r = await capture({ workload: 'smoke', out: join(parent, 'smoke') });
    const m = readCaptureManifest(r.dir);
    expect(readdirSync(parent)).toEqual(['smoke']);
    expect(m.devices.map((d) => d.name)).toEqual(['virtio-blk', 'nvme', 'virtio-net', 'e1000e']);
    for (const d of m.devices) {
      expect(d.maps).toBeGreaterThan(0);
      expect(d.iova_model_matches).toBe(d.iova_allocs);
    }
    expect(m.attribution.maps_unattributed + m.attribution.unmaps_unattributed).toBe(0);
    expect(m.tracing.lost_events).toBe(0);
    expect(m.shared.maps).toBe(m.attribution.maps);
  });

  it('a full disk stops the capture with a clear message and leaves nothing', async (ctx) => {
    const small = tempDir('l2bench-capture-full-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small], { stdio: 'ignore' });
    } catch {
      ctx.skip('cannot mount a small tmpfs (needs root)');
    }
    try {
      await expect(capture({ workload: 'smoke', out: join(small, 'smoke') })).rejects.toThrow(
        /^no space left on the device holding .*smoke: the capture kept nothing/,
      );
      expect(readdirSync(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});
