import { Worker } from 'node:worker_threads';
import { InputError } from '../core/errors.ts';
import { entryOf, takeSpare } from './spare-worker.ts';
import type { PoolTask, WorkerError, WorkerReply, WorkerSetup } from './worker/protocol.ts';

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
