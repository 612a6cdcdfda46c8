import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { InputError } from '../core/errors.ts';
import type { EventChunk, Workload } from '../workloads/events.ts';
import { holdEvents } from '../workloads/held-events.ts';
import { type Cell, Machines, measureCell } from './cell.ts';
import { jobOf, measureTask } from './cell-job.ts';
import { runInWorkers } from './parallel.ts';
import { timeRound } from './throughput.ts';
import type { CellJob, PoolTask, WorkerReply, WorkerTask } from './worker/protocol.ts';

/** One step of a cell: its exact metrics, or one round of its timing. */
export type CellStep =
  /** `share`: hand the workload's events back (shared memory) for the rounds of timing to replay. */
  | { readonly kind: 'measure'; readonly position: number; readonly share: boolean }
  /** `events`: the workload's stream, when held; without it the stream is generated again. */
  | { readonly kind: 'time'; readonly position: number; readonly budgetMs: number; readonly events?: EventChunk };

/** Where a step's answer goes: a record, samples or the error its cell threw; or the step lost (timeout, a dead worker). */
export interface StepHandlers {
  onReply(position: number, reply: WorkerReply): void;
  onLost(position: number, reason: 'timeout' | 'failed', why: string): void;
}

/**
 * Where cells run. Both executors take the same steps and answer through the same handlers, so a
 * run has one path whatever runs its cells. Resolves to whether the run was stopped (the signal).
 */
export interface CellExecutor {
  run(steps: readonly CellStep[], handlers: StepHandlers): Promise<boolean>;
}

/**
 * Worker threads, each a fresh V8 isolate: a step can always be stopped (on the signal every
 * worker is terminated; past the timeout, that step fails alone). A workload's steps go to one
 * worker where they can, which keeps its events between them.
 */
export class WorkerExecutor implements CellExecutor {
  constructor(
    private readonly cells: readonly Cell[],
    private readonly o: { workers: number; timeoutMs: number | null; signal?: AbortSignal },
  ) {}

  run(steps: readonly CellStep[], handlers: StepHandlers): Promise<boolean> {
    const alone = steps.length === 1;
    const tasks: PoolTask[] = steps.map((step) => {
      const cell = this.cells[step.position] as Cell;
      const job = jobOf(cell) as CellJob;
      // Literals, not spreads: a run of 10^6 cells makes a task for each before it starts (and
      // before a stop signal can be heard), and spreading made that seconds, not milliseconds.
      if (step.kind === 'time') {
        const { budgetMs, events } = step;
        const task: WorkerTask = events ? { kind: 'time', job, budgetMs, events } : { kind: 'time', job, budgetMs };
        return { position: step.position, task };
      }
      return measureTask(job, step.position, step.share, alone);
    });
    const modules = [...new Set(this.cells.map((c) => c.source?.module).filter((m) => typeof m === 'string'))];
    return runInWorkers(tasks, {
      workers: this.o.workers,
      modules,
      timeoutMs: this.o.timeoutMs,
      ...(this.o.signal ? { signal: this.o.signal } : {}),
      onReply: handlers.onReply,
      onLost: handlers.onLost,
    });
  }
}

/**
 * This thread, for cells whose strategy cannot travel to a worker (a Strategy object given to the
 * API): the signal is looked at between steps, so a step stuck in a loop cannot be stopped.
 */
export class LocalExecutor implements CellExecutor {
  readonly #machines = new Machines(2);
  /** Each workload's events, held for its rounds of timing (null: too long to hold). */
  readonly #events = new Map<Workload, EventChunk | null>();

  constructor(
    private readonly cells: readonly Cell[],
    private readonly signal?: AbortSignal,
  ) {}

  async run(steps: readonly CellStep[], handlers: StepHandlers): Promise<boolean> {
    for (const step of steps) {
      await yieldToEventLoop();
      if (this.signal?.aborted) return true;
      handlers.onReply(step.position, this.#step(step));
    }
    return false;
  }

  /** The step's answer as a worker would send it; bad input stops the run, as from a worker. */
  #step(step: CellStep): WorkerReply {
    const cell = this.cells[step.position] as Cell;
    const index = step.position;
    try {
      const machine = this.#machines.get(cell.machine);
      if (step.kind === 'measure') return { index, record: measureCell(cell, machine) };
      if (!this.#events.has(cell.workload)) this.#events.set(cell.workload, holdEvents(cell.workload));
      const events = this.#events.get(cell.workload) ?? null;
      if (!events) return { index, samples: null, events: 0 };
      return { index, samples: timeRound(cell, events, machine, step.budgetMs), events: events.length };
    } catch (e) {
      if (e instanceof InputError) throw e;
      const err = e as Error;
      return { index, error: { name: err?.name || 'Error', message: String(err?.message ?? e) } };
    }
  }
}
