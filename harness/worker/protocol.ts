import type { InputError } from '../../core/errors.ts';
import type { KernelVersion } from '../../core/kernel.ts';
import type { FullRecord } from '../../core/record.ts';
import type { MachineOptions } from '../../strategies/machine/machine.ts';
import type { EventChunk } from '../../workloads/events.ts';

/** A cell as plain data: enough for another thread to rebuild it, and its place in the plan. */
export interface CellSource {
  /** The strategy spec as resolved (`genalloc:algo=best`). */
  readonly strategy: string;
  /** The module the strategy came from, if not built in (null: built in; undefined: an object that cannot travel). */
  readonly module: string | null | undefined;
  /** One expanded workload spec (`hold:tables=8`). */
  readonly workload: string;
  /** Position in the whole plan: shards and parallel runs keep this order. */
  readonly index: number;
}

/** A cell sent to a worker: its source and what the source does not say. */
export interface CellJob {
  readonly source: CellSource;
  readonly strategyLabel: string;
  readonly machine: MachineOptions;
  readonly kernel: KernelVersion;
  readonly platform: string;
  readonly machineOverrides: readonly string[];
  readonly seed: number;
  readonly check: boolean;
}

/** What a worker is asked to do with a cell: measure its exact metrics, or time one round of it. */
export type WorkerTask =
  /**
   * `share`: send the workload's events back (shared memory) for the rounds of timing to replay.
   * `alone`: the run's only step: its stream is replayed as it is read, not held for another.
   */
  | { readonly kind: 'measure'; readonly job: CellJob; readonly share?: boolean; readonly alone?: boolean }
  /** `events`: the workload's stream, shared by the main thread; without it the worker generates it. */
  | { readonly kind: 'time'; readonly job: CellJob; readonly budgetMs: number; readonly events?: EventChunk };

/** An error as it crosses threads: its class name, message and, for bad input (an InputError), its parts. */
export interface WorkerError {
  readonly name: string;
  readonly message: string;
  /** Bad input: the run stops, as it would have before it started. */
  readonly input_fault?: boolean;
  readonly problem?: string;
  readonly input?: InputError['input'];
}

export type WorkerReply =
  | { readonly index: number; readonly record: FullRecord; readonly events?: EventChunk }
  /** One round's samples in ms per replay; null when the stream is too long to hold in memory. */
  | { readonly index: number; readonly samples: number[] | null; readonly events: number }
  | { readonly index: number; readonly error: WorkerError };

/** What every worker is started with: the strategy modules to load. */
export interface WorkerSetup {
  readonly modules: readonly string[];
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
