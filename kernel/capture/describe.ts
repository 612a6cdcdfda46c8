import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { packageFile } from '../../core/package-file.ts';
import { type CaptureManifest, MANIFEST } from '../../workloads/iommu/manifest.ts';
import type { BootResult } from '../lab/guest.ts';
import { query } from '../lab/host.ts';
import type { Lab } from '../lab/info.ts';
import type { LabState } from '../lab/state.ts';
import type { GuestFacts } from './guest-facts.ts';
import { BUFFER_KB } from './guest-script.ts';
import { kprobeDefinitions } from './probes.ts';
import type { CapturedDevice, SplitResult } from './split.ts';
import type { CaptureWorkload } from './workloads.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** l2bench's version, from its package.json (kernel/ stands beside the harness and reads it itself). */
const version = () => (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;

/** QEMU's version line, and its number. */
export function qemuVersion(binary: string): { line: string; short: string } {
  const line = query(binary, ['--version'])?.stdout.split('\n')[0]?.trim() ?? 'unknown';
  return { line, short: /version (\S+)/.exec(line)?.[1] ?? 'unknown' };
}

/** What every trace of a capture says about where it came from. */
export interface CaptureSource {
  readonly workload: CaptureWorkload;
  readonly kernel: LabState['kernel'];
  readonly qemu: string;
  readonly vcpus: number;
  readonly invalidation: 'strict' | 'lazy';
  readonly lost: number;
}

/**
 * The `#` lines a captured trace starts with: what it holds, the device and its domain, `# source:`
 * (one line the replay and trace stats show), the workload, `# lost_events:` (what trace stats
 * reads), and the manifest.
 */
export function traceHeader(c: CaptureSource, what: { device?: CapturedDevice; shared?: boolean }): string[] {
  const d = what.device;
  const who = d ? `${d.name} (${d.driver})` : what.shared ? 'all devices in one domain' : 'unattributed events';
  return [
    what.shared
      ? "# l2bench capture 1: every device's iommu:map and iommu:unmap in one IOMMU domain, as mtk_iommu shares one among its masters"
      : d
        ? '# l2bench capture 1: iommu:map and iommu:unmap of one device, as tracefs printed them in the guest'
        : '# l2bench capture 1: iommu:map and iommu:unmap events no probe named a device for',
    d
      ? `# device: ${d.name} at ${d.pci}, driver ${d.driver}, IOMMU group ${d.iommu_group} (${d.domain}): a domain and IOVA space of its own`
      : what.shared
        ? "# domain: one for all devices: every IOVA range the devices' own domains allocated, in the capture's order, allocated again by l2bench's model of iova.c (alloc_iova_fast with per-CPU rcaches) and given back when the guest gave back the device's own; device= names the device"
        : '# device: unknown (attribution missed these: see the manifest)',
    `# source: ${who} in a Debian Linux ${c.kernel.version} guest (${c.kernel.package}), QEMU ${c.qemu} TCG with an emulated Intel VT-d, ${c.vcpus} vCPU${c.vcpus > 1 ? 's' : ''}, ${c.invalidation} invalidation, workload ${c.workload.name}`,
    `# workload: ${c.workload.name}: ${c.workload.description}`,
    `# lost_events: ${c.lost}`,
    `# manifest: ${MANIFEST} (versions, command lines, attribution, sha256 of every file)`,
  ];
}

/** The manifest of a capture (workloads/iommu/manifest.ts reads it back). */
export function captureManifest(o: {
  workload: CaptureWorkload;
  script: string;
  vcpus: number;
  lazy: boolean;
  lab: Lab;
  boot: BootResult;
  share: string;
  qemu: string;
  facts: GuestFacts;
  split: SplitResult;
  memoryMiB: number;
}): CaptureManifest {
  const w = o.workload;
  const k = o.lab.state.kernel;
  return {
    l2bench_capture: 1,
    l2bench: version(),
    captured: new Date().toISOString(),
    workload: { name: w.name, description: w.description, script_sha256: sha256(o.script) },
    invalidation: o.lazy ? 'lazy' : 'strict',
    vcpus: o.vcpus,
    guest: {
      kernel: { package: k.package, version: k.version, deb_sha256: k.deb_sha256, uname: o.facts.uname },
      cmdline: o.boot.cmdline,
      iommu: 'Intel VT-d emulated by QEMU (intel-iommu,intremap=on; q35, kernel-irqchip=split), intel_iommu=on',
      memory_mib: o.memoryMiB,
      workload_seconds: o.facts.workloadSeconds,
    },
    host: {
      qemu: o.qemu,
      qemu_args: o.boot.qemuArgs.map((a) => a.replace(o.lab.dir, '$LAB').replace(o.share, '$SHARE')),
      packages: o.lab.state.host_packages,
      wall_seconds: Math.round(o.boot.wallSeconds * 10) / 10,
    },
    tracing: {
      probes: kprobeDefinitions(),
      buffer_size_kb: BUFFER_KB,
      lost_events: o.facts.ring.lost,
      probe_misses: Object.values(o.facts.probeMisses).reduce((a, b) => a + b, 0),
      probe_misses_by_probe: o.facts.probeMisses,
      entries_written: o.facts.ring.written,
      entries_in_buffer: o.facts.ring.inBuffer,
    },
    attribution: o.split.attribution,
    devices: o.split.devices.map((d) => ({
      file: d.file,
      sha256: d.sha256,
      bytes: d.bytes,
      name: d.device.name,
      pci: d.device.pci,
      driver: d.device.driver,
      iommu_group: d.device.iommu_group,
      domain: d.device.domain,
      maps: d.maps,
      unmaps: d.unmaps,
      iova_allocs: d.iova_allocs,
      iova_model_matches: d.iova_model_matches,
    })),
    shared: {
      file: o.split.shared.file,
      sha256: o.split.shared.sha256,
      bytes: o.split.shared.bytes,
      maps: o.split.shared.maps,
      unmaps: o.split.shared.unmaps,
      model:
        "one IOVA domain for all devices: every range a device's domain allocated (alloc_iova_fast: size, CPU, order) allocated by l2bench's model of iova.c (per-CPU rcaches, 127-PFN magazines) and given back when the guest gave back the device's own (free_iova_fast: at the unmap when strict, at the flush queue's flush when lazy)",
      ...o.split.shared.counts,
    },
    unattributed: o.split.unattributed && {
      file: o.split.unattributed.file,
      sha256: o.split.unattributed.sha256,
      bytes: o.split.unattributed.bytes,
      maps: o.split.unattributed.maps,
      unmaps: o.split.unattributed.unmaps,
    },
    raw: o.split.raw,
  };
}
