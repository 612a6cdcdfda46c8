import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { Machine } from '../../strategies/machine/machine.ts';
import { slubCacheModel } from '../../strategies/slub/strategy.ts';
import type { SlabCounters, SlabSysfs, TableAllocator } from '../../strategies/types.ts';
import { ALLOC } from '../../workloads/events.ts';
import type {
  FromModel,
  MaintenanceStep,
  ModelFailure,
  ModelSetup,
  ModelVariant,
  Step,
  ToModel,
  VariantFailure,
} from './model-protocol.ts';

/**
 * The thread that replays `kernel check`'s models (model-thread.ts starts it): the SLUB 6.18 model
 * and any variants, fresh for every workload, fed the workload's events batch by batch. At every
 * checkpoint it writes each model's four counters; the main thread compares them with the live
 * cache's. It decides nothing the main thread could not: where checkpoints fall is the schedule's,
 * and whether a shrink or flush is made is the model's (how many CPUs hold slabs), sent back.
 */
const setup = workerData as ModelSetup;
const port = parentPort as NonNullable<typeof parentPort>;

/** A model that shows what sysfs shows, and flushes and shrinks as the kernel's cache does. */
type InspectableCache = TableAllocator &
  Required<Pick<TableAllocator, 'sysfsCounters' | 'sysfsView' | 'flushAll' | 'shrink' | 'cpusHoldingSlabs'>>;

function inspectable(model: TableAllocator, name: string): InspectableCache {
  if (!model.sysfsCounters || !model.sysfsView || !model.flushAll || !model.shrink || !model.cpusHoldingSlabs) {
    throw new Error(`${name} shows no sysfs counters or cannot flush and shrink`);
  }
  return model as InspectableCache;
}

/** One model replaying the workload: its own table addresses. */
class ModelReplay {
  readonly #counters: SlabCounters = { slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 };
  #addr = new Float64Array(1024);

  constructor(readonly model: InspectableCache) {}

