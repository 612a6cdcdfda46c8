import type { KernelVersion } from '../../core/kernel.ts';
import { parseParams } from '../../core/params.ts';
import { PAGE_SIZE } from '../../core/sizes.ts';
import { parseSpec } from '../../core/spec.ts';
import { findStrategy } from '../../strategies/index.ts';
import { Machine, type PageAccount } from '../../strategies/machine/machine.ts';
import type { SlabCounters, TableAllocator } from '../../strategies/types.ts';
import { ALLOC, type Workload } from '../../workloads/events.ts';
import { GuestProtocolError, type GuestReport, type GuestStrategy } from './protocol.ts';

/**
 * What is compared after each event, per strategy: the pages held, and the table's offset within
 * its container, except for SLUB, whose freelists Debian's 6.1 shuffles
 * (CONFIG_SLAB_FREELIST_RANDOM): there the four sysfs slab counters are compared instead; and for
 * page_frag, the reference count of the table's page as well.
 */
const FIELDS: Record<GuestStrategy['letter'], readonly string[]> = {
  s: ['pages', 'slabs', 'partial', 'cpu_slabs', 'slabs_cpu_partial'],
  g: ['pages', 'offset'],
  p: ['pages', 'offset', 'refcount'],
  f: ['pages', 'offset'],
  d: ['pages', 'offset'],
};

export interface GuestDivergence {
  readonly strategy: string;
  /** The event of the workload after which the states differed (1-based). */
  readonly event: number;
  readonly kind: 'alloc' | 'free';
  readonly id: number;
  readonly cpu: number;
  /** Every compared field, model and kernel, and the ones that differ. */
  readonly model: Readonly<Record<string, number>>;
  readonly kernel: Readonly<Record<string, number>>;
  readonly fields: readonly string[];
}

export interface StrategyComparison {
  readonly strategy: string;
  readonly events: number;
  /** Events after which every compared field agreed, up to the first divergence. */
  readonly matches: number;
  readonly compared: readonly string[];
  readonly firstDivergence: GuestDivergence | null;
}

function kernelState(letter: GuestStrategy['letter'], r: GuestReport): Record<string, number> {
  const out: Record<string, number> = { pages: r.pages, offset: r.offset };
  if (letter === 's') [out.slabs, out.partial, out.cpu_slabs, out.slabs_cpu_partial] = r.x;
  if (letter === 'p') out.refcount = r.x[0];
  return out;
}

/** The model's view of what the module reports, after the event on table address `addr`. */
function modelState(
  letter: GuestStrategy['letter'],
  model: TableAllocator,
  pages: PageAccount,
  kind: number,
  addr: number,
  counters: SlabCounters,
): Record<string, number> {
  const out: Record<string, number> = {
    pages: pages.heldBytes / PAGE_SIZE,
    offset: kind === ALLOC && addr >= 0 ? addr - pages.compoundHead(addr) : -1,
  };
  if (letter === 's' && model.sysfsCounters) {
    model.sysfsCounters(counters);
    [out.slabs, out.partial, out.cpu_slabs, out.slabs_cpu_partial] = [
      counters.slabs,
      counters.partial,
      counters.cpu_slabs,
      counters.slabs_cpu_partial,
    ];
  }
  // page_ref_count of the table's page; 0 once the page went back to the page allocator.
  if (letter === 'p') out.refcount = addr >= 0 && pages.holds(addr) ? pages.getPrivate(addr) : 0;
  return out;
}

/**
 * Replay `workload` in the model of one strategy (the given kernel's, on `cpus` CPUs, workload
 * CPUs folded onto them as the guest's events were) and compare it with the kernel's reports,
 * event by event, stopping at the first difference.
 */
export function compareStrategy(
  s: GuestStrategy,
  workload: Workload,
  reports: readonly GuestReport[],
  o: {
    cpus: number;
    kernel: KernelVersion;
    /** Another model than the strategy's own (a mutant), built on the same pages. */
    create?: (pages: PageAccount) => TableAllocator;
  },
): StrategyComparison {
  const { name, params } = parseSpec(s.strategy, 'strategy');
  const def = findStrategy(name);
  if (!def) throw new Error(`no strategy ${name}`);
  const machine = new Machine({ cpus: o.cpus });
  const pages = machine.account(s.strategy);
  const model =
    o.create?.(pages) ??
    def.create({
      pages,
      cpus: o.cpus,
      params: parseParams(s.strategy, def.params, params),
      kernel: o.kernel,
      totalramPages: machine.totalPages,
    });
  const fields = FIELDS[s.letter];
  const counters: SlabCounters = { slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 };
  const addr = new Map<number, number>();
  let event = 0;
  let matches = 0;
  for (const c of workload.chunks()) {
    for (let i = 0; i < c.length; i++) {
      const kind = c.kind[i] as number;
      const id = c.id[i] as number;
      const cpu = (c.cpu[i] as number) % o.cpus;
      const r = reports[event];
      event++;
      if (!r || r.id !== id || r.kind !== (kind === ALLOC ? 'a' : 'f')) {
        throw new GuestProtocolError(
          `${s.strategy}: the module's report ${event} is not event ${event} of ${workload.spec} (${r ? `${r.kind} ${r.id}` : 'missing'})`,
        );
      }
      if (r.cpu !== cpu) throw new GuestProtocolError(`${s.strategy}: event ${event} ran on CPU ${r.cpu}, not ${cpu}`);
      let at: number;
      if (kind === ALLOC) {
        at = model.alloc(cpu);
        if (at >= 0) addr.set(id, at);
      } else {
        at = addr.get(id) ?? -1;
        addr.delete(id);
        if (at >= 0) model.free(at, cpu);
      }
      const want = modelState(s.letter, model, pages, kind, at, counters);
      const got = kernelState(s.letter, r);
      const differ = fields.filter((f) => want[f] !== got[f]);
      if (differ.length > 0) {
        const pick = (x: Record<string, number>) => Object.fromEntries(fields.map((f) => [f, x[f] as number]));
        return {
          strategy: s.strategy,
          events: event,
          matches,
          compared: fields,
          firstDivergence: {
            strategy: s.strategy,
            event,
            kind: kind === ALLOC ? 'alloc' : 'free',
            id,
            cpu,
            model: pick(want),
            kernel: pick(got),
            fields: differ,
          },
        };
      }
      matches++;
    }
  }
  if (reports.length !== event) {
    throw new GuestProtocolError(`${s.strategy}: the module reported ${reports.length} events of ${event}`);
  }
  return { strategy: s.strategy, events: event, matches, compared: fields, firstDivergence: null };
}
