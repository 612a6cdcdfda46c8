import type { FullRecord } from '../core/record.ts';
import { type CostTable, kernelNsPerOp } from '../results/costs.ts';
import { MemoryRecords, type RecordStore } from '../results/record-store.ts';
import type { EventChunk, Workload } from '../workloads/events.ts';
import { MAX_HELD_EVENTS } from '../workloads/held-events.ts';
import type { Cell } from './cell.ts';
import {
  type CellExecutor,
  type CellStep,
  LocalExecutor,
  type StepHandlers,
  WorkerExecutor,
} from './cell-executors.ts';
import { jobOf } from './cell-job.ts';
import { DEFAULT_ROUNDS } from './options.ts';
import { summarizeTiming } from './throughput.ts';
import type { WorkerReply } from './worker/protocol.ts';

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

/** A cell's error in one line: an invariant the checker caught, or the error's class and message. */
const describe = (e: { name?: string; message?: string }): string => {
  if (e.name === 'InvariantError') return `invariant broken: ${e.message}`;
  return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : String(e.message);
};

/**
 * Run cells: first every cell's exact metrics, on `jobs` worker threads, then (if asked) its
 * throughput in rounds. Each round times every cell once, in a new worker thread (a fresh V8 isolate:
 * its own JIT state and heap), one cell at a time so no two timings share the CPU; each workload's
 * strategies in an order rotated from one workload and one round to the next, so that no strategy
 * always goes first. Rounds interleave the cells in time, so a change of machine load mid-run
 * falls on every cell alike. Cells run where they can be stopped: Ctrl-C (the signal) stops the run
 * at once, keeping every finished cell; a cell that throws or runs past the timeout fails alone.
 * Cells whose strategy cannot travel to a worker run in this thread (LocalExecutor) and cannot be
 * stopped midway; every step goes through the same path whichever executor runs it.
 */
export async function runCells(cells: readonly Cell[], options: RunOptions = {}): Promise<RunOutcome> {
  const run = new CellRun(cells, options);
  let interrupted = await run.step('metrics', run.measureSteps(), Math.max(1, options.jobs ?? 1));
  for (let r = 0; r < run.rounds && !interrupted; r++) interrupted = await run.step('throughput', run.roundSteps(r), 1);
  return { records: run.records, states: run.states, interrupted };
}

/** One run of cells: their states and records, and what each step's answer does to them. */
class CellRun {
  readonly records: RecordStore;
  readonly states: CellState[];
  /** Rounds of timing (0 without throughput). */
  readonly rounds: number;
  readonly #cells: readonly Cell[];
  readonly #o: RunOptions;
  readonly #local: LocalExecutor;
  /** Which cells can run in a worker thread. */
  readonly #portable: boolean[];
  /** The streams the exact metrics generated, kept for the rounds of timing (within a bound). */
  readonly #streams = new SharedStreams();
  readonly #samples: number[][][];
  readonly #total: number;
  #done = 0;

  constructor(cells: readonly Cell[], o: RunOptions) {
    this.#cells = cells;
    this.#o = o;
    this.records = o.records ?? new MemoryRecords();
    this.states = o.states ?? [];
    this.states.length = 0;
    for (let i = 0; i < cells.length; i++) {
      this.states.push({ measured: false, rounds: 0, untimable: false, failure: null });
    }
    const timed = o.throughput ? cells.filter((c) => c.timed).length : 0;
    this.rounds = timed && o.throughput ? (o.throughput.rounds ?? DEFAULT_ROUNDS) : 0;
    this.#total = cells.length + timed * this.rounds;
    this.#portable = cells.map((c) => jobOf(c) !== null);
    this.#local = new LocalExecutor(cells, o.signal);
    this.#samples = cells.map(() => []);
  }

