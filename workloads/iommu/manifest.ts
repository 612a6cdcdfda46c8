import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { fileError } from '../trace/errors.ts';

/** A file of a capture: its name in the capture's folder, sha256 and size. */
const FileEntry = z.object({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int() });

/** One device's trace: which device, its driver and domain, and its events. */
const DeviceEntry = FileEntry.extend({
  name: z.string(),
  pci: z.string(),
  driver: z.string(),
  iommu_group: z.string(),
  domain: z.string(),
  maps: z.number().int(),
  unmaps: z.number().int(),
  /** IOVA ranges the device's domain allocated, and how many l2bench's IOVA model, fed them alone, put where the guest did. */
  iova_allocs: z.number().int(),
  iova_model_matches: z.number().int(),
});

/**
 * manifest.json of a capture (`l2bench capture`): where the traces came from (guest kernel, QEMU,
 * packages, command line, invalidation, workload, vCPUs), what was recorded and lost, how events
 * were attributed to devices, and every file with its sha256. Written by kernel/capture, read here.
 */
const CaptureManifestSchema = z.object({
  l2bench_capture: z.literal(1),
  l2bench: z.string(),
  captured: z.string(),
  workload: z.object({ name: z.string(), description: z.string(), script_sha256: z.string() }),
  invalidation: z.enum(['strict', 'lazy']),
  vcpus: z.number().int(),
  guest: z.object({
    kernel: z.object({ package: z.string(), version: z.string(), deb_sha256: z.string(), uname: z.string() }),
    cmdline: z.string(),
    iommu: z.string(),
    memory_mib: z.number().int(),
    /** Guest uptime (emulated seconds) when the workload started and ended. */
    workload_seconds: z.tuple([z.number(), z.number()]),
  }),
  host: z.object({
    qemu: z.string(),
    qemu_args: z.array(z.string()),
    packages: z.record(z.string(), z.string()),
    wall_seconds: z.number(),
  }),
  tracing: z.object({
    probes: z.array(z.string()),
    buffer_size_kb: z.number().int(),
    /** Events the ring buffers lost (overruns and drops, every CPU): 0 for a complete trace. */
    lost_events: z.number().int(),
    /** Probe hits the kernel missed (kprobe_profile): events that then lack their device. */
    probe_misses: z.number().int(),
    probe_misses_by_probe: z.record(z.string(), z.number().int()),
    entries_written: z.number().int(),
    entries_in_buffer: z.number().int(),
  }),
  attribution: z.object({
    maps: z.number().int(),
    unmaps: z.number().int(),
    maps_by_arguments: z.number().int(),
    maps_by_group: z.number().int(),
    maps_unattributed: z.number().int(),
    unmaps_by_arguments: z.number().int(),
    unmaps_unattributed: z.number().int(),
    probe_hits: z.number().int(),
    probe_hits_unused: z.number().int(),
    iova_domains: z.number().int(),
    iova_domain_conflicts: z.number().int(),
    /** Calls whose first map found no IOVA allocation of its domain on its CPU, and allocations no map followed. */
    iova_allocs_unpaired: z.number().int(),
  }),
  devices: z.array(DeviceEntry),
  shared: FileEntry.extend({
    maps: z.number().int(),
    unmaps: z.number().int(),
    model: z.string(),
    /** IOVA ranges the shared domain allocated, and could not. */
    ranges: z.number().int(),
    iova_failures: z.number().int(),
    /** Ranges given back that were not allocated in the capture. */
    frees_unmatched: z.number().int(),
    /** Attributed events in no live range of their device (left out of the shared trace). */
    events_outside: z.number().int(),
  }),
  unattributed: FileEntry.extend({ maps: z.number().int(), unmaps: z.number().int() }).nullable(),
  raw: FileEntry.nullable(),
});

export type CaptureManifest = z.infer<typeof CaptureManifestSchema>;

/** The name of a capture's manifest in its folder. */
export const MANIFEST = 'manifest.json';

/**
 * Read and check a capture's manifest (the file, or the folder holding it): its schema, and that
 * every file it lists is there with the sha256 it gives. Problems are TraceErrors naming the file.
 */
export function readCaptureManifest(path: string): CaptureManifest {
  const file = path.endsWith('.json') ? path : join(path, MANIFEST);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw fileError(file, `not a readable capture manifest (${(e as Error).message})`);
  }
  const r = CaptureManifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw fileError(file, `not a capture manifest: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  const m = r.data;
  const dir = dirname(file);
  for (const entry of [
    ...m.devices,
    m.shared,
    ...(m.unattributed ? [m.unattributed] : []),
    ...(m.raw ? [m.raw] : []),
  ]) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, entry.file));
    } catch {
      throw fileError(file, `lists ${entry.file}, which is missing`);
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== entry.sha256)
      throw fileError(file, `${entry.file} has sha256 ${sha}, not the ${entry.sha256} it lists`);
  }
  return m;
}
