import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { eventStreamId } from '../core/cell-key.ts';
import { InputError } from '../core/errors.ts';
import { DEFAULT_PLATFORM } from '../core/platforms.ts';
import type { FullRecord } from '../core/record.ts';
import { type CostTable, kernelNsPerOp } from '../results/costs.ts';
import { MemoryRecords, type RecordStore } from '../results/record-store.ts';
import type { EventChunk, Workload } from '../workloads/events.ts';
import { holdEvents, MAX_HELD_EVENTS } from '../workloads/held-events.ts';
import { type Cell, Machines, measureCell } from './cell.ts';
import { type PoolTask, runInWorkers } from './parallel.ts';
import { DEFAULT_ROUNDS, summarizeTiming, timeRound } from './throughput.ts';
import type { CellJob, WorkerReply } from './worker/protocol.ts';

export interface RunOptions {
  /** Time each cell: a budget in ms per cell, spread over `rounds` rounds; null skips throughput. */
  throughput?: { timeMs: number; rounds?: number } | null;
  /** Called after each step: the record is complete for memory, and again after each round of timing. */
  onProgress?: (done: number, total: number, record: FullRecord) => void;
  /** Called when a cell fails or times out (its state says how). */
  onFailure?: (position: number, state: CellState) => void;
  /** Stop at once when aborted: running cells are stopped, finished cells are kept. */
  signal?: AbortSignal;
  /** Where records go as they finish, by position in `cells` (default: in memory): a caller can save them at any time. */
  records?: RecordStore;
  /** Where each cell's state goes, by position in `cells` (default: a new array). */
  states?: CellState[];
  /** Worker threads for the exact metrics (default 1). Throughput is timed in one worker at a time. */
  jobs?: number;
  /** A cell step (its exact metrics, or one round of timing) running longer is stopped and fails. */
  cellTimeoutMs?: number | null;
  /** The cost table that gives each record its modelled kernel cost. */
  costs?: CostTable;
}

/** How far a cell got. */
export interface CellState {
  /** Its exact metrics are measured: its record is in the store. */
  measured: boolean;
  /** Rounds of timing done. */
  rounds: number;
  /** The stream is too long to hold in memory for timing: it is not timed, by design. */
  untimable: boolean;
  failure: { step: 'metrics' | 'throughput'; reason: 'failed' | 'timeout'; error: string } | null;
}

export interface RunOutcome {
  records: RecordStore;
  states: CellState[];
  interrupted: boolean;
}

/** Workloads' event streams in shared memory, each kept once, up to MAX_HELD_EVENTS in all. */
class SharedStreams {
  readonly #streams = new Map<Workload, EventChunk>();
  #events = 0;

