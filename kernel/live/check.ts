import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { InputError, type OptionName } from '../../core/errors.ts';
import { resolveSpec } from '../../core/spec.ts';
import { expandSweep } from '../../core/spec-ranges.ts';
import type { HeldLock } from '../../os/lock.ts';
import { exitCodeOf, onStopSignals, type StopSignal } from '../../os/stop-signals.ts';
import { GFP_KERNEL } from '../../strategies/machine/gfp.ts';
import type { SlabSysfs } from '../../strategies/types.ts';
import type { Workload } from '../../workloads/events.ts';
import { WORKLOADS } from '../../workloads/index.ts';
import { takeCacheLockNow, takeCacheLockWaiting } from './cache-lock.ts';
import type { CheckResult, Divergence, WorkloadCheck } from './check-types.ts';
import { type Batch, type FoundDivergence, LiveReplay } from './live-replay.ts';
import { COUNTERS, type MaintenanceStep, type ModelFault, type ModelSetup, type Schedule } from './model-protocol.ts';
import { ModelThread } from './model-thread.ts';
import { LiveCacheError, MsgMsgCache } from './msg-cache.ts';
import { BUCKETS, type Bucket, type KernelInfo, probeKernel, SlabCounters, shrinkCache } from './probe.ts';

/** The running kernel cannot serve as the oracle (not root, no dedicated cache, someone else uses it…). */
export class KernelRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelRefusal';
  }
}

