import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { InputError, type OptionName } from '../../core/errors.ts';
import { resolveSpec } from '../../core/spec.ts';
import { expandSweep } from '../../core/spec-ranges.ts';
import type { HeldLock } from '../../os/lock.ts';
import { GFP_KERNEL } from '../../strategies/machine/gfp.ts';
import { Machine } from '../../strategies/machine/machine.ts';
import { type SlubModelInput, slubCacheModel } from '../../strategies/slub/strategy.ts';
import type {
  SlabCounters as ModelCounters,
  PageAllocator,
  SlabSysfs,
  TableAllocator,
} from '../../strategies/types.ts';
import { ALLOC, type Workload } from '../../workloads/events.ts';
import { WORKLOADS } from '../../workloads/index.ts';
import { takeCacheLockNow, takeCacheLockWaiting } from './cache-lock.ts';
import { LiveCacheError, MsgMsgCache } from './msg-cache.ts';
import {
  BUCKETS,
  type Bucket,
  type CacheGeometry,
  flushCache,
  type KernelInfo,
  type LiveCounters,
  probeKernel,
  readObjects,
  SlabCounters,
  shrinkCache,
} from './probe.ts';

/** The running kernel cannot serve as the oracle (not root, no dedicated cache, someone else uses it…). */
export class KernelRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelRefusal';
  }
}

