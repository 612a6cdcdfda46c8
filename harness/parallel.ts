import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { InputError } from '../core/errors.ts';
import type { WorkerError, WorkerReply, WorkerSetup, WorkerTask } from './worker/protocol.ts';

/**
 * The worker's code. Compiled (dist/), it is measure.js, plain JavaScript, or for a worker that
 * loads no strategy module the same code bundled into one file by the build (measure.bundle.js,
 * scripts/bundle-worker.js: ready sooner; a user's module that imports l2bench needs its modules).
 * From source, a worker thread cannot load TypeScript through the main thread's loader, so
 * entry.mjs registers tsx in it first, then loads measure.ts.
 */
function entryOf(setup: WorkerSetup): URL {
  if (import.meta.url.endsWith('.ts')) return new URL('./worker/entry.mjs', import.meta.url);
  const bundle = new URL('./worker/measure.bundle.js', import.meta.url);
  return setup.modules.length === 0 && existsSync(bundle) ? bundle : new URL('./worker/measure.js', import.meta.url);
}

/**
 * An error from a worker, as this thread can know it: bad input (any InputError: a trace that turns
 * out malformed, a spec) comes back an InputError with its parts, so it stops the run, as it would
 * have before the run started, and the CLI reports it the same way. Anything else keeps its class
 * name and message: that cell fails and the others go on.
 */
function revive(error: WorkerError): Error {
  if (error.input_fault) {
    return Object.assign(new InputError(error.problem ?? error.message, error.input), { name: error.name });
  }
  return Object.assign(new Error(error.message), { name: error.name });
}

/** One task for a worker, and where its answer goes (the cell's position in the run). */
export interface PoolTask {
  readonly position: number;
  readonly task: WorkerTask;
  /**
   * Tasks of one group go to one worker where they can: a worker keeps its group's events between
   * tasks, so a workload's strategies split over two workers would generate its stream twice.
   */
  readonly group?: string;
}

export interface PoolOptions {
  /** Worker threads at most (fewer when there are fewer tasks). */
  readonly workers: number;
  /** Strategy modules every worker loads. */
  readonly modules: readonly string[];
  /** A task running longer is stopped (its worker terminated, another started); null: no limit. */
  readonly timeoutMs: number | null;
  readonly signal?: AbortSignal;
  /** A task's answer: a record, samples, or the error its cell threw (never an input error: those reject). */
  readonly onReply: (position: number, reply: WorkerReply) => void;
  /** A task stopped at the timeout, or whose worker died under it (`why` says which). */
  readonly onLost: (position: number, reason: 'timeout' | 'failed', why: string) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  current: PoolTask | null;
  /** The group of the last task it took. */
  group: string | undefined;
  timer: ReturnType<typeof setTimeout> | null;
  /** Terminated on purpose: its exit is not a failure. */
  retired: boolean;
}

/** What a worker said, kept in order until a pool listens (a spare's answer to a task handed to it early). */
type Heard =
  | { kind: 'message'; value: WorkerReply }
  | { kind: 'error'; value: Error }
  | { kind: 'exit'; value: number };

/**
 * Run tasks on worker threads, each worker taking the next task as it finishes one. Every worker is
 * new (a fresh V8 isolate: its own heap, JIT feedback and compiled code). A task can always be
 * stopped: on abort every worker is terminated at once; a task past the timeout, or whose worker
 * dies, is reported lost and a new worker takes the remaining tasks. Resolves to whether the run
 * was aborted; rejects on an input error or a worker that cannot start.
 */
export function runInWorkers(tasks: readonly PoolTask[], o: PoolOptions): Promise<boolean> {
  if (tasks.length === 0 || o.signal?.aborted) return Promise.resolve(Boolean(o.signal?.aborted));
  return new Promise<boolean>((resolve, reject) => {
    const pool = new WorkerPool(tasks, o, (outcome) =>
      'error' in outcome ? reject(outcome.error) : resolve(outcome.aborted),
    );
    pool.start(Math.min(o.workers, tasks.length));
  });
}

type PoolOutcome = { aborted: boolean } | { error: Error };

/** The workers of one runInWorkers call, the tasks they hold, and how the call ends. */
class WorkerPool {
  readonly #o: PoolOptions;
  readonly #setup: WorkerSetup;
  readonly #pick: TaskPicker;
  readonly #slots = new Set<Slot>();
  readonly #settle: (outcome: PoolOutcome) => void;
  #settled = false;
  readonly #onAbort = () => this.#finish({ aborted: true });

