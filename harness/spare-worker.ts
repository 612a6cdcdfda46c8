import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { PoolTask, WorkerReply, WorkerSetup } from './worker/protocol.ts';

// The worker a run starts before it knows its tasks, apart from the pool (parallel.ts) in a module
// of its own and with no import of l2bench's: bin/l2bench.js starts it before the CLI's code loads,
// and the CLI's bundle (scripts/bundle-cli.js) leaves this module out, so that both hold one spare.

/**
 * The worker's code. Compiled (dist/), it is measure.js, plain JavaScript, or for a worker that
 * loads no strategy module the same code bundled into one CommonJS file by the build (measure.bundle.cjs,
 * scripts/bundle-worker.js: ready sooner; a user's module that imports l2bench needs its modules).
 * From source, a worker thread cannot load TypeScript through the main thread's loader, so
 * entry.mjs registers tsx in it first, then loads measure.ts.
 */
export function entryOf(setup: WorkerSetup): URL {
  if (import.meta.url.endsWith('.ts')) return new URL('./worker/entry.mjs', import.meta.url);
  const bundle = new URL('./worker/measure.bundle.cjs', import.meta.url);
  return setup.modules.length === 0 && existsSync(bundle) ? bundle : new URL('./worker/measure.js', import.meta.url);
}

/** What a worker said, kept in order until a pool listens (a spare's answer to a task handed to it early). */
type Heard =
  | { kind: 'message'; value: WorkerReply }
  | { kind: 'error'; value: Error }
  | { kind: 'exit'; value: number };

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
export interface TakenSpare {
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
export function takeSpare(setup: WorkerSetup, pick: FirstTask): TakenSpare | null {
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

/** The run's task list, as far as a spare needs it (parallel.ts TaskPicker). */
interface FirstTask {
  takeFirstIf(match: (t: PoolTask) => boolean): PoolTask | undefined;
}