  event(kind: number, id: number, cpu: number, event: number): void {
    if (kind !== ALLOC) {
      this.model.free(this.#addr[id] as number, cpu);
      return;
    }
    const a = this.model.alloc(cpu);
    if (a < 0) throw new Error(`the model ran out of memory at event ${event}`);
    if (id >= this.#addr.length) {
      let len = this.#addr.length;
      while (len <= id) len *= 2;
      const next = new Float64Array(len);
      next.set(this.#addr);
      this.#addr = next;
    }
    this.#addr[id] = a;
  }

  /** The kernel's shrink or flush, on the model: kmem_cache_shrink, or flush_all. */
  maintain(step: MaintenanceStep): void {
    if (step === 'shrink') this.model.shrink();
    else this.model.flushAll();
  }

  /** Write slabs, partial, cpu_slabs, slabs_cpu_partial at `out[at…at+3]`. */
  write(out: Int32Array, at: number): void {
    const c = this.model.sysfsCounters(this.#counters);
    out[at] = c.slabs;
    out[at + 1] = c.partial;
    out[at + 2] = c.cpu_slabs;
    out[at + 3] = c.slabs_cpu_partial;
  }
}

async function loadVariants(module: string | null): Promise<readonly ModelVariant[]> {
  if (!module) return [];
  const url = isAbsolute(module) ? pathToFileURL(module).href : module;
  const variants = ((await import(url)) as { variants?: unknown }).variants;
  if (!Array.isArray(variants)) throw new Error(`${module} exports no variants array`);
  return variants as ModelVariant[];
}

const VARIANTS = await loadVariants(setup.variantsModule);
const { every, steps } = setup.schedule;
const cpus = setup.input.cpus;
const fault = setup.fault;

/** Multiples of k in (from, to]. */
const multiples = (k: number, from: number, to: number) => Math.floor(to / k) - Math.floor(from / k);

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** What one batch sends back: each model's counters at its checkpoints, the steps made, the variants lost, the model's failure. */
class BatchOut {
  /** Checkpoints written, and maintenance steps decided. */
  cp = 0;
  mi = 0;
  failure: ModelFailure | null = null;
  view: SlabSysfs | null = null;
  readonly counters: Int32Array;
  readonly made: Uint8Array;
  readonly variantCounters: Int32Array;
  readonly variantFailures: VariantFailure[] = [];

  /** `most`: the checkpoints and steps the batch can hold at most; `variants`: how many variants there are. */
  constructor(
    most: number,
    readonly variants: number,
  ) {
    this.counters = new Int32Array(4 * (most + 1));
    this.made = new Uint8Array(most);
    this.variantCounters = new Int32Array(variants * 4 * (most + 1));
  }

  reply(): Extract<FromModel, { type: 'replayed' }> {
    return {
      type: 'replayed',
      counters: this.counters.subarray(0, this.cp * 4),
      made: this.made.subarray(0, this.mi),
      variantCounters: this.variantCounters.subarray(0, this.cp * this.variants * 4),
      variantFailures: this.variantFailures,
      failure: this.failure,
      view: this.view,
    };
  }
}

/** The models of one workload, and how far they got. */
class WorkloadModels {
  readonly main: ModelReplay;
  /** Each variant, or null once it threw or the main thread saw it differ. */
  readonly variants: (ModelReplay | null)[];
  events = 0;
  checkpoints = 0;
  failed = false;

  constructor(readonly viewAt: number | null) {
    // The model of the cache and the variants take pages from machines of their own: none runs short.
    const machine = new Machine({ cpus });
    this.main = new ModelReplay(
      inspectable(slubCacheModel({ ...setup.input, pages: machine.account(setup.cache) }), 'the SLUB 6.18 model'),
    );
    const shared = new Machine({ cpus });
    this.variants =
      viewAt === null
        ? VARIANTS.map(
            (v) => new ModelReplay(inspectable(v.create({ ...setup.input, pages: shared.account(v.name) }), v.name)),
          )
        : [];
  }

  /** Replay a batch, writing the counters at each of its checkpoints. */
  replay(m: Extract<ToModel, { type: 'events' }>): Extract<FromModel, { type: 'replayed' }> {
    for (const v of m.drop) this.variants[v] = null;
    const n = m.kind.length;
    const end = this.events + n;
    // At most: every event checkpoint, every maintenance step made, and the end.
    const most =
      multiples(every, this.events, end) + steps.reduce((s, x) => s + multiples(x.every, this.events, end), 0);
    const out = new BatchOut(most, this.variants.length);
    for (let i = 0; i < n && !this.failed; i++) {
      const kind = m.kind[i] as number;
      const step = kind === ALLOC ? 'alloc' : 'free';
      if (!this.#event(out, kind, m.id[i] as number, m.cpu[i] as number)) break;
      this.events++;
      if (this.events % every === 0 && !this.#checkpoint(out, step)) break;
      if (!this.#maintenance(out)) break;
    }
    // The last event is always a checkpoint.
    if (m.last && !this.failed && this.events % every !== 0 && this.events > 0) this.#checkpoint(out, 'end');
    return out.reply();
  }

  /** One event into every model; false when the model threw (the batch ends there). */
  #event(out: BatchOut, kind: number, id: number, wcpu: number): boolean {
    const cpu = wcpu % cpus;
    const step = kind === ALLOC ? 'alloc' : 'free';
    try {
      if (fault && this.events + 1 === fault.at) injectFault(fault.kind, this.events + 1);
      this.main.event(kind, id, cpu, this.events);
    } catch (e) {
      return this.#fail(out, step, e);
    }
    for (let v = 0; v < this.variants.length; v++) {
      try {
        this.variants[v]?.event(kind, id, cpu, this.events);
      } catch (e) {
        this.#lose(out, v, step, id, wcpu, e);
      }
    }
    return true;
  }

  /** The shrinks and flushes due after this event, each followed by a checkpoint; false when the model threw. */
  #maintenance(out: BatchOut): boolean {
    for (const s of steps) {
      if (this.events % s.every !== 0) continue;
      let skip: boolean;
      try {
        // The kernel flushes CPUs concurrently: with slabs on more than one CPU the result is a race, skipped.
        skip = this.main.model.cpusHoldingSlabs() > 1;
        if (!skip) this.main.maintain(s.step);
      } catch (e) {
        return this.#fail(out, s.step, e);
      }
      out.made[out.mi++] = skip ? 0 : 1;
      if (skip) continue;
      for (let v = 0; v < this.variants.length; v++) {
        try {
          this.variants[v]?.maintain(s.step);
        } catch (e) {
          this.#lose(out, v, s.step, -1, -1, e);
        }
      }
      if (!this.#checkpoint(out, s.step)) return false;
    }
    return true;
  }

  /** The counters of every model after `step`; false when the model threw reading its own. */
  #checkpoint(out: BatchOut, step: Step): boolean {
    try {
      this.main.write(out.counters, out.cp * 4);
      if (this.checkpoints === this.viewAt) out.view = this.main.model.sysfsView();
    } catch (e) {
      return this.#fail(out, step, e);
    }
    const nv = this.variants.length;
    for (let v = 0; v < nv; v++) {
      const at = (out.cp * nv + v) * 4;
      try {
        this.variants[v]?.write(out.variantCounters, at);
      } catch (e) {
        this.#lose(out, v, step, -1, -1, e);
      }
      if (!this.variants[v]) out.variantCounters.fill(-1, at, at + 4);
    }
    out.cp++;
    this.checkpoints++;
    return true;
  }

  /** The model threw at `step`: the workload stops here. Always false. */
  #fail(out: BatchOut, step: Step, e: unknown): false {
    out.failure = { event: this.events, step, message: errorText(e) };
    this.failed = true;
    return false;
  }

  /** Variant v threw: it is dropped, and the main thread told where. */
  #lose(out: BatchOut, v: number, step: Step, id: number, cpu: number, e: unknown): void {
    this.variants[v] = null;
    out.variantFailures.push({
      variant: v,
      event: this.events,
      step,
      id,
      cpu,
      message: errorText(e),
      checkpointsBefore: out.cp,
    });
  }
}

/** L2BENCH_TEST_MODEL_FAULT: a model stuck in a loop, or one that throws. */
function injectFault(kind: 'hang' | 'throw', event: number): void {
  if (kind === 'throw') throw new Error(`injected model fault at event ${event} (L2BENCH_TEST_MODEL_FAULT)`);
  for (;;) {
    // Spin for ever: only Worker.terminate() ends this.
  }
}

let models: WorkloadModels | null = null;
port.on('message', (m: ToModel) => {
  if (m.type === 'workload') {
    models = new WorkloadModels(m.viewAt);
    return;
  }
  if (!models) throw new Error('events before a workload');
  const reply = models.replay(m);
  port.postMessage(reply, [reply.counters.buffer, reply.variantCounters.buffer] as ArrayBuffer[]);
});
port.postMessage({ type: 'ready', variants: VARIANTS.map((v) => v.name) } satisfies FromModel);