/** Stopped by SIGINT or SIGTERM; everything was cleaned up. */
export class CheckInterrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}; every message received, every queue removed`);
    this.name = 'CheckInterrupted';
  }
}

export interface CheckOptions {
  /** Workload specs as `l2bench run --workload` takes them (sweeps expand into several). */
  readonly workloads: readonly string[];
  /** The workload's CPU count (its `cpus=spread` spreads over them); default: the online CPUs. */
  readonly cpus?: number;
  /** Compare after every K events (and after the last). */
  readonly every?: number;
  readonly bucket?: Bucket;
  readonly seed?: number;
  /** Replay at most this many events of each workload. */
  readonly maxEvents?: number;
  /** Write checkpoints.csv here (atomically). */
  readonly outDir?: string;
  /**
   * 'fail': refuse at once when another instance holds the lock (the CLI); 'wait': wait for it up to
   * lockTimeoutMs (tests); or a lock the caller already holds (and keeps).
   */
  readonly lock?: 'fail' | 'wait' | HeldLock;
  readonly lockTimeoutMs?: number;
  /** Give the model this cpu_partial instead of the cache's (a deliberately wrong model shows a divergence). */
  readonly modelCpuPartial?: number;
  /** Shrink the cache and the model after every K events (where at most one CPU holds slabs). */
  readonly shrinkEvery?: number;
  /** Flush every CPU of the cache and the model after every K events (where at most one CPU holds slabs). */
  readonly flushEvery?: number;
  /** Models to compare beside the check's own (built from the same input), each until it first differs. */
  readonly variants?: readonly ModelVariant[];
  /** Test hook: throw after this many events of the first workload, to prove the cleanup. */
  readonly injectFaultAt?: number;
}

/** What the check does between two comparisons: an event, a shrink or flush of the cache, the end. */
type Step = 'alloc' | 'free' | MaintenanceStep | 'end';

/**
 * `shrink`: kmem_cache_shrink (`echo 1 > shrink`): flush every CPU, discard every empty node slab,
 * sort the rest. `flush`: flush_all alone (cpu_partial written its own value): every CPU's active
 * slab deactivated and partial list put to the node.
 */
type MaintenanceStep = 'shrink' | 'flush';

/**
 * A model compared beside the check's own, on the same live counters at the same checkpoints: the
 * mutation test's mutants (each one rule changed) must each differ from the kernel somewhere. It
 * is built from what the check builds its own model from (slubCacheModel's input).
 */
export interface ModelVariant {
  readonly name: string;
  create(input: SlubModelInput): TableAllocator;
}

/** Where a variant first differed from the live cache in one workload (or threw, with the error). */
export interface VariantDivergence {
  readonly workload: string;
  readonly event: number;
  readonly step: Step;
  readonly id: number;
  readonly cpu: number;
  readonly fields: readonly string[];
  readonly error?: string;
}

export interface CheckState extends LiveCounters {
  /** slabs_cpu_partial per CPU (model CPU order). */
  readonly by_cpu: readonly number[];
  readonly objects: number;
  readonly total_objects: number;
}

interface Divergence {
  /** Events replayed when the states differed (the step below came after the last one). */
  readonly event: number;
  readonly kind: Step;
  readonly id: number;
  /** The workload's CPU and the online CPU it ran on. */
  readonly cpu: number;
  readonly onCpu: number;
  readonly live: CheckState;
  readonly model: CheckState;
  /** The counters that differ. */
  readonly fields: readonly string[];
}

interface WorkloadCheck {
  readonly workload: string;
  /** What the workload wants the user told (Workload.notices). */
  readonly notices: readonly string[];
  readonly events: number;
  readonly checkpoints: number;
  readonly matches: number;
  readonly eventsPerSec: number;
  readonly seconds: number;
  readonly peakSlabs: { live: number; model: number };
  readonly final: { live: LiveCounters; model: LiveCounters };
  readonly firstDivergence: Divergence | null;
  /** Set when --max-events cut the workload short. */
  readonly truncated: boolean;
  readonly queues: number;
  /** Shrinks and flushes made, and those skipped because more than one CPU held slabs. */
  readonly maintenance: Maintenance;
  /** Each variant's first difference from the live cache in this workload, or null. */
  readonly variants: readonly { readonly name: string; readonly divergence: VariantDivergence | null }[];
}

interface Maintenance {
  shrinks: number;
  flushes: number;
  skipped: number;
}

export interface CheckResult {
  readonly kernel: string;
  readonly cache: string;
  readonly geometry: CacheGeometry;
  readonly cpus: readonly number[];
  readonly workloadCpus: number;
  /** How workload CPUs were folded onto the online ones, or null when none had to be. */
  readonly fold: string | null;
  readonly textBytes: number;
  readonly perQueue: number;
  readonly every: number;
  readonly results: readonly WorkloadCheck[];
  readonly checkpoints: number;
  readonly matches: number;
  readonly firstDivergence: (Divergence & { workload: string }) | null;
  readonly csv: string | null;
}

const FIELDS = ['slabs', 'partial', 'cpu_slabs', 'slabs_cpu_partial'] as const;
const CSV_HEADER =
  'workload,event,kind,id,cpu,slabs_live,slabs_model,partial_live,partial_model,cpu_slabs_live,cpu_slabs_model,slabs_cpu_partial_live,slabs_cpu_partial_model,match\n';

function positiveInt(value: number | undefined, option: OptionName, fallback: number, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InputError(`expected a whole number from 1 to ${max}`, { option, value: String(value) });
  }
  return value;
}

interface Planned {
  spec: string;
  create(cpus: number): Workload;
}

/** Validate everything that does not need the kernel: parse-level refusals come first. */
function planCheck(o: CheckOptions): {
  workloads: Planned[];
  every: number;
  bucket: Bucket;
  seed: number;
  maxEvents: number;
  steps: { step: MaintenanceStep; every: number }[];
} {
  if (o.workloads.length === 0)
    throw new InputError('kernel check needs a workload (e.g. ramp:peak=100,order=fifo)', { option: 'workloads' });
  const bucket = o.bucket ?? '1k';
  if (!BUCKETS.includes(bucket)) {
    throw new InputError(`not a msg_msg bucket (allowed: ${BUCKETS.join(', ')})`, { option: 'bucket', value: bucket });
  }
  const every = positiveInt(o.every, 'every', 1);
  const maxEvents = positiveInt(o.maxEvents, 'maxEvents', 10_000_000);
  if (o.cpus !== undefined) positiveInt(o.cpus, 'cpus', 1, 4096);
  const seed = o.seed ?? 1;
  const steps: { step: MaintenanceStep; every: number }[] = [];
  if (o.shrinkEvery !== undefined) steps.push({ step: 'shrink', every: positiveInt(o.shrinkEvery, 'shrinkEvery', 1) });
  if (o.flushEvery !== undefined) steps.push({ step: 'flush', every: positiveInt(o.flushEvery, 'flushEvery', 1) });
  const workloads = o.workloads.flatMap((w) =>
    expandSweep(w).map((spec) => {
      const { item, params } = resolveSpec(spec, 'workload', WORKLOADS);
      return { spec, create: (cpus: number) => item.create(params, { seed, cpus }) };
    }),
  );
  return { workloads, every, bucket, seed, maxEvents, steps };
}

/** Everything a check holds in the kernel, undone by one synchronous call from any exit path. */
class Cleanup {
  cache: MsgMsgCache | null = null;
  lock: HeldLock | null = null;
  /** False when the caller lent its own lock: it is not released here. */
  ownLock = true;
  cacheName = '';
  shrinkAtEnd = false;

  /** Receive every message, remove every queue, shrink the cache to 0 objects. Never throws. */
  releaseCache(): string[] {
    const problems = this.cache ? this.cache.dispose() : [];
    this.cache = null;
    if (this.shrinkAtEnd) {
      try {
        shrinkCache(this.cacheName);
      } catch (e) {
        problems.push(`shrink: ${(e as Error).message}`);
      }
    }
    return problems;
  }

  all(): string[] {
    const problems = this.releaseCache();
    if (this.ownLock) this.lock?.release();
    this.lock = null;
    return problems;
  }
}

/**
 * `l2bench kernel check`: replay each workload on the live msg_msg bucket cache and on the SLUB
 * 6.18 model (the simulator's own, through slubCacheModel: built with the geometry sysfs shows and
 * the online CPU count), comparing slabs, partial, cpu_slabs and slabs_cpu_partial after every K
 * events. Whatever happens (agreement, divergence, an exception, SIGINT or SIGTERM), every message
 * is received, every queue removed, the cache shrunk and the lock released before it returns.
 */
export async function runKernelCheck(o: CheckOptions): Promise<CheckResult> {
  const plan = planCheck(o);
  // Queues in use are judged under the lock: another instance's own queues are not a reason to refuse.
  const first = probeKernel(plan.bucket);
  if (first.staticProblems.length > 0) {
    throw new KernelRefusal(`the kernel cannot serve as the oracle: ${first.staticProblems.join('; ')}`);
  }
  const csvPath = o.outDir ? join(o.outDir, 'checkpoints.csv') : null;
  if (csvPath && existsSync(csvPath)) {
    throw new InputError('checkpoints.csv exists; refusing to overwrite it', { option: 'outDir', value: o.outDir });
  }
  const cleanup = new Cleanup();
  if (typeof o.lock === 'object') {
    cleanup.ownLock = false;
    cleanup.lock = o.lock;
  } else {
    cleanup.lock = o.lock === 'wait' ? await takeCacheLockWaiting(o.lockTimeoutMs ?? 600_000) : takeCacheLockNow();
  }
  cleanup.cacheName = first.bucket.cache;
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // A second signal: do not wait for the loop.
      cleanup.all();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    interrupted = signal;
  };
  const onUncaught = (e: unknown) => {
    cleanup.all();
    process.stderr.write(`l2bench: internal error during kernel check: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  };
  const onExit = () => cleanup.all();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onUncaught);
  process.on('exit', onExit);
  const csv = new CheckpointFile(csvPath);
  try {
    return await checkAll(plan, o, cleanup, csv, () => interrupted);
  } finally {
    csv.discard();
    cleanup.all();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('uncaughtException', onUncaught);
    process.removeListener('exit', onExit);
  }
}