  constructor(tasks: readonly PoolTask[], o: PoolOptions, settle: (outcome: PoolOutcome) => void) {
    this.#o = o;
    this.#setup = { modules: o.modules };
    this.#pick = new TaskPicker(tasks);
    this.#settle = settle;
  }

  start(workers: number): void {
    this.#o.signal?.addEventListener('abort', this.#onAbort);
    for (let i = 0; i < workers; i++) this.#spawn();
  }

  /** Settle once: every worker terminated first, then the call resolves or rejects. */
  #finish(outcome: PoolOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#o.signal?.removeEventListener('abort', this.#onAbort);
    const all = [...this.#slots];
    this.#slots.clear();
    for (const s of all) retire(s);
    void Promise.all(all.map((s) => s.worker.terminate())).then(() => this.#settle(outcome));
  }

  /** Give the slot its next task, or let it go when none is left; finish when every slot is idle. */
  #feed(slot: Slot): void {
    if (this.#settled) return;
    slot.current = null;
    const busy = new Set([...this.#slots].filter((s) => s !== slot && s.current).map((s) => s.group));
    const t = this.#pick.next(slot.group, busy);
    if (!t) {
      this.#drop(slot);
      if (this.#slots.size === 0) this.#finish({ aborted: false });
      return;
    }
    slot.current = t;
    slot.group = t.group;
    this.#startTimer(slot, 0);
    slot.worker.postMessage(t.task);
  }

  /** The slot's task stops at the timeout, `elapsed` ms of it already spent (a task handed to a spare early). */
  #startTimer(slot: Slot, elapsed: number): void {
    const limit = this.#o.timeoutMs;
    if (limit === null) return;
    const why = `stopped after ${limit / 1000} s (cell timeout)`;
    slot.timer = setTimeout(() => this.#lose(slot, 'timeout', why), Math.max(0, limit - elapsed));
  }

  /** The slot's task is lost: report it, drop the worker, and start another if tasks remain. */
  #lose(slot: Slot, reason: 'timeout' | 'failed', why: string): void {
    if (this.#settled || slot.retired) return;
    this.#drop(slot);
    if (slot.current) this.#o.onLost(slot.current.position, reason, why);
    slot.current = null;
    if (this.#pick.left > 0) this.#spawn();
    else if (this.#slots.size === 0) this.#finish({ aborted: false });
  }

  /** Retire the slot and terminate its worker. */
  #drop(slot: Slot): void {
    retire(slot);
    this.#slots.delete(slot);
    void slot.worker.terminate();
  }

  #spawn(): void {
    const spare = takeSpare(this.#setup, this.#pick);
    const worker = spare?.worker ?? new Worker(entryOf(this.#setup), { workerData: this.#setup });
    const slot: Slot = { worker, ready: false, current: null, group: undefined, timer: null, retired: false };
    this.#slots.add(slot);
    worker.on('message', (reply: WorkerReply | { ready: true }) => this.#onMessage(slot, reply));
    worker.on('error', (e) => this.#onError(slot, e));
    worker.on('exit', (code) => this.#onExit(slot, code));
    const early = spare?.early;
    if (early) {
      // Its task was handed over before this pool existed (handToSpare): it is this slot's, its
      // timeout counted from when the worker was ready for it (or from the ready message to come),
      // and what the worker said since is heard now, in order.
      slot.current = early.task;
      slot.group = early.task.group;
      slot.ready = early.startedAt !== null;
      if (early.startedAt !== null) this.#startTimer(slot, performance.now() - early.startedAt);
      queueMicrotask(() => {
        for (const h of early.heard) {
          if (h.kind === 'message') this.#onMessage(slot, h.value);
          else if (h.kind === 'error') this.#onError(slot, h.value);
          else this.#onExit(slot, h.value);
        }
      });
    } else if (spare?.ready) {
      // A spare that said it was ready before this pool listened is fed on the next turn, as if it had just said so.
      queueMicrotask(() => this.#onMessage(slot, { ready: true }));
    }
  }

  #onError(slot: Slot, e: Error): void {
    if (this.#settled || slot.retired) return;
    // Before it is ready a worker could not load the code or a module: nothing can run.
    if (!slot.ready) this.#finish({ error: e });
    else this.#lose(slot, 'failed', `${e.name || 'Error'}: ${e.message} (uncaught in the worker thread)`);
  }

  #onExit(slot: Slot, code: number): void {
    if (this.#settled || slot.retired) return;
    if (!slot.ready) this.#finish({ error: new Error(`a worker thread exited with code ${code} while starting`) });
    else this.#lose(slot, 'failed', `the worker thread exited with code ${code}`);
  }

  #onMessage(slot: Slot, reply: WorkerReply | { ready: true }): void {
    if (this.#settled || slot.retired) return;
    if ('ready' in reply) {
      slot.ready = true;
      // A spare's early task is already with it (it was sent before the worker was ready): its timeout starts now.
      if (slot.current) this.#startTimer(slot, 0);
      else this.#feed(slot);
      return;
    }
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const position = slot.current?.position as number;
    if ('error' in reply) {
      const error = revive(reply.error);
      if (error instanceof InputError) {
        this.#finish({ error });
        return;
      }
    }
    this.#o.onReply(position, reply);
    this.#feed(slot);
  }
}

/** A worker started before its run knew its tasks (startSpareWorker), and what it has said so far. */
interface Spare {
  readonly worker: Worker;
  /** Its strategy modules, sorted: a pool with other modules cannot use it. */
  readonly modules: string;
  ready: boolean;
  /** It failed to start or exited: a pool starts its own, which reports why. */
  failed: boolean;
  /** The task handed to it (handToSpare), and what it said since. */
  early: { readonly task: PoolTask; readonly sentAt: number; readonly heard: Heard[] } | null;
  /** When this thread heard it was ready (a task sent before waits in its port until then); null before. */
  readyAt: number | null;
  readonly listeners: { message: (m: unknown) => void; error: (e: Error) => void; exit: (code: number) => void };
}

let spare: Spare | null = null;

const moduleKey = (modules: readonly string[]) => JSON.stringify([...new Set(modules)].sort());

/**
 * Start one worker thread now, for the next runInWorkers with these strategy modules to take as its
 * first worker: loading the worker's code (a tenth of a second and more) then overlaps the plan's
 * own work on the main thread (a trace's conversion above all) instead of following it. At most one
 * waits at a time (a newer one for other modules replaces it); it does not keep the process alive (unref), and one that
 * fails to start is dropped quietly: the pool starts its own worker, which reports the failure.
 */
export function startSpareWorker(modules: readonly string[]): void {
  // One already starting with the same modules (the CLI starts one before loading the run's code) is kept.
  if (spare && !spare.failed && spare.modules === moduleKey(modules)) return;
  dropSpare();
  const setup: WorkerSetup = { modules: [...modules] };
  const worker = new Worker(entryOf(setup), { workerData: setup });
  const s: Spare = {
    worker,
    modules: moduleKey(modules),
    ready: false,
    failed: false,
    early: null,
    readyAt: null,
    listeners: {
      message: (m) => {
        if (m && typeof m === 'object' && 'ready' in m) {
          s.ready = true;
          s.readyAt = performance.now();
        } else s.early?.heard.push({ kind: 'message', value: m as WorkerReply });
      },
      error: (e) => {
        s.failed = true;
        s.early?.heard.push({ kind: 'error', value: e });
      },
      exit: (code) => {
        s.failed = true;
        s.early?.heard.push({ kind: 'exit', value: code });
      },
    },
  };
  worker.on('message', s.listeners.message).on('error', s.listeners.error).on('exit', s.listeners.exit);
  worker.unref(); // after the listeners: adding a 'message' listener refs the worker's port again
  spare = s;
}

/**
 * What the waiting spare worker is doing: none waits, or it is starting, ready, or failed; with a task
 * handed to it (handToSpare), working on it or answered (what it said waits for a pool).
 */
export function spareState(): 'none' | 'starting' | 'ready' | 'failed' | 'working' | 'answered' {
  if (!spare) return 'none';
  if (spare.early) return spare.early.heard.length > 0 ? 'answered' : 'working';
  return spare.failed ? 'failed' : spare.ready ? 'ready' : 'starting';
}

/**
 * Give the waiting spare worker the first task of the run to come, before the run is ready to take
 * it (the CLI: between the plan and the run's output folder, whose code loads meanwhile). It is sent
 * at once: a worker still loading finds it in its port when it starts listening, even while this
 * thread is too busy to hear that it is ready. What the worker answers is kept until the run's pool
 * takes it, which then hears it as if it had sent the task itself (runInWorkers: the same answer,
 * failure, timeout). A pool whose first task is another, or whose modules differ, terminates the
 * worker and starts its own.
 */
export function handToSpare(task: PoolTask): void {
  if (!spare || spare.failed || spare.early) return;
  spare.early = { task, sentAt: performance.now(), heard: [] };
  spare.worker.postMessage(task.task);
}

/** Terminate the waiting spare worker, if any. */
export function dropSpare(): void {
  const s = spare;
  spare = null;
  if (s) void s.worker.terminate();
}

/** A spare as a pool takes it: a task sent to it early (and what it said since) is the pool's first task. */
interface TakenSpare {
  readonly worker: Worker;
  readonly ready: boolean;
  /** startedAt: when the worker was known ready for the task (null: its ready message is still to come). */
  readonly early: {
    readonly task: PoolTask;
    readonly startedAt: number | null;
    readonly heard: readonly Heard[];
  } | null;
}

/**
 * The waiting spare, taken by a pool with the same modules (its listeners the pool's from now), or
 * null. One sent a task early is taken only when that task is the pool's first (then taken from
 * `pick`); one that failed is taken only with its early task, whose failure the pool reports.
 */
function takeSpare(setup: WorkerSetup, pick: TaskPicker): TakenSpare | null {
  const s = spare;
  const sent = s?.early ?? null;
  const usable = s && s.modules === moduleKey(setup.modules) && (sent ? true : !s.failed);
  const task = usable && sent ? pick.takeFirstIf((t) => sameTask(t, sent.task)) : undefined;
  if (!s || !usable || (sent && !task)) {
    dropSpare();
    return null;
  }
  spare = null;
  s.worker.off('message', s.listeners.message).off('error', s.listeners.error).off('exit', s.listeners.exit);
  s.worker.ref();
  const startedAt = s.readyAt === null || !sent ? null : Math.max(s.readyAt, sent.sentAt);
  const early = sent && task ? { task, startedAt, heard: sent.heard } : null;
  return { worker: s.worker, ready: s.ready, early };
}

/** The same task of the same cell (a small measure task: its JSON is the cell's job). */
const sameTask = (a: PoolTask, b: PoolTask) =>
  a.position === b.position && a.group === b.group && JSON.stringify(a.task) === JSON.stringify(b.task);

/** Terminated on purpose from now: its exit is not a failure, its timer stopped. */
function retire(slot: Slot): void {
  slot.retired = true;
  if (slot.timer) clearTimeout(slot.timer);
  slot.timer = null;
}

/** Hands out tasks in plan order, keeping each worker on its group while the group lasts. */
export class TaskPicker {
  readonly #tasks: readonly PoolTask[];
  readonly #taken: Uint8Array;
  /** Each group's tasks in order, and how far its queue has been taken. */
  readonly #groups = new Map<string, { list: number[]; head: number }>();
  /** No task before this one is left. */
  #first = 0;
  left: number;

  constructor(tasks: readonly PoolTask[]) {
    this.#tasks = tasks;
    this.#taken = new Uint8Array(tasks.length);
    this.left = tasks.length;
    tasks.forEach((t, i) => {
      if (t.group === undefined) return;
      const g = this.#groups.get(t.group) ?? { list: [], head: 0 };
      g.list.push(i);
      this.#groups.set(t.group, g);
    });
  }

  /**
   * The next task for a worker whose last group was `group`: that group's next task; else the first
   * task left whose group no other worker is on (`busy`); else the first task left.
   */
  next(group: string | undefined, busy: ReadonlySet<string | undefined>): PoolTask | undefined {
    if (this.left === 0) return undefined;
    const own = group === undefined ? undefined : this.#groups.get(group);
    if (own) {
      while (own.head < own.list.length && this.#taken[own.list[own.head] as number]) own.head++;
      if (own.head < own.list.length) return this.#take(own.list[own.head] as number);
    }
    while (this.#taken[this.#first]) this.#first++;
    for (let i = this.#first; i < this.#tasks.length; i++) {
      const g = (this.#tasks[i] as PoolTask).group;
      if (!this.#taken[i] && (g === undefined || !busy.has(g))) return this.#take(i);
    }
    return this.#take(this.#first);
  }

  /** The first task left, taken, when `match` accepts it (a task a spare was sent early: handToSpare). */
  takeFirstIf(match: (t: PoolTask) => boolean): PoolTask | undefined {
    if (this.left === 0) return undefined;
    while (this.#taken[this.#first]) this.#first++;
    const t = this.#tasks[this.#first] as PoolTask;
    return match(t) ? this.#take(this.#first) : undefined;
  }

  #take(i: number): PoolTask {
    this.#taken[i] = 1;
    this.left--;
    return this.#tasks[i] as PoolTask;
  }
}
