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

/** A device's trace, and the replica of its own IOVA domain with how often it agreed with the guest. */
type DeviceOut = Out & { readonly device: CapturedDevice };
interface OwnDomain {
  readonly model: SharedDomain;
  allocs: number;
  matches: number;
}

/**
 * The second pass's state: the files it writes (opened on first use, closed by close() on every
 * exit), the shared domain and each device's replica, the allocations waiting for their first map,
 * and the counts. Fed one line of the guest's trace at a time.
 */
class Splitter {
  readonly #o: SplitOptions;
  readonly #domains: Map<string, string>;
  readonly #who = new Attributor();
  readonly #shared: SharedDomain;
  readonly #own = new Map<string, OwnDomain>();
  /** alloc_iova_fast entries per CPU, allocated in the models, waiting for their call's first map. */
  readonly #asked = new Map<number, Asked[]>();
  readonly #perDevice = new Map<string, DeviceOut>();
  readonly #writers: GzipLines[] = [];
  readonly #sharedOut: Out;
  #lost: Out | undefined;
  readonly #raw: GzipLines | undefined;
  #maps = 0;
  #unmaps = 0;
  #outside = 0;
  #unpaired = 0;

  /** Opens the shared-domain trace, and the copy of the guest's trace when kept. */
  constructor(o: SplitOptions, domains: Map<string, string>) {
    this.#o = o;
    this.#domains = domains;
    this.#shared = new SharedDomain(o.vcpus);
    this.#sharedOut = { w: this.#open('shared.trace.gz', o.header({ shared: true })), maps: 0, unmaps: 0 };
    this.#raw = o.keepRaw ? new GzipLines(join(o.outDir, 'guest-raw.trace.gz')) : undefined;
    if (this.#raw) this.#writers.push(this.#raw);
  }

  #open(file: string, header: string[]): GzipLines {
    const w = new GzipLines(join(this.#o.outDir, file));
    this.#writers.push(w);
    for (const h of header) w.write(h);
    return w;
  }

  #ownOf(dev: string): OwnDomain {
    const d = this.#own.get(dev) ?? { model: new SharedDomain(this.#o.vcpus), allocs: 0, matches: 0 };
    this.#own.set(dev, d);
    return d;
  }

  /** One line of the guest's trace: kept, then a probe hit replayed or an event written where it belongs. */
  line({ line, event, hit }: { line: string; event?: IommuEvent; hit?: ProbeHit }): void {
    this.#raw?.write(line);
    if (hit) this.#probe(hit);
    else if (event) this.#event(event, line);
  }

  #probe(hit: ProbeHit): void {
    this.#who.probe(hit);
    const cpu = hit.cpu % this.#o.vcpus;
    if (hit.event === 'iova_alloc') this.#iovaAlloc(hit, cpu);
    else if (hit.event === 'iova_free') this.#iovaFree(hit, cpu);
  }