/** Stopped by SIGINT, SIGTERM or SIGHUP; everything was cleaned up. */
export class CheckInterrupted extends Error {
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal}; every message received, every queue removed`);
    this.name = 'CheckInterrupted';
  }

  /** The exit code a run stopped by the same signal has. */
  get exitCode(): number {
    return exitCodeOf(this.signal);
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
  /**
   * A module (a path or file URL) whose `variants` export (ModelVariant[], model-protocol.ts) is
   * compared beside the check's own model, each variant until it first differs; it is loaded in
   * the model thread.
   */
  readonly variantsModule?: string;
  /** Test hook: throw after this many events of the first workload, to prove the cleanup. */
  readonly injectFaultAt?: number;
}

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
  schedule: Schedule;
  bucket: Bucket;
  seed: number;
  maxEvents: number;
  fault: ModelFault | null;
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
  return { workloads, schedule: { every, steps }, bucket, seed, maxEvents, fault: modelFault() };
}

/** The test hook of CONTRIBUTING (Checks): L2BENCH_TEST_MODEL_FAULT=hang@N or throw@N. */
const MODEL_FAULT = 'L2BENCH_TEST_MODEL_FAULT';

function modelFault(): ModelFault | null {
  const text = process.env[MODEL_FAULT];
  if (!text) return null;
  const m = /^(hang|throw)@([1-9]\d{0,9})$/.exec(text);
  if (!m) throw new InputError(`${MODEL_FAULT}=${text}: expected hang@N or throw@N (N from 1)`);
  return { kind: m[1] as ModelFault['kind'], at: Number(m[2]) };
}

/** Everything a check holds (in the kernel, and its model thread), undone by one synchronous call from any exit path. */
class Cleanup {
  cache: MsgMsgCache | null = null;
  lock: HeldLock | null = null;
  models: ModelThread | null = null;
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
    this.models?.stop();
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
 * events. The models run on a thread of their own (model-thread.ts), which a stop signal
 * terminates whatever a model is doing. Whatever happens (agreement, divergence, an exception, a
 * model that throws or never returns, SIGINT, SIGTERM or SIGHUP), every message is received, every
 * queue removed, the cache shrunk and the lock released before it returns.
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
  let interrupted: StopSignal | null = null;
  const stopHandling = onStopSignals((signal) => {
    if (interrupted) {
      // A second signal: do not wait for the loop.
      cleanup.all();
      process.exit(exitCodeOf(signal));
    }
    interrupted = signal;
    // A model busy in its thread (even in an endless loop) is stopped now; the check's await fails.
    cleanup.models?.stop(new CheckInterrupted(signal));
  });
  const onUncaught = (e: unknown) => {
    cleanup.all();
    process.stderr.write(`l2bench: internal error during kernel check: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  };
  const onExit = () => cleanup.all();
  process.on('uncaughtException', onUncaught);
  process.on('exit', onExit);
  const csv = new CheckpointFile(csvPath);
  try {
    return await checkAll(plan, o, cleanup, csv, () => interrupted);
  } finally {
    csv.discard();
    cleanup.all();
    stopHandling();
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

/** What the model thread builds its models from: the live geometry and object size, msg_msg's gfp. */
function modelSetup(info: KernelInfo, plan: ReturnType<typeof planCheck>, o: CheckOptions): ModelSetup {
  const g = info.geometry as NonNullable<KernelInfo['geometry']>;
  return {
    input: {
      kernel: '6.18',
      cpus: info.cpus.length,
      objectSize: info.bucket.bytes,
      geometry: {
        order: g.order,
        objectsPerSlab: g.objsPerSlab,
        cpuPartial: o.modelCpuPartial ?? g.cpuPartial,
        minPartial: g.minPartial,
      },
      // msg_msg's alloc_msg: kmalloc(…, GFP_KERNEL_ACCOUNT).
      callerGfp: GFP_KERNEL,
    },
    cache: info.bucket.cache,
    schedule: plan.schedule,
    variantsModule: o.variantsModule ?? null,
    fault: plan.fault,
  };
}

/** Every workload of the plan, one after another, under the lock the caller holds. */
async function checkAll(
  plan: ReturnType<typeof planCheck>,
  o: CheckOptions,
  cleanup: Cleanup,
  csv: CheckpointFile,
  interrupted: () => StopSignal | null,
): Promise<CheckResult> {
  const info = probeKernel(plan.bucket);
  if (!info.usable || !info.geometry || !info.limits) {
    throw new KernelRefusal(`the kernel cannot serve as the oracle: ${info.problems.join('; ')}`);
  }
  if (o.outDir) csv.open(o.outDir);
  const cpus = info.cpus;
  const workloadCpus = o.cpus ?? cpus.length;
  const models = await ModelThread.start(modelSetup(info, plan, o));
  cleanup.models = models;
  // A signal while the thread started: it was not there to be stopped.
  const sig = interrupted();
  if (sig) throw new CheckInterrupted(sig);
  const results: WorkloadCheck[] = [];
  let driver: { textBytes: number; perQueue: number } = { textBytes: 0, perQueue: 0 };
  for (const [index, w] of plan.workloads.entries()) {
    const r = await checkOne(w, {
      info,
      msgmnb: info.limits.msgmnb,
      workloadCpus,
      schedule: plan.schedule,
      maxEvents: plan.maxEvents,
      csvFd: csv.fd,
      cleanup,
      models,
      interrupted,
      faultAt: index === 0 ? o.injectFaultAt : undefined,
      onDriver(d) {
        driver = { textBytes: d.textBytes, perQueue: d.perQueue };
      },
    });
    results.push(r);
    // A model that threw is not trusted with the next workload.
    if (r.modelError) break;
  }
  csv.finish();
  const diverged = results.find((r) => r.firstDivergence);
  const failed = results.find((r) => r.modelError);
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
    every: plan.schedule.every,
    results,
    checkpoints: results.reduce((n, r) => n + r.checkpoints, 0),
    matches: results.reduce((n, r) => n + r.matches, 0),
    firstDivergence: diverged?.firstDivergence ? { ...diverged.firstDivergence, workload: diverged.workload } : null,
    modelError: failed?.modelError ? { ...failed.modelError, workload: failed.workload } : null,
    csv: csv.path,
  };
}

interface OneContext {
  info: KernelInfo;
  msgmnb: number;
  workloadCpus: number;
  schedule: Schedule;
  maxEvents: number;
  csvFd: number;
  cleanup: Cleanup;
  models: ModelThread;
  interrupted(): StopSignal | null;
  faultAt: number | undefined;
  onDriver(d: MsgMsgCache): void;
}

/** The cache must start empty: with no live objects a shrink always leaves 0 slabs. */
function requireEmptyCache(cache: string, counters: SlabCounters): void {
  const start = { slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 };
  counters.read(start);
  if (start.slabs !== 0) {
    throw new KernelRefusal(
      `${cache} still holds ${start.slabs} slab(s) after a shrink with no message of ours out: something else allocates from it`,
    );
  }
}

/**
 * The workload's events in batches of a chunk (copied: a producer may reuse its chunk), at most
 * `maxEvents` in all; the last batch is marked. `cut.truncated` is set when events were left over.
 */