  /** Run steps on both executors (worker threads for the cells that can travel there, then this thread). */
  async step(kind: 'metrics' | 'throughput', steps: readonly CellStep[], workers: number): Promise<boolean> {
    const handlers: StepHandlers = {
      onReply: (i, reply) => this.#reply(kind, i, reply),
      onLost: (i, reason, why) => this.#fail(i, kind, reason, why),
    };
    const timeoutMs = this.#o.cellTimeoutMs ?? null;
    const signal = this.#o.signal ? { signal: this.#o.signal } : {};
    const workerExecutor = new WorkerExecutor(this.#cells, { workers, timeoutMs, ...signal });
    const executors: [CellExecutor, CellStep[]][] = [
      [workerExecutor, steps.filter((s) => this.#portable[s.position])],
      [this.#local, steps.filter((s) => !this.#portable[s.position])],
    ];
    for (const [executor, mine] of executors) if (await executor.run(mine, handlers)) return true;
    return false;
  }

  /** Every cell's exact metrics, sharing each timed workload's events for the rounds to come. */
  measureSteps(): CellStep[] {
    const share = Boolean(this.#o.throughput);
    return this.#cells.map((cell, position) => ({ kind: 'measure', position, share: share && cell.timed }));
  }

  /**
   * Round r: every timed cell still to time once; workloads from a different one first in each round,
   * and each workload's strategies rotated.
   */
  roundSteps(r: number): CellStep[] {
    const budgetMs = (this.#o.throughput?.timeMs ?? 0) / this.rounds;
    const groups = new Map<Workload, number[]>();
    this.#cells.forEach((cell, i) => {
      if (!cell.timed) return;
      const list = groups.get(cell.workload);
      if (list) list.push(i);
      else groups.set(cell.workload, [i]);
    });
    const workloads = [...groups.values()];
    const steps: CellStep[] = [];
    for (let g = 0; g < workloads.length; g++) {
      const members = workloads[(g + r) % workloads.length] as number[];
      for (let k = 0; k < members.length; k++) {
        const position = members[(k + g + r) % members.length] as number;
        const s = this.states[position] as CellState;
        if (!s.measured || s.failure !== null || s.untimable) continue;
        const events = this.#streams.get((this.#cells[position] as Cell).workload);
        steps.push({ kind: 'time', position, budgetMs, ...(events ? { events } : {}) });
      }
    }
    return steps;
  }

  #reply(kind: 'metrics' | 'throughput', i: number, reply: WorkerReply): void {
    if ('error' in reply) this.#fail(i, kind, 'failed', describe(reply.error));
    else if ('record' in reply) {
      if (reply.events) this.#streams.keep((this.#cells[i] as Cell).workload, reply.events);
      this.#measured(i, reply.record);
    } else this.#timed(i, reply.events, reply.samples);
  }

  #measured(i: number, record: FullRecord): void {
    if (this.#o.costs) record.kernel_ns_per_op = kernelNsPerOp(record, this.#o.costs);
    (this.states[i] as CellState).measured = true;
    this.records.put(i, record);
    this.#o.onProgress?.(++this.#done, this.#total, record);
  }

  /** A round of timing: the record again with every round so far (null: the stream is too long to time). */
  #timed(i: number, events: number, round: number[] | null): void {
    const state = this.states[i] as CellState;
    const record = this.records.get(i) as FullRecord;
    if (round === null) state.untimable = true;
    else {
      const samples = this.#samples[i] as number[][];
      samples.push(round);
      state.rounds++;
      const { samples: all, rounds: medians, ...columns } = summarizeTiming(events, samples);
      Object.assign(record, columns);
      record.detail.samples = all;
      record.detail.rounds = medians;
      this.records.put(i, record);
    }
    this.#o.onProgress?.(++this.#done, this.#total, record);
  }

  #fail(i: number, step: 'metrics' | 'throughput', reason: 'failed' | 'timeout', error: string): void {
    const state = this.states[i] as CellState;
    state.failure = { step, reason, error };
    this.#o.onFailure?.(i, state);
  }
}