  /** alloc_iova_fast entered: allocate in the models now, where the guest did; the call's first map will say where the guest's range went. */
  #iovaAlloc(hit: ProbeHit, cpu: number): void {
    const dev = this.#domains.get(hit.iovad);
    if (dev === undefined) {
      this.#unpaired++;
      return;
    }
    const list = this.#asked.get(hit.cpu) ?? [];
    this.#asked.set(hit.cpu, list);
    list.push({
      dev,
      pages: hit.size,
      shared: this.#shared.alloc(hit.size, cpu),
      own: this.#ownOf(dev).model.alloc(hit.size, cpu),
    });
    if (list.length > MAX_ASKED) {
      list.shift();
      this.#unpaired++;
    }
  }

  /** free_iova_fast: give the range back in the shared domain and in the device's replica. */
  #iovaFree(hit: ProbeHit, cpu: number): void {
    const dev = this.#domains.get(hit.iovad);
    if (dev === undefined) this.#shared.counts.frees_unmatched++;
    else {
      this.#shared.free(dev, hit.pfn, hit.size, cpu);
      this.#ownOf(dev).model.free(dev, hit.pfn, hit.size, cpu);
    }
  }

  /** An iommu event: to its device's trace (or unattributed), then to the shared-domain trace. */
  #event(event: IommuEvent, line: string): void {
    const isMap = event.kind === 'map';
    if (isMap) this.#maps++;
    else this.#unmaps++;
    const a = this.#who.event(event);
    const out = a.dev === undefined ? this.#unattributed() : this.#deviceOut(a.dev);
    count(out, line, isMap);
    if (a.dev === undefined) return;
    const at = event.iova.low + (event.iova.high ? 2 ** 32 : 0);
    if (isMap && a.first) this.#pairFirstMap(a.dev, event.cpu, at);
    this.#writeShared(a.dev, (out as DeviceOut).device, line, at, isMap);
  }

  #unattributed(): Out {
    this.#lost ??= { w: this.#open('unattributed.trace.gz', this.#o.header({})), maps: 0, unmaps: 0 };
    return this.#lost;
  }

  #deviceOut(dev: string): DeviceOut {
    let d = this.#perDevice.get(dev);
    if (!d) {
      const device = deviceFor(dev, this.#o.devices);
      d = { w: this.#open(`${device.name}.trace.gz`, this.#o.header({ device })), device, maps: 0, unmaps: 0 };
      this.#perDevice.set(dev, d);
    }
    return d;
  }

  /**
   * The call's range starts at its first map: pair it with the newest allocation its domain asked
   * for on this CPU (an interrupt nesting another call asks and maps in between).
   */
  #pairFirstMap(dev: string, cpu: number, at: number): void {
    const list = this.#asked.get(cpu) ?? [];
    let i = list.length - 1;
    while (i >= 0 && (list[i] as Asked).dev !== dev) i--;
    if (i < 0) {
      this.#unpaired++;
      return;
    }
    const ask = list.splice(i, 1)[0] as Asked;
    const pfn = Math.floor(at / PAGE);
    this.#shared.bind(dev, pfn, ask.pages, ask.shared);
    const d = this.#ownOf(dev);
    d.model.bind(dev, pfn, ask.pages, ask.own);
    d.allocs++;
    if (ask.own === pfn) d.matches++;
  }

  /** The event at the IOVA the shared domain gave its range, with its device; counted outside when it gave none. */
  #writeShared(dev: string, device: CapturedDevice, line: string, at: number, isMap: boolean): void {
    const iova = this.#shared.translate(dev, at);
    if (iova < 0) {
      this.#outside++;
      return;
    }
    count(this.#sharedOut, `${moveIova(line, iova)} device=${device.name}`, isMap);
  }

  #finished(w: GzipLines) {
    return { file: w.file.slice(this.#o.outDir.length + 1), ...w.finish() };
  }

  /** Finishes every file (devices by address, shared, unattributed, the guest's copy) and counts. */
  result(domainCounts: { iova_domains: number; iova_domain_conflicts: number }): SplitResult {
    const devices = [...this.#perDevice.entries()]
      .sort((x, y) => x[0].localeCompare(y[0]))
      .map(([dev, d]) => ({
        ...this.#finished(d.w),
        device: d.device,
        maps: d.maps,
        unmaps: d.unmaps,
        iova_allocs: this.#own.get(dev)?.allocs ?? 0,
        iova_model_matches: this.#own.get(dev)?.matches ?? 0,
      }));
    const sharedOut = this.#sharedOut;
    const lost = this.#lost;
    return {
      devices,
      shared: {
        ...this.#finished(sharedOut.w),
        maps: sharedOut.maps,
        unmaps: sharedOut.unmaps,
        counts: { ...this.#shared.counts, events_outside: this.#outside },
      },
      unattributed: lost ? { ...this.#finished(lost.w), maps: lost.maps, unmaps: lost.unmaps } : null,
      raw: this.#raw ? this.#finished(this.#raw) : null,
      attribution: {
        ...this.#who.finish(),
        ...domainCounts,
        maps: this.#maps,
        unmaps: this.#unmaps,
        iova_allocs_unpaired: this.#unpaired,
      },
    };
  }

  /** Closes every file opened (a finished one is already closed). */
  close(): void {
    for (const w of this.#writers) w.close();
  }
}

/** Writes a line to an output and counts it as a map or an unmap. */
function count(out: Out, line: string, isMap: boolean): void {
  out.w.write(line);
  if (isMap) out.maps++;
  else out.unmaps++;
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
  const split = new Splitter(o, domains);
  try {
    for (const l of lines(o.raw)) split.line(l);
    return split.result(domainCounts);
  } finally {
    split.close();
  }
}