function* batchesOf(workload: Workload, maxEvents: number, cut: { truncated: boolean }): Generator<Batch> {
  let taken = 0;
  let held: Omit<Batch, 'last'> | null = null;
  for (const chunk of workload.chunks()) {
    if (chunk.length === 0) continue;
    if (taken >= maxEvents) {
      cut.truncated = true;
      break;
    }
    const n = Math.min(chunk.length, maxEvents - taken);
    taken += n;
    if (held) yield { ...held, last: false };
    held = { kind: chunk.kind.slice(0, n), id: chunk.id.slice(0, n), cpu: chunk.cpu.slice(0, n) };
    if (n < chunk.length) {
      cut.truncated = true;
      break;
    }
  }
  if (held) yield { ...held, last: true };
}

/** Send a batch to the model thread (a copy: the live side keeps the original). */
function sendBatch(models: ModelThread, b: Batch, drop: number[]) {
  return models.replay({ kind: b.kind.slice(), id: b.id.slice(), cpu: b.cpu.slice(), last: b.last, drop });
}

async function checkOne(w: Planned, c: OneContext): Promise<WorkloadCheck> {
  const cache = c.info.bucket.cache;
  const workload = w.create(c.workloadCpus);
  shrinkCache(cache);
  const counters = new SlabCounters(cache);
  try {
    requireEmptyCache(cache, counters);
    c.models.workload(null);
    const driver = new MsgMsgCache(c.info.bucket, c.info.cpus, c.msgmnb);
    c.cleanup.cache = driver;
    c.cleanup.shrinkAtEnd = true;
    c.onDriver(driver);
    const replay = new LiveReplay(
      w.spec,
      { cpus: c.info.cpus, schedule: c.schedule, csvFd: c.csvFd, faultAt: c.faultAt },
      driver,
      counters,
      c.models.variants,
    );
    const cut = { truncated: false };
    const started = performance.now();
    const batches = batchesOf(workload, c.maxEvents, cut);
    let batch = batches.next();
    let answer = batch.done ? null : sendBatch(c.models, batch.value, []);
    while (!batch.done && answer) {
      // The model thread replays the next batch while this one drives the live cache.
      const next = batches.next();
      const nextAnswer = next.done ? null : sendBatch(c.models, next.value, replay.takeLost());
      if (!replay.batch(batch.value, await answer)) break;
      // Let the stop signals' handler run between batches.
      await yieldToLoop();
      const sig = c.interrupted();
      if (sig) throw new CheckInterrupted(sig);
      batch = next;
      answer = nextAnswer;
    }
    const seconds = (performance.now() - started) / 1000;
    const queues = driver.queueCount;
    const problems = c.cleanup.releaseCache();
    if (problems.length) throw new LiveCacheError(`cleanup: ${problems.join('; ')}`);
    const found = replay.firstDivergence;
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
      firstDivergence: found ? withModelView(found, await modelViewAt(w, found, c)) : null,
      truncated: cut.truncated,
      modelError: replay.modelError,
      queues,
      maintenance: { ...replay.maintenance },
      variants: replay.variants.map((v) => ({ name: v.name, divergence: v.divergence })),
    };
  } finally {
    counters.close();
  }
}

/**
 * The model's sysfs view where it first differed: fresh models replay the workload again up to
 * that checkpoint (the model is deterministic: the counters must come out the same).
 */
async function modelViewAt(w: Planned, found: FoundDivergence, c: OneContext): Promise<SlabSysfs> {
  c.models.workload(found.checkpoint);
  for (const b of batchesOf(w.create(c.workloadCpus), c.maxEvents, { truncated: false })) {
    const r = await sendBatch(c.models, b, []);
    if (r.view) {
      const v = r.view;
      const m = found.modelCounters;
      if (COUNTERS.some((f) => v[f] !== m[f])) {
        throw new Error(`the model replayed again differs from its first replay at event ${found.event}`);
      }
      return v;
    }
    if (r.failure) break;
    const sig = c.interrupted();
    if (sig) throw new CheckInterrupted(sig);
  }
  throw new Error(`the model replayed again did not reach event ${found.event}`);
}

function withModelView(found: FoundDivergence, model: SlabSysfs): Divergence {
  const { event, kind, id, cpu, onCpu, live, fields, modelCounters } = found;
  return {
    event,
    kind,
    id,
    cpu,
    onCpu,
    live,
    model: {
      ...modelCounters,
      by_cpu: model.slabs_cpu_partial_by_cpu,
      objects: model.objects,
      total_objects: model.total_objects,
    },
    fields,
  };
}
