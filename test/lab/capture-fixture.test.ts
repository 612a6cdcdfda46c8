import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { traceHeader } from '../../kernel/capture/describe.ts';
import { splitCapture } from '../../kernel/capture/split.ts';
import { captureWorkload } from '../../kernel/capture/workloads.ts';
import { readCaptureManifest } from '../../workloads/iommu/manifest.ts';
import { iommuTraceStats } from '../../workloads/iommu/stats.ts';
import { TraceError } from '../../workloads/trace/errors.ts';
import { l2bench, ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

// Two real captures of the smoke workload (l2bench capture -w smoke --keep-raw; the second with
// --invalidation lazy --vcpus 2), shipped with the guest's own trace (guest-raw.trace.gz: probe hits
// and iommu events as tracefs printed them), so that parsing, attribution, the per-device split and
// the shared-domain merge are checked without QEMU.
const FIXTURES = join(ROOT, 'test/fixtures/capture');
const text = (file: string) => gunzipSync(readFileSync(file)).toString('utf8');
const events = (t: string) => t.split('\n').filter((l) => / (map|unmap): IOMMU: /.test(l));

/**
 * Maps and unmaps per device, counted from guest-raw.trace.gz with a simpler rule than the
 * capture's (the device of the last dma_* probe hit on the event's CPU), by:
 *   zcat guest-raw.trace.gz | awk '
 *     match($0, /\[[0-9]+\]/) { cpu = substr($0, RSTART+1, RLENGTH-2) }
 *     / dma_[a-z_]+: / && match($0, /dev="[^"]*"/) { dev[cpu] = substr($0, RSTART+5, RLENGTH-6) }
 *     / map: IOMMU: /   { maps[dev[cpu]]++ }
 *     / unmap: IOMMU: / { unmaps[dev[cpu]]++ }
 *     END { for (d in maps) print d, maps[d], unmaps[d] }'
 * These captures have no interrupt nesting one device's call inside another's, so both rules must agree.
 */
const AWK: Record<string, Record<string, [number, number]>> = {
  'smoke-strict-1cpu': {
    '0000:00:03.0': [270, 268],
    '0000:00:04.0': [89, 78],
    '0000:00:05.0': [333, 97],
    '0000:00:06.0': [316, 58],
  },
  'smoke-lazy-2cpu': {
    '0000:00:03.0': [270, 268],
    '0000:00:04.0': [87, 78],
    '0000:00:05.0': [336, 99],
    '0000:00:06.0': [319, 61],
  },
};

describe.each(Object.keys(AWK))('the captured %s', (name) => {
  const dir = join(FIXTURES, name);
  const m = readCaptureManifest(dir);
  const raw = text(join(dir, 'guest-raw.trace.gz'));

  it('has a manifest that checks: versions, settings, no loss, every file’s sha256', () => {
    expect(m.guest.kernel).toMatchObject({ package: 'linux-image-6.1.0-57-amd64', version: '6.1.192-3' });
    expect(m.guest.cmdline).toContain(`iommu.strict=${m.invalidation === 'strict' ? 1 : 0}`);
    expect(m.vcpus).toBe(name.endsWith('2cpu') ? 2 : 1);
    expect(m.tracing).toMatchObject({ lost_events: 0, probe_misses: 0 });
    expect(m.devices.map((d) => [d.name, d.driver])).toEqual([
      ['virtio-blk', 'virtio_blk'],
      ['nvme', 'nvme'],
      ['virtio-net', 'virtio_net'],
      ['e1000e', 'e1000e'],
    ]);
    expect(m.unattributed).toBeNull();
  });

  it('is refused when a file no longer has the sha256 its manifest gives', () => {
    const copy = join(tempDir('l2bench-capture-tampered-'), name);
    cpSync(dir, copy, { recursive: true });
    const file = join(copy, 'nvme.trace.gz');
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 9) ^ 1, bytes.length - 9);
    writeFileSync(file, bytes);
    expect(() => readCaptureManifest(copy)).toThrow(TraceError);
    expect(() => readCaptureManifest(copy)).toThrow(/manifest\.json: nvme\.trace\.gz has sha256 [0-9a-f]{64}, not the/);
  });

  it('splits by device as an independent count does, each file holding its events in the guest’s order', () => {
    for (const d of m.devices) {
      const [maps, unmaps] = (AWK[name] as Record<string, [number, number]>)[d.pci] as [number, number];
      expect([d.maps, d.unmaps]).toEqual([maps, unmaps]);
      const lines = events(text(join(dir, d.file)));
      expect(lines.filter((l) => l.includes(' map: ')).length).toBe(maps);
      expect(lines.length).toBe(maps + unmaps);
      // A subsequence of the raw trace: each line is the guest's own, in order.
      let at = 0;
      for (const l of lines) {
        at = raw.indexOf(`${l}\n`, at);
        expect(at).toBeGreaterThanOrEqual(0);
      }
    }
    expect(m.attribution.maps).toBe(events(raw).filter((l) => l.includes(' map: ')).length);
    expect(m.attribution.maps_unattributed + m.attribution.unmaps_unattributed).toBe(0);
  });

  it('re-splits to the same files: per device, shared, and the counts', () => {
    const out = tempDir('l2bench-resplit-');
    const rawFile = join(out, 'raw.txt');
    writeFileSync(rawFile, raw);
    const w = captureWorkload(m.workload.name);
    if (!w) throw new Error(`no workload ${m.workload.name}`);
    const source = {
      workload: w,
      kernel: { ...m.guest.kernel, expected_version: '', release: '', deb: '', deb_bytes: 0 },
      qemu: /version (\S+)/.exec(m.host.qemu)?.[1] ?? '',
      vcpus: m.vcpus,
      invalidation: m.invalidation,
      lost: m.tracing.lost_events,
    };
    const r = splitCapture({
      raw: rawFile,
      outDir: out,
      devices: m.devices.map((d) => ({
        name: d.name,
        pci: d.pci,
        driver: d.driver,
        iommu_group: d.iommu_group,
        domain: d.domain,
      })),
      vcpus: m.vcpus,
      header: (what) => traceHeader(source, what),
    });
    for (const d of m.devices) expect(text(join(out, d.file))).toBe(text(join(dir, d.file)));
    expect(text(join(out, 'shared.trace.gz'))).toBe(text(join(dir, 'shared.trace.gz')));
    expect(r.attribution).toEqual(m.attribution);
    expect(r.devices.map((d) => [d.iova_allocs, d.iova_model_matches])).toEqual(
      m.devices.map((d) => [d.iova_allocs, d.iova_model_matches]),
    );
  });

  it('the IOVA model, fed one device’s allocations and frees, puts every range where the guest’s kernel did', () => {
    // The guest's allocator is the oracle: this is what the shared-domain trace rests on.
    for (const d of m.devices) {
      expect(d.iova_allocs).toBeGreaterThan(0);
      expect(d.iova_model_matches).toBe(d.iova_allocs);
    }
    expect(m.attribution.iova_allocs_unpaired).toBe(0);
  });

  it('merges all devices into one domain: every attributed event once, in order, moved to its shared IOVA', () => {
    const shared = events(text(join(dir, 'shared.trace.gz')));
    const own = events(raw);
    expect(shared.length).toBe(own.length);
    expect(m.shared).toMatchObject({
      maps: m.attribution.maps,
      unmaps: m.attribution.unmaps,
      iova_failures: 0,
      events_outside: 0,
      frees_unmatched: 0,
    });
    shared.forEach((l, i) => {
      // The guest's line with only iova=… - … changed, and device= added.
      const strip = (s: string) => s.replace(/iova=0x[0-9a-f]+ - 0x[0-9a-f]+/, 'iova=').replace(/ device=\S+$/, '');
      expect(strip(l)).toBe(strip(own[i] as string));
      expect(l).toMatch(/ device=(virtio-blk|nvme|virtio-net|e1000e)$/);
    });
    // One domain: no two live maps of different devices share a page.
    const owner = new Map<number, string>();
    for (const l of shared) {
      const [, kind, a, b] = /(map|unmap): IOMMU: iova=0x([0-9a-f]+) - 0x([0-9a-f]+)/.exec(l) as RegExpExecArray;
      const dev = / device=(\S+)$/.exec(l)?.[1] as string;
      for (let p = Number.parseInt(a as string, 16); p < Number.parseInt(b as string, 16); p += 0x1000) {
        if (kind === 'map') {
          expect(owner.has(p)).toBe(false);
          owner.set(p, dev);
        } else owner.delete(p);
      }
    }
  });
});

