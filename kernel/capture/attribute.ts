import type { IommuEvent } from '../../workloads/iommu/events.ts';
import { cpuColumn, eventStart, field } from '../../workloads/trace/ftrace.ts';
import { parseUint, tokenEnd } from '../../workloads/trace/text.ts';
import type { ProbeEvent } from './probes.ts';

const PAGE = 0x1000;
const pageDown = (a: number) => a - (a % PAGE);
const pageSpan = (addr: number, size: number) => Math.ceil(((addr % PAGE) + size) / PAGE) * PAGE;

/** A probe hit parsed from its trace line. */
export interface ProbeHit {
  readonly event: ProbeEvent;
  readonly cpu: number;
  /** The device's name (its PCI address). */
  readonly dev: string;
  /** dma_map: phys; dma_unmap: addr; otherwise 0. */
  readonly addr: number;
  /** dma_map, dma_unmap: size in bytes; iova_alloc, iova_free: size in pages; otherwise 0. */
  readonly size: number;
  /** iova_alloc, iova_free: the IOVA domain (its struct iova_domain's address); otherwise ''. */
  readonly iovad: string;
  /** iova_free: the first page frame of the range given back; otherwise 0. */
  readonly pfn: number;
}

const PROBE_EVENTS = new Set<string>([
  'dma_map',
  'dma_unmap',
  'dma_map_sg',
  'dma_alloc',
  'dma_alloc_nc',
  'iova_alloc',
  'iova_free',
]);

/** The probe hit of a line, or undefined when the line is no probe hit. */
export function parseProbeLine(line: string): ProbeHit | undefined {
  const open = cpuColumn(line, 0);
  if (open < 0) return undefined;
  const close = line.indexOf(']', open);
  const p = eventStart(line, close);
  if (p < 0) return undefined;
  const q = tokenEnd(line, p);
  const event = line.slice(p, q - 1);
  if (!PROBE_EVENTS.has(event)) return undefined;
  const hex = (key: string) => {
    const v = field(line, q, key);
    return v === undefined ? 0 : Number(v);
  };
  const cpu = parseUint(line, open + 1, close);
  if (event === 'iova_alloc' || event === 'iova_free') {
    const iovad = field(line, q, ' iovad=');
    if (iovad === undefined) return undefined;
    const pfn = event === 'iova_free' ? hex(' pfn=') : 0;
    return { event, cpu, dev: '', addr: 0, size: hex(' size='), iovad, pfn };
  }
  const dev = /dev="([^"]*)"/.exec(line.slice(q))?.[1];
  if (dev === undefined) return undefined;
  const addr = event === 'dma_map' ? hex(' phys=') : event === 'dma_unmap' ? hex(' addr=') : 0;
  const size = event === 'dma_map' || event === 'dma_unmap' ? hex(' size=') : 0;
  return { event: event as ProbeEvent, cpu, dev, addr, size, iovad: '', pfn: 0 };
}

/** How an iommu event was given its device. */
type How = 'arguments' | 'group' | 'none';

export interface Attribution {
  /** The device's name, or undefined when nothing names it. */
  readonly dev: string | undefined;
  readonly how: How;
  /** The dma-iommu call the event belongs to: maps of one call (one IOVA range) share it. */
  readonly call: number;
  /** The first map of its call: the one at the start of the call's IOVA range. */
  readonly first: boolean;
}

export interface AttributionCounts {
  maps_by_arguments: number;
  maps_by_group: number;
  maps_unattributed: number;
  unmaps_by_arguments: number;
  unmaps_unattributed: number;
  /** dma_map and dma_unmap probe hits that no event matched (a failed mapping, or an event lost). */
  probe_hits_unused: number;
  probe_hits: number;
  /** IOVA domains told apart (by alloc_iova_fast inside a device's dma-iommu call), and allocations that named another device than their domain's. */
  iova_domains: number;
  iova_domain_conflicts: number;
}

/** A dma_map or dma_unmap probe hit waiting for its event: what that event must look like. */
interface Pending {
  readonly dev: string;
  readonly start: number;
  readonly size: number;
  readonly call: number;
}

/** A scatterlist or remapped allocation: its maps come in IOVA order, back to back. */
interface Group {
  readonly dev: string;
  readonly alloc: boolean;
  readonly call: number;
  /** The IOVA the next map of the group must start at; -1 before its first map. */
  next: number;
}

/** Probe hits a CPU keeps waiting; older ones are given up (counted as unused). */
const MAX_PENDING = 64;

/**
 * Names the device of each iommu:map and iommu:unmap event from the probe hits before it on the
 * same CPU (events and probe hits are per CPU in order; an interrupt can nest another device's call
 * between a probe hit and its event, which is why hits are matched by their arguments, not by
 * position):
 * - a map is __iommu_dma_map's when its paddr and size are those the hit predicts (phys rounded down
 *   to its page, size rounded up to whole pages: dma-iommu's iova_align); the newest such hit wins;
 * - otherwise it belongs to the newest scatterlist or remapped allocation on the CPU, when it starts
 *   where that group's previous map ended (its first map may start anywhere): `group`;
 * - an unmap is __iommu_dma_unmap's when its iova and size= are those the hit predicts;
 * - anything else is unattributed, and counted.
 */
