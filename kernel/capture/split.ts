import { join } from 'node:path';
import { type IommuEvent, parseIommuLine } from '../../workloads/iommu/events.ts';
import { ByteLineReader } from '../../workloads/trace/lines.ts';
import { deviceName } from '../lab/devices.ts';
import { type AttributionCounts, Attributor, type ProbeHit, parseProbeLine } from './attribute.ts';
import { GzipLines } from './gzip-lines.ts';
import { SharedDomain, type SharedDomainCounts } from './shared-domain.ts';

const PAGE = 0x1000;
/** alloc_iova_fast entries a CPU keeps waiting for their call's first map; older ones are given up. */
const MAX_ASKED = 64;

/** A device of the guest, as the capture names it. */
export interface CapturedDevice {
  /** virtio-blk, nvme, … for the lab's devices; pci-0000-00-1f-2 for another. */
  readonly name: string;
  readonly pci: string;
  readonly driver: string;
  readonly iommu_group: string;
  readonly domain: string;
}

export interface SplitOptions {
  /** The guest's trace (probe hits and iommu events, as tracefs printed them). */
  readonly raw: string;
  readonly outDir: string;
  /** What the guest said about its PCI devices (name, driver, group); others are named by address. */
  readonly devices: readonly CapturedDevice[];
  readonly vcpus: number;
  /** The `#` header lines of a file, for one device, the shared domain, or the unattributed events. */
  readonly header: (what: { device?: CapturedDevice; shared?: boolean }) => string[];
  /** Also keep the guest's trace itself (gzip). */
  readonly keepRaw?: boolean;
}

interface SplitFile {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly maps: number;
  readonly unmaps: number;
}

/** A device's trace, and how well the IOVA model reproduces its own domain. */
interface DeviceFile extends SplitFile {
  readonly device: CapturedDevice;
  /** IOVA ranges the device's domain allocated in the capture. */
  readonly iova_allocs: number;
  /**
   * Of those, the ranges for which the IOVA model, fed this device's allocations and frees alone,
   * gave the page the guest's kernel gave: the check of the model the shared-domain trace rests on.
   */
  readonly iova_model_matches: number;
}

export interface SplitResult {
  readonly devices: DeviceFile[];
  readonly shared: SplitFile & { readonly counts: SharedDomainCounts & { events_outside: number } };
  readonly unattributed: SplitFile | null;
  readonly raw: Omit<SplitFile, 'maps' | 'unmaps'> | null;
  readonly attribution: AttributionCounts & { maps: number; unmaps: number; iova_allocs_unpaired: number };
}

/** A device as the guest described it, or by its address alone. */
function deviceFor(pci: string, devices: readonly CapturedDevice[]): CapturedDevice {
  return (
    devices.find((d) => d.pci === pci) ?? { name: deviceName(pci), pci, driver: '-', iommu_group: '-', domain: '-' }
  );
}

/** Each line of the raw trace with its iommu event or probe hit (re-read on each pass). */
function* lines(raw: string): Generator<{ line: string; event?: IommuEvent; hit?: ProbeHit }> {
  const reader = new ByteLineReader(raw);
  try {
    for (let line = reader.nextText(); line !== undefined; line = reader.nextText()) {
      const event = parseIommuLine(raw, reader.line, line);
      if (event) yield { line, event };
      else {
        const hit = parseProbeLine(line);
        yield hit ? { line, hit } : { line };
      }
    }
  } finally {
    reader.close();
  }
}

/** First pass: the device of each IOVA domain, from the calls its allocations are made in. */
function firstPass(raw: string) {
  const who = new Attributor();
  for (const { hit } of lines(raw)) if (hit) who.probe(hit);
  const domains = who.domains();
  const { iova_domains, iova_domain_conflicts } = who.counts;
  return { domains, domainCounts: { iova_domains, iova_domain_conflicts } };
}

/** `iova=0x… - 0x…` of a line moved to start at iova (the end moves with it). */
function moveIova(line: string, iova: number): string {
  return line.replace(/iova=0x([0-9a-fA-F]+) - 0x([0-9a-fA-F]+)/, (_, a: string, b: string) => {
    const len = Number.parseInt(b, 16) - Number.parseInt(a, 16);
    return `iova=0x${hex16(iova)} - 0x${hex16(iova + len)}`;
  });
}

const hex16 = (n: number) => n.toString(16).padStart(16, '0');

/** An IOVA allocation the models made when the guest's call entered alloc_iova_fast. */
interface Asked {
  readonly dev: string;
  readonly pages: number;
  /** The first page the shared domain, and the replica of the device's own, gave it. */
  readonly shared: number;
  readonly own: number;
}

interface Out {
  readonly w: GzipLines;
  maps: number;
  unmaps: number;
}

/**
 * Split a guest's trace by device and build the shared-domain trace, streaming. A first pass finds
 * which IOVA domain is which device's; the second attributes every event (attribute.ts) and writes
 * it to its device's trace as the guest printed it, replays every domain's IOVA allocations and
 * frees (alloc_iova_fast when entered: its size, the guest's range found at the call's first map;
 * free_iova_fast) into the shared domain and into a replica of the device's own, and writes each event to the shared-domain trace at the IOVA the
 * shared domain gave its range (with ` device=NAME`). Events no probe names go to
 * unattributed.trace.gz. Every file is gzip, with its header first.
 */