describe('trace stats of captured traces', () => {
  // Counted from the files by a python loop over `(map|unmap): IOMMU: iova=0x… size=N` lines: maps,
  // unmaps, the 1 MiB slots [iova >> 20, (iova + size - 1) >> 20] of the maps, the largest map.
  it.each([
    ['smoke-lazy-2cpu/nvme.trace.gz', 87, 78, 1, 65536],
    ['smoke-strict-1cpu/virtio-net.trace.gz', 333, 97, 2, 8192],
    ['smoke-lazy-2cpu/shared.trace.gz', 1012, 506, 3, 65536],
  ])('%s: %i maps, %i unmaps, %i slots, largest %i B', (file, maps, unmaps, slots, largest) => {
    const s = iommuTraceStats(join(FIXTURES, file));
    expect([s.maps, s.unmaps, s.slots, s.largest_map]).toEqual([maps, unmaps, slots, largest]);
    expect([s.unmaps_not_mapped, s.unmaps_partial, s.maps_over_live]).toEqual([0, 0, 0]);
    expect(s.source).toMatch(/ in a Debian Linux 6\.1\.192-3 guest /);
    expect(s.lost_events).toBe(0);
  });

  it('l2bench trace stats prints them, and iommu:trace= replays a capture', async () => {
    const file = join(FIXTURES, 'smoke-lazy-2cpu/nvme.trace.gz');
    const r = await l2bench(['trace', 'stats', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^maps +87 \(/m);
    expect(r.stdout).toMatch(/^1 MiB slots +1 distinct/m);
    expect(r.stdout).toMatch(/^source +nvme \(nvme\) in a Debian Linux 6\.1\.192-3 guest/m);
    const out = join(tempDir('l2bench-capture-run-'), 'run');
    const run = await l2bench([
      'run',
      '-w',
      `iommu:trace=${file}`,
      '-s',
      'slab-dma32',
      '--no-throughput',
      '--format',
      'json',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const info = json.records[0].detail.workload_info;
    expect(info).toMatchObject({ maps: 87, unmaps: 78, table_allocs: iommuTraceStats(file).v7s?.table_allocs });
    expect(info.source).toMatch(
      /^nvme \(nvme\) in a Debian Linux 6\.1\.192-3 guest .*2 vCPUs, lazy invalidation, workload smoke$/,
    );
  });
});
