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

interface CompareOptions {
  cpus: number;
  kernel: KernelVersion;
  /** Another model than the strategy's own (a mutant), built on the same pages. */
  create?: (pages: PageAccount) => TableAllocator;
}

/** The strategy's model (or the mutant) on a fresh machine, and the pages it takes. */
function buildModel(s: GuestStrategy, o: CompareOptions): { pages: PageAccount; model: TableAllocator } {
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
  return { pages, model };
}

/** One event of the workload: its kind, table id and CPU (folded onto the guest's). */
interface Step {
  readonly kind: number;
  readonly id: number;
  readonly cpu: number;
}

/** The module's report `event` (1-based) must be this event of the workload, on its CPU. */
function checkReport(
  s: GuestStrategy,
  workload: Workload,
  r: GuestReport | undefined,
  event: number,
  e: Step,
): GuestReport {
  if (!r || r.id !== e.id || r.kind !== (e.kind === ALLOC ? 'a' : 'f')) {
    throw new GuestProtocolError(
      `${s.strategy}: the module's report ${event} is not event ${event} of ${workload.spec} (${r ? `${r.kind} ${r.id}` : 'missing'})`,
    );
  }
  if (r.cpu !== e.cpu) throw new GuestProtocolError(`${s.strategy}: event ${event} ran on CPU ${r.cpu}, not ${e.cpu}`);
  return r;
}

/** The event in the model: the table's address (-1 for a failed alloc or a free of nothing). */
function replayEvent(model: TableAllocator, addr: Map<number, number>, e: Step): number {
  if (e.kind === ALLOC) {
    const at = model.alloc(e.cpu);
    if (at >= 0) addr.set(e.id, at);
    return at;
  }
  const at = addr.get(e.id) ?? -1;
  addr.delete(e.id);
  if (at >= 0) model.free(at, e.cpu);
  return at;
}

/** What the comparison found at the first event whose states differ. */
function divergence(
  strategy: string,
  fields: readonly string[],
  event: number,
  e: Step,
  want: Record<string, number>,
  got: Record<string, number>,
  differ: readonly string[],
): GuestDivergence {
  const pick = (x: Record<string, number>) => Object.fromEntries(fields.map((f) => [f, x[f] as number]));
  return {
    strategy,
    event,
    kind: e.kind === ALLOC ? 'alloc' : 'free',
    id: e.id,
    cpu: e.cpu,
    model: pick(want),
    kernel: pick(got),
    fields: differ,
  };
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
  o: CompareOptions,
): StrategyComparison {
  const { pages, model } = buildModel(s, o);
  const fields = FIELDS[s.letter];
  const counters: SlabCounters = { slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 };
  const addr = new Map<number, number>();
  let event = 0;
  let matches = 0;
  for (const c of workload.chunks()) {
    for (let i = 0; i < c.length; i++) {
      const e: Step = { kind: c.kind[i] as number, id: c.id[i] as number, cpu: (c.cpu[i] as number) % o.cpus };
      const r = reports[event];
      event++;
      const report = checkReport(s, workload, r, event, e);
      const at = replayEvent(model, addr, e);
      const want = modelState(s.letter, model, pages, e.kind, at, counters);
      const got = kernelState(s.letter, report);
      const differ = fields.filter((f) => want[f] !== got[f]);
      if (differ.length > 0) {
        const firstDivergence = divergence(s.strategy, fields, event, e, want, got, differ);
        return { strategy: s.strategy, events: event, matches, compared: fields, firstDivergence };
      }
      matches++;
    }
  }
  if (reports.length !== event) {
    throw new GuestProtocolError(`${s.strategy}: the module reported ${reports.length} events of ${event}`);
  }
  return { strategy: s.strategy, events: event, matches, compared: fields, firstDivergence: null };
}