export function splitCapture(o: SplitOptions): SplitResult {
  const { domains, domainCounts } = firstPass(o.raw);
  const who = new Attributor();
  const shared = new SharedDomain(o.vcpus);
  const own = new Map<string, { model: SharedDomain; allocs: number; matches: number }>();
  const ownOf = (dev: string) => {
    const d = own.get(dev) ?? { model: new SharedDomain(o.vcpus), allocs: 0, matches: 0 };
    own.set(dev, d);
    return d;
  };
  /** alloc_iova_fast entries per CPU, allocated in the models, waiting for their call's first map. */
  const asked = new Map<number, Asked[]>();
  const perDevice = new Map<string, Out & { device: CapturedDevice }>();
  const writers: GzipLines[] = [];
  const open = (file: string, header: string[]) => {
    const w = new GzipLines(join(o.outDir, file));
    writers.push(w);
    for (const h of header) w.write(h);
    return w;
  };
  const sharedOut: Out = { w: open('shared.trace.gz', o.header({ shared: true })), maps: 0, unmaps: 0 };
  let lost: Out | undefined;
  const raw = o.keepRaw ? new GzipLines(join(o.outDir, 'guest-raw.trace.gz')) : undefined;
  if (raw) writers.push(raw);
  let maps = 0;
  let unmaps = 0;
  let outside = 0;
  let unpaired = 0;
  try {
    for (const { line, event, hit } of lines(o.raw)) {
      raw?.write(line);
      if (hit) {
        who.probe(hit);
        const cpu = hit.cpu % o.vcpus;
        if (hit.event === 'iova_alloc') {
          // Allocate in the models now, where the guest did; the call's first map will say where the guest's range went.
          const dev = domains.get(hit.iovad);
          if (dev === undefined) {
            unpaired++;
            continue;
          }
          const list = asked.get(hit.cpu) ?? [];
          asked.set(hit.cpu, list);
          list.push({
            dev,
            pages: hit.size,
            shared: shared.alloc(hit.size, cpu),
            own: ownOf(dev).model.alloc(hit.size, cpu),
          });
          if (list.length > MAX_ASKED) {
            list.shift();
            unpaired++;
          }
        } else if (hit.event === 'iova_free') {
          const dev = domains.get(hit.iovad);
          if (dev === undefined) shared.counts.frees_unmatched++;
          else {
            shared.free(dev, hit.pfn, hit.size, cpu);
            ownOf(dev).model.free(dev, hit.pfn, hit.size, cpu);
          }
        }
        continue;
      }
      if (!event) continue;
      const isMap = event.kind === 'map';
      if (isMap) maps++;
      else unmaps++;
      const a = who.event(event);
      let out: Out & { device?: CapturedDevice };
      if (a.dev === undefined) {
        lost ??= { w: open('unattributed.trace.gz', o.header({})), maps: 0, unmaps: 0 };
        out = lost;
      } else {
        let d = perDevice.get(a.dev);
        if (!d) {
          const device = deviceFor(a.dev, o.devices);
          d = { w: open(`${device.name}.trace.gz`, o.header({ device })), device, maps: 0, unmaps: 0 };
          perDevice.set(a.dev, d);
        }
        out = d;
      }
      out.w.write(line);
      if (isMap) out.maps++;
      else out.unmaps++;
      if (!out.device) continue;
      const dev = a.dev as string;
      const at = event.iova.low + (event.iova.high ? 2 ** 32 : 0);
      if (isMap && a.first) {
        // The call's range starts at its first map: pair it with the newest allocation its domain
        // asked for on this CPU (an interrupt nesting another call asks and maps in between).
        const list = asked.get(event.cpu) ?? [];
        let i = list.length - 1;
        while (i >= 0 && (list[i] as Asked).dev !== dev) i--;
        if (i < 0) unpaired++;
        else {
          const ask = list.splice(i, 1)[0] as Asked;
          const pfn = Math.floor(at / PAGE);
          shared.bind(dev, pfn, ask.pages, ask.shared);
          const d = ownOf(dev);
          d.model.bind(dev, pfn, ask.pages, ask.own);
          d.allocs++;
          if (ask.own === pfn) d.matches++;
        }
      }
      const iova = shared.translate(dev, at);
      if (iova < 0) {
        outside++;
        continue;
      }
      sharedOut.w.write(`${moveIova(line, iova)} device=${out.device.name}`);
      if (isMap) sharedOut.maps++;
      else sharedOut.unmaps++;
    }
    const finished = (w: GzipLines) => ({ file: w.file.slice(o.outDir.length + 1), ...w.finish() });
    const devices = [...perDevice.entries()]
      .sort((x, y) => x[0].localeCompare(y[0]))
      .map(([dev, d]) => ({
        ...finished(d.w),
        device: d.device,
        maps: d.maps,
        unmaps: d.unmaps,
        iova_allocs: own.get(dev)?.allocs ?? 0,
        iova_model_matches: own.get(dev)?.matches ?? 0,
      }));
    return {
      devices,
      shared: {
        ...finished(sharedOut.w),
        maps: sharedOut.maps,
        unmaps: sharedOut.unmaps,
        counts: { ...shared.counts, events_outside: outside },
      },
      unattributed: lost ? { ...finished(lost.w), maps: lost.maps, unmaps: lost.unmaps } : null,
      raw: raw ? finished(raw) : null,
      attribution: { ...who.finish(), ...domainCounts, maps, unmaps, iova_allocs_unpaired: unpaired },
    };
  } finally {
    for (const w of writers) w.close();
  }
}