export class Attributor {
  readonly counts: AttributionCounts = {
    maps_by_arguments: 0,
    maps_by_group: 0,
    maps_unattributed: 0,
    unmaps_by_arguments: 0,
    unmaps_unattributed: 0,
    probe_hits_unused: 0,
    probe_hits: 0,
    iova_domains: 0,
    iova_domain_conflicts: 0,
  };
  readonly #maps = new Map<number, Pending[]>();
  readonly #unmaps = new Map<number, Pending[]>();
  readonly #groups = new Map<number, Group>();
  /** The device of the last dma-iommu map call entered on each CPU: the one alloc_iova_fast allocates for. */
  readonly #entered = new Map<number, string>();
  /** Per IOVA domain, how many of its allocations came inside each device's calls. */
  readonly #votes = new Map<string, Map<string, number>>();
  #calls = 0;

  probe(hit: ProbeHit): void {
    this.counts.probe_hits++;
    if (hit.event === 'iova_free') return;
    if (hit.event === 'iova_alloc') {
      const dev = this.#entered.get(hit.cpu);
      if (dev === undefined) return;
      const votes = this.#votes.get(hit.iovad) ?? new Map<string, number>();
      this.#votes.set(hit.iovad, votes);
      votes.set(dev, (votes.get(dev) ?? 0) + 1);
      return;
    }
    if (hit.event !== 'dma_unmap') this.#entered.set(hit.cpu, hit.dev);
    const call = ++this.#calls;
    if (hit.event === 'dma_map' || hit.event === 'dma_unmap') {
      const table = hit.event === 'dma_map' ? this.#maps : this.#unmaps;
      const list = table.get(hit.cpu) ?? [];
      table.set(hit.cpu, list);
      list.push({ dev: hit.dev, start: pageDown(hit.addr), size: pageSpan(hit.addr, hit.size), call });
      if (list.length > MAX_PENDING) {
        list.shift();
        this.counts.probe_hits_unused++;
      }
    } else {
      this.#groups.set(hit.cpu, { dev: hit.dev, alloc: hit.event !== 'dma_map_sg', call, next: -1 });
    }
  }

  event(e: IommuEvent): Attribution {
    const addr = e.kind === 'map' ? e.paddr.low + (e.paddr.high ? 2 ** 32 : 0) : e.iova.low;
    const size = e.kind === 'map' ? e.size : e.requested;
    const list = (e.kind === 'map' ? this.#maps : this.#unmaps).get(e.cpu);
    if (list) {
      for (let i = list.length - 1; i >= 0; i--) {
        const p = list[i] as Pending;
        if (p.start === addr && p.size === size) {
          list.splice(i, 1);
          // A coherent allocation that went through __iommu_dma_map is over: its group takes no map.
          const g = this.#groups.get(e.cpu);
          if (e.kind === 'map' && g?.alloc && g.next < 0 && g.dev === p.dev) this.#groups.delete(e.cpu);
          if (e.kind === 'map') this.counts.maps_by_arguments++;
          else this.counts.unmaps_by_arguments++;
          return { dev: p.dev, how: 'arguments', call: p.call, first: e.kind === 'map' };
        }
      }
    }
    if (e.kind === 'map') {
      const g = this.#groups.get(e.cpu);
      if (g && (g.next < 0 || g.next === e.iova.low)) {
        const first = g.next < 0;
        g.next = e.iova.low + e.size;
        this.counts.maps_by_group++;
        return { dev: g.dev, how: 'group', call: g.call, first };
      }
      this.counts.maps_unattributed++;
    } else this.counts.unmaps_unattributed++;
    return { dev: undefined, how: 'none', call: ++this.#calls, first: false };
  }

  /**
   * The device of each IOVA domain: the one most of its allocations were made for (an interrupt
   * nesting another device's call between a probe hit and its allocation gives a stray vote,
   * counted as a conflict).
   */
  domains(): Map<string, string> {
    const out = new Map<string, string>();
    let conflicts = 0;
    for (const [iovad, votes] of this.#votes) {
      const ranked = [...votes].sort((a, b) => b[1] - a[1]);
      out.set(iovad, (ranked[0] as [string, number])[0]);
      for (const [, n] of ranked.slice(1)) conflicts += n;
    }
    this.counts.iova_domains = out.size;
    this.counts.iova_domain_conflicts = conflicts;
    return out;
  }

  /** At the end: probe hits still waiting had no event. */
  finish(): AttributionCounts {
    for (const table of [this.#maps, this.#unmaps])
      for (const list of table.values()) this.counts.probe_hits_unused += list.length;
    this.#maps.clear();
    this.#unmaps.clear();
    this.#groups.clear();
    return this.counts;
  }
}