  keep(workload: Workload, events: EventChunk): void {
    if (this.#streams.has(workload) || this.#events + events.length > MAX_HELD_EVENTS) return;
    this.#streams.set(workload, events);
    this.#events += events.length;
  }

  get(workload: Workload): EventChunk | undefined {
    return this.#streams.get(workload);
  }
}

/** The job a worker rebuilds a cell from; null for a cell that cannot travel (a Strategy object given to the API). */
function jobOf(cell: Cell): CellJob | null {
  if (!cell.source || cell.source.module === undefined) return null;
  return {
    source: cell.source,
    strategyLabel: cell.strategyLabel,
    machine: cell.machine,
    kernel: cell.kernel,
    platform: cell.platform ?? DEFAULT_PLATFORM,
    machineOverrides: cell.machineOverrides ?? [],
    seed: cell.seed,
    check: cell.check,
  };
}

/** A cell's error in one line: an invariant the checker caught, or the error's class and message. */
const describe = (e: unknown): string => {
  const err = e as Error;
  if (err?.name === 'InvariantError') return `invariant broken: ${err.message}`;
  return err?.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : String(err?.message ?? e);
};

/**
 * Run cells: first every cell's exact metrics, on `jobs` worker threads, then (if asked) its
 * throughput in rounds. Each round times every cell once, in a new worker thread (a fresh V8 isolate:
 * its own JIT state and heap), one cell at a time so no two timings share the CPU; each workload's
 * strategies in an order rotated from one workload and one round to the next, so that no strategy
 * always goes first. Rounds interleave the cells in time, so a change of machine load mid-run
 * falls on every cell alike. Cells run where they can be stopped: Ctrl-C (the signal) stops the run
 * at once, keeping every finished cell; a cell that throws or runs past the timeout fails alone.
 * Cells whose strategy cannot travel to a worker run in this thread and cannot be stopped midway.
 */
export async function runCells(cells: readonly Cell[], options: RunOptions = {}): Promise<RunOutcome> {
  const records: RecordStore = options.records ?? new MemoryRecords();
  const states: CellState[] = options.states ?? [];
  states.length = 0;
  for (let i = 0; i < cells.length; i++) states.push({ measured: false, rounds: 0, untimable: false, failure: null });
  const rounds = options.throughput ? (options.throughput.rounds ?? DEFAULT_ROUNDS) : 0;
  const timedCount = options.throughput ? cells.filter((c) => c.timed).length : 0;
  const total = cells.length + timedCount * rounds;
  let done = 0;
  const signal = options.signal;
  const timeoutMs = options.cellTimeoutMs ?? null;
  const jobs = cells.map(jobOf);
  const modules = [...new Set(cells.map((c) => c.source?.module).filter((m): m is string => typeof m === 'string'))];
  const machines = new Machines(2);

  const fail = (i: number, step: 'metrics' | 'throughput', reason: 'failed' | 'timeout', error: string) => {
    const state = states[i] as CellState;
    state.failure = { step, reason, error };
    options.onFailure?.(i, state);
  };

  // Exact metrics.
  const measured = (i: number, record: FullRecord) => {
    if (options.costs) record.kernel_ns_per_op = kernelNsPerOp(record, options.costs);
    (states[i] as CellState).measured = true;
    records.put(i, record);
    options.onProgress?.(++done, total, record);
  };
  // The streams the exact metrics generated, kept for the rounds of timing (within a bound).
  const streams = new SharedStreams();
  const portable: PoolTask[] = [];
  const local: number[] = [];
  cells.forEach((cell, i) => {
    const job = jobs[i];
    const share = Boolean(options.throughput) && cell.timed;
    if (!job) local.push(i);
    else {
      const group = eventStreamId({ workload: job.source.workload, cpus: job.machine.cpus, seed: job.seed });
      portable.push({ position: i, group, task: { kind: 'measure', job, ...(share ? { share } : {}) } });
    }
  });
  let interrupted = await runInWorkers(portable, {
    workers: Math.max(1, options.jobs ?? 1),
    modules,
    timeoutMs,
    ...(signal ? { signal } : {}),
    onReply: (i, reply) => {
      if ('record' in reply) {
        if (reply.events) streams.keep((cells[i] as Cell).workload, reply.events);
        measured(i, reply.record);
      } else if ('error' in reply) fail(i, 'metrics', 'failed', describe(reply.error));
    },
    onLost: (i, reason, why) => fail(i, 'metrics', reason, why),
  });
  for (const i of local) {
    if (interrupted) break;
    await yieldToEventLoop();
    if (signal?.aborted) interrupted = true;
    else {
      const cell = cells[i] as Cell;
      try {
        measured(i, measureCell(cell, machines.get(cell.machine)));
      } catch (e) {
        if (e instanceof InputError) throw e;
        fail(i, 'metrics', 'failed', describe(e));
      }
    }
  }
  if (interrupted || !options.throughput || timedCount === 0) return { records, states, interrupted };

  // Throughput, in rounds.
  const budgetMs = options.throughput.timeMs / rounds;
  const samples: number[][][] = cells.map(() => []);
  const timed = (i: number, events: number, round: number[] | null) => {
    const state = states[i] as CellState;
    const record = records.get(i) as FullRecord;
    if (round === null) state.untimable = true;
    else {
      (samples[i] as number[][]).push(round);
      state.rounds++;
      const { samples: all, rounds: medians, ...columns } = summarizeTiming(events, samples[i] as number[][]);
      Object.assign(record, columns);
      record.detail.samples = all;
      record.detail.rounds = medians;
      records.put(i, record);
    }
    options.onProgress?.(++done, total, record);
  };
  const groups = new Map<unknown, number[]>();
  cells.forEach((cell, i) => {
    if (!cell.timed) return;
    const list = groups.get(cell.workload);
    if (list) list.push(i);
    else groups.set(cell.workload, [i]);
  });
  const localEvents = new Map<unknown, EventChunk | null>();
  const workloads = [...groups.values()];
  for (let r = 0; r < rounds && !interrupted; r++) {
    // Workloads from a different one first in each round, and each workload's strategies rotated.
    const order: number[] = [];
    for (let g = 0; g < workloads.length; g++) {
      const members = workloads[(g + r) % workloads.length] as number[];
      for (let k = 0; k < members.length; k++) order.push(members[(k + g + r) % members.length] as number);
    }
    const live = order.filter((i) => {
      const s = states[i] as CellState;
      return s.measured && s.failure === null && !s.untimable;
    });
    const tasks: PoolTask[] = [];
    for (const i of live) {
      const job = jobs[i];
      if (!job) continue;
      const events = streams.get((cells[i] as Cell).workload);
      tasks.push({ position: i, task: { kind: 'time', job, budgetMs, ...(events ? { events } : {}) } });
    }
    interrupted = await runInWorkers(tasks, {
      workers: 1,
      modules,
      timeoutMs,
      ...(signal ? { signal } : {}),
      onReply: (i, reply: WorkerReply) => {
        if ('samples' in reply) timed(i, reply.events, reply.samples);
        else if ('error' in reply) fail(i, 'throughput', 'failed', describe(reply.error));
      },
      onLost: (i, reason, why) => fail(i, 'throughput', reason, why),
    });
    for (const i of live) {
      if (interrupted || jobs[i]) continue;
      await yieldToEventLoop();
      if (signal?.aborted) {
        interrupted = true;
        continue;
      }
      const cell = cells[i] as Cell;
      try {
        if (!localEvents.has(cell.workload)) localEvents.set(cell.workload, holdEvents(cell.workload));
        const events = localEvents.get(cell.workload) ?? null;
        timed(i, events?.length ?? 0, events ? timeRound(cell, events, machines.get(cell.machine), budgetMs) : null);
      } catch (e) {
        if (e instanceof InputError) throw e;
        fail(i, 'throughput', 'failed', describe(e));
      }
    }
  }
  return { records, states, interrupted };
}