/** checkpoints.csv, written into a temporary file and renamed when every workload is checked. */
class CheckpointFile {
  #tmp: string | null = null;
  fd = -1;

  constructor(readonly path: string | null) {}

  open(outDir: string): void {
    if (!this.path) return;
    try {
      mkdirSync(outDir, { recursive: true });
    } catch (e) {
      throw new InputError((e as Error).message, { option: 'outDir', value: outDir });
    }
    this.#tmp = `${this.path}.${process.pid}.tmp`;
    this.fd = openSync(this.#tmp, 'w');
    writeSync(this.fd, CSV_HEADER);
  }

  finish(): void {
    if (this.fd < 0 || !this.#tmp || !this.path) return;
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.#tmp, this.path);
    this.#tmp = null;
  }

  /** Close and remove what was not finished. */
  discard(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.#tmp) rmSync(this.#tmp, { force: true });
    this.#tmp = null;
  }
}

/** Every workload of the plan, one after another, under the lock the caller holds. */
async function checkAll(
  plan: ReturnType<typeof planCheck>,
  o: CheckOptions,
  cleanup: Cleanup,
  csv: CheckpointFile,
  interrupted: () => NodeJS.Signals | null,
): Promise<CheckResult> {
  const info = probeKernel(plan.bucket);
  if (!info.usable || !info.geometry || !info.limits) {
    throw new KernelRefusal(`the kernel cannot serve as the oracle: ${info.problems.join('; ')}`);
  }
  if (o.outDir) csv.open(o.outDir);
  const cpus = info.cpus;
  const workloadCpus = o.cpus ?? cpus.length;
  const results: WorkloadCheck[] = [];
  let driver: { textBytes: number; perQueue: number } = { textBytes: 0, perQueue: 0 };
  for (const [index, w] of plan.workloads.entries()) {
    const r = await checkOne(w, {
      info,
      geometry: info.geometry,
      msgmnb: info.limits.msgmnb,
      workloadCpus,
      every: plan.every,
      maxEvents: plan.maxEvents,
      csvFd: csv.fd,
      cleanup,
      interrupted,
      faultAt: index === 0 ? o.injectFaultAt : undefined,
      modelCpuPartial: o.modelCpuPartial,
      steps: plan.steps,
      variants: o.variants ?? [],
      onDriver(d) {
        driver = { textBytes: d.textBytes, perQueue: d.perQueue };
      },
    });
    results.push(r);
  }
  csv.finish();
  const diverged = results.find((r) => r.firstDivergence);
  return {
    kernel: info.release,
    cache: info.bucket.cache,
    geometry: info.geometry,
    cpus,
    workloadCpus,
    fold:
      workloadCpus > cpus.length
        ? `workload CPUs 0-${workloadCpus - 1} folded onto the ${cpus.length} online CPUs (cpu mod ${cpus.length})`
        : null,
    ...driver,
    every: plan.every,
    results,
    checkpoints: results.reduce((n, r) => n + r.checkpoints, 0),
    matches: results.reduce((n, r) => n + r.matches, 0),
    firstDivergence: diverged?.firstDivergence ? { ...diverged.firstDivergence, workload: diverged.workload } : null,
    csv: csv.path,
  };
}

interface OneContext {
  info: KernelInfo;
  geometry: CacheGeometry;
  msgmnb: number;
  workloadCpus: number;
  every: number;
  maxEvents: number;
  csvFd: number;
  cleanup: Cleanup;
  interrupted(): NodeJS.Signals | null;
  faultAt: number | undefined;
  modelCpuPartial: number | undefined;
  steps: readonly { step: MaintenanceStep; every: number }[];
  variants: readonly ModelVariant[];
  onDriver(d: MsgMsgCache): void;
}

/** A model that shows what sysfs shows, and flushes and shrinks as the kernel's cache does. */
type InspectableCache = TableAllocator &
  Required<Pick<TableAllocator, 'sysfsCounters' | 'sysfsView' | 'flushAll' | 'shrink' | 'cpusHoldingSlabs'>>;

function inspectable(model: TableAllocator, name: string): InspectableCache {
  if (!model.sysfsCounters || !model.sysfsView || !model.flushAll || !model.shrink || !model.cpusHoldingSlabs) {
    throw new Error(`${name} shows no sysfs counters or cannot flush and shrink`);
  }
  return model as InspectableCache;
}

/** What the model of the live cache is built from: the SLUB 6.18 strategy's cache, with the live geometry and object size. */
function modelInput(c: OneContext, pages: PageAllocator): SlubModelInput {
  const n = c.info.cpus.length;
  return {
    pages,
    kernel: '6.18',
    cpus: n,
    objectSize: c.info.bucket.bytes,
    geometry: {
      order: c.geometry.order,
      objectsPerSlab: c.geometry.objsPerSlab,
      cpuPartial: c.modelCpuPartial ?? c.geometry.cpuPartial,
      minPartial: c.geometry.minPartial,
    },
    // msg_msg's alloc_msg: kmalloc(…, GFP_KERNEL_ACCOUNT).
    callerGfp: GFP_KERNEL,
  };
}

/** One model replaying the workload beside the live cache: its own table addresses and counters. */
class ModelReplay {
  readonly want: ModelCounters = { slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 };
  #addr = new Float64Array(1024);

  constructor(readonly model: InspectableCache) {}

  alloc(id: number, cpu: number, event: number): void {
    const a = this.model.alloc(cpu);
    if (a < 0) throw new LiveCacheError(`the model ran out of memory at event ${event}`);
    if (id >= this.#addr.length) {
      let len = this.#addr.length;
      while (len <= id) len *= 2;
      const next = new Float64Array(len);
      next.set(this.#addr);
      this.#addr = next;
    }
    this.#addr[id] = a;
  }

  free(id: number, cpu: number): void {
    this.model.free(this.#addr[id] as number, cpu);
  }

  /** The kernel's shrink or flush, on the model: kmem_cache_shrink, or flush_all. */
  maintain(step: MaintenanceStep): void {
    if (step === 'shrink') this.model.shrink();
    else this.model.flushAll();
  }

  /** The counters that differ from the live ones (the model's are read into `want`). */
  differs(live: LiveCounters): string[] {
    const want = this.model.sysfsCounters(this.want);
    return FIELDS.filter((f) => live[f] !== want[f]);
  }
}

/** A variant being replayed, until it first differs from the live cache (or throws). */
interface VariantReplay {
  readonly name: string;
  replay: ModelReplay | null;
  divergence: VariantDivergence | null;
}

function stateOf(
  counters: LiveCounters,
  byCpu: readonly number[],
  objects: { objects: number; total_objects: number },
): CheckState {
  return { ...counters, by_cpu: byCpu, ...objects };
}

/** One workload replayed on the live cache and on the model (and its variants), compared at every checkpoint. */
class Replay {
  readonly live: LiveCounters = { slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 };
  events = 0;
  checkpoints = 0;
  matches = 0;
  peakLive = 0;
  peakModel = 0;
  firstDivergence: Divergence | null = null;
  readonly maintenance: Maintenance = { shrinks: 0, flushes: 0, skipped: 0 };
  #csv = '';

  constructor(
    private readonly spec: string,
    private readonly c: OneContext,
    private readonly driver: MsgMsgCache,
    private readonly main: ModelReplay,
    readonly variants: readonly VariantReplay[],
    private readonly counters: SlabCounters,
  ) {}

  get want(): ModelCounters {
    return this.main.want;
  }

  /** What the model's sysfs shows now, in full. */
  modelView(): SlabSysfs {
    return this.main.model.sysfsView();
  }

  get cache(): string {
    return this.counters.cache;
  }

  /** One event on both caches (and every variant still replaying). */
  event(kind: number, id: number, cpu: number, wcpu: number): void {
    if (kind === ALLOC) {
      this.driver.alloc(id, cpu);
      this.main.alloc(id, cpu, this.events);
    } else {
      this.driver.free(id, cpu);
      this.main.free(id, cpu);
    }
    for (const v of this.variants) {
      if (!v.replay) continue;
      try {
        if (kind === ALLOC) v.replay.alloc(id, cpu, this.events);
        else v.replay.free(id, cpu);
      } catch (e) {
        this.variantLost(v, kind === ALLOC ? 'alloc' : 'free', id, wcpu, [], (e as Error).message);
      }
    }
    this.events++;
  }

  /**
   * A shrink or flush of the live cache and of every model. The kernel flushes CPUs concurrently
   * (flush_all queues one work item per CPU that holds slabs), so with slabs on more than one CPU
   * the node list's order afterwards is a race: such a step is skipped, in the kernel and the models alike.
   */
  maintain(step: MaintenanceStep): void {
    if (this.main.model.cpusHoldingSlabs() > 1) {
      this.maintenance.skipped++;
      return;
    }
    if (step === 'shrink') {
      shrinkCache(this.cache);
      this.maintenance.shrinks++;
    } else {
      flushCache(this.cache);
      this.maintenance.flushes++;
    }
    this.main.maintain(step);
    for (const v of this.variants) {
      try {
        v.replay?.maintain(step);
      } catch (e) {
        this.variantLost(v, step, -1, -1, [], (e as Error).message);
      }
    }
    this.checkpoint(step, -1, -1);
  }

  /** Read the live counters after `step` and compare every model with them. */
  checkpoint(step: Step, id: number, wcpu: number): void {
    const { live } = this;
    this.counters.read(live);
    const differs = this.main.differs(live);
    const want = this.main.want;
    this.checkpoints++;
    const same = differs.length === 0;
    if (same) this.matches++;
    else if (!this.firstDivergence) {
      this.firstDivergence = divergence(this.events, step, id, wcpu, this.c.info.cpus, this, this.counters, differs);
    }
    for (const v of this.variants) {
      const fields = v.replay?.differs(live);
      if (fields?.length) this.variantLost(v, step, id, wcpu, fields);
    }
    if (live.slabs > this.peakLive) this.peakLive = live.slabs;
    if (want.slabs > this.peakModel) this.peakModel = want.slabs;
    if (this.c.csvFd < 0) return;
    const spec = this.spec.includes(',') ? `"${this.spec}"` : this.spec;
    const what = step === 'alloc' || step === 'free' ? `${step},${id},${wcpu}` : `${step},,`;
    this.#csv += `${spec},${this.events},${what},${live.slabs},${want.slabs},${live.partial},${want.partial},${live.cpu_slabs},${want.cpu_slabs},${live.slabs_cpu_partial},${want.slabs_cpu_partial},${same ? 1 : 0}\n`;
    if (this.#csv.length > 1 << 16) this.flushCsv();
  }

  flushCsv(): void {
    if (this.c.csvFd >= 0 && this.#csv) writeSync(this.c.csvFd, this.#csv);
    this.#csv = '';
  }

  private variantLost(v: VariantReplay, step: Step, id: number, cpu: number, fields: string[], error?: string): void {
    v.replay = null;
    v.divergence = { workload: this.spec, event: this.events, step, id, cpu, fields, ...(error ? { error } : {}) };
  }
}

/** The cache must start empty: with no live objects a shrink always leaves 0 slabs. */
function requireEmptyCache(cache: string, counters: SlabCounters): void {
  const start: LiveCounters = { slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 };
  counters.read(start);
  if (start.slabs !== 0) {
    throw new KernelRefusal(
      `${cache} still holds ${start.slabs} slab(s) after a shrink with no message of ours out: something else allocates from it`,
    );
  }
}

/** The SLUB 6.18 model on n CPUs, and each variant beside it. */
function modelsFor(c: OneContext, cache: string, n: number): { main: ModelReplay; variants: VariantReplay[] } {
  const main = new ModelReplay(
    inspectable(slubCacheModel(modelInput(c, new Machine({ cpus: n }).account(cache))), 'the SLUB 6.18 model'),
  );
  // The variants share one machine: each takes its own pages from it, and none runs short.
  const shared = new Machine({ cpus: n });
  const variants: VariantReplay[] = c.variants.map((v) => ({
    name: v.name,
    replay: new ModelReplay(inspectable(v.create(modelInput(c, shared.account(v.name))), v.name)),
    divergence: null,
  }));
  return { main, variants };
}

async function checkOne(w: Planned, c: OneContext): Promise<WorkloadCheck> {
  const cache = c.info.bucket.cache;
  const workload = w.create(c.workloadCpus);
  const n = c.info.cpus.length;
  shrinkCache(cache);
  const counters = new SlabCounters(cache);
  try {
    requireEmptyCache(cache, counters);
    const { main, variants } = modelsFor(c, cache, n);
    const driver = new MsgMsgCache(c.info.bucket, c.info.cpus, c.msgmnb);
    c.cleanup.cache = driver;
    c.cleanup.shrinkAtEnd = true;
    c.onDriver(driver);
    const replay = new Replay(w.spec, c, driver, main, variants, counters);
    let truncated = false;
    const started = performance.now();
    outer: for (const chunk of workload.chunks()) {
      for (let i = 0; i < chunk.length; i++) {
        if (replay.events >= c.maxEvents) {
          truncated = true;
          break outer;
        }
        const kind = chunk.kind[i] as number;
        const id = chunk.id[i] as number;
        const wcpu = chunk.cpu[i] as number;
        replay.event(kind, id, wcpu % n, wcpu);
        if (c.faultAt !== undefined && replay.events >= c.faultAt) {
          throw new Error(`injected fault after ${replay.events} events`);
        }
        if (replay.events % c.every === 0) replay.checkpoint(kind === ALLOC ? 'alloc' : 'free', id, wcpu);
        for (const m of c.steps) if (replay.events % m.every === 0) replay.maintain(m.step);
      }
      replay.flushCsv();
      // Let SIGINT/SIGTERM handlers run between chunks.
      await yieldToLoop();
      const sig = c.interrupted();
      if (sig) throw new CheckInterrupted(sig);
    }
    // The last event is always a checkpoint.
    if (replay.events % c.every !== 0 && replay.events > 0) {
      replay.checkpoint('end', -1, -1);
      replay.flushCsv();
    }
    const seconds = (performance.now() - started) / 1000;
    const queues = driver.queueCount;
    const problems = c.cleanup.releaseCache();
    if (problems.length) throw new LiveCacheError(`cleanup: ${problems.join('; ')}`);
    return {
      workload: workload.spec,
      notices: workload.notices ?? [],
      events: replay.events,
      checkpoints: replay.checkpoints,
      matches: replay.matches,
      eventsPerSec: seconds > 0 ? replay.events / seconds : 0,
      seconds,
      peakSlabs: { live: replay.peakLive, model: replay.peakModel },
      final: { live: { ...replay.live }, model: { ...replay.want } },
      firstDivergence: replay.firstDivergence,
      truncated,
      queues,
      maintenance: { ...replay.maintenance },
      variants: replay.variants.map((v) => ({ name: v.name, divergence: v.divergence })),
    };
  } finally {
    counters.close();
  }
}

function divergence(
  events: number,
  kind: Step,
  id: number,
  cpu: number,
  cpus: readonly number[],
  replay: Replay,
  counters: SlabCounters,
  fields: readonly string[],
): Divergence {
  const { live, want } = replay;
  const model = replay.modelView();
  const byCpuLive = counters.cpuPartialByCpu();
  const n = model.slabs_cpu_partial_by_cpu.length;
  return {
    event: events,
    kind,
    id,
    cpu,
    onCpu: cpu < 0 ? -1 : (cpus[cpu % cpus.length] as number),
    live: stateOf(
      { ...live },
      Array.from({ length: n }, (_, i) => byCpuLive[cpus[i] as number] ?? 0),
      readObjects(replay.cache),
    ),
    model: stateOf({ ...want }, model.slabs_cpu_partial_by_cpu, {
      objects: model.objects,
      total_objects: model.total_objects,
    }),
    fields,
  };
}
