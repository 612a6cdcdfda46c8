import type { SlubModelInput } from '../../strategies/slub/strategy.ts';
import type { SlabSysfs, TableAllocator } from '../../strategies/types.ts';

/**
 * The messages between `kernel check` and the thread that replays its models (model-worker.ts).
 * The main thread keeps the live cache, the signals and the clean-up; the thread replays the
 * events of each batch on the models and answers with their counters at every checkpoint, so a
 * model stuck in a loop stops with the thread (Worker.terminate) and never holds the signals up.
 */

/** A maintenance step between events: kmem_cache_shrink, or flush_all alone. */
export type MaintenanceStep = 'shrink' | 'flush';

/** What the check does between two comparisons: an event, a shrink or flush of the cache, the end. */
export type Step = 'alloc' | 'free' | MaintenanceStep | 'end';

/** Where checkpoints fall: after every `every` events, and after each step's every `every` events. */
export interface Schedule {
  readonly every: number;
  readonly steps: readonly { readonly step: MaintenanceStep; readonly every: number }[];
}

/**
 * A test hook, set by L2BENCH_TEST_MODEL_FAULT (CONTRIBUTING: Checks): the model loops for ever
 * (`hang`) or throws (`throw`) when it is given event `at` (counted from 1) of a workload.
 */
export interface ModelFault {
  readonly kind: 'hang' | 'throw';
  readonly at: number;
}

/**
 * A model compared beside the check's own, on the same live counters at the same checkpoints: the
 * mutation test's mutants (each one rule changed) must each differ from the kernel somewhere. It
 * is built from what the check builds its own model from (slubCacheModel's input), in the model
 * thread: a module exports them as `variants` (CheckOptions.variantsModule).
 */
export interface ModelVariant {
  readonly name: string;
  create(input: SlubModelInput): TableAllocator;
}

/** What the thread is started with: the models' input (without pages: each model gets its own machine). */
export interface ModelSetup {
  readonly input: Omit<SlubModelInput, 'pages'>;
  /** The cache's name: the account the model's pages are counted under. */
  readonly cache: string;
  readonly schedule: Schedule;
  /** A module whose `variants` export (ModelVariant[]) is replayed beside the model; null: none. */
  readonly variantsModule: string | null;
  readonly fault: ModelFault | null;
}

/** Main thread → model thread. */
export type ToModel =
  /** Fresh models for a workload; with `viewAt`, replay only the model and show its sysfs view at that checkpoint (0-based). */
  | { readonly type: 'workload'; readonly viewAt: number | null }
  /**
   * The next events of the workload (kind, table id and the workload's CPU of each); `last`: the
   * workload ends after them. `drop`: variants the main thread saw differ, no longer replayed.
   */
  | {
      readonly type: 'events';
      readonly kind: Uint8Array;
      readonly id: Int32Array;
      readonly cpu: Uint16Array;
      readonly last: boolean;
      readonly drop: readonly number[];
    };

/** A model that threw (or a model thread that failed): where, and its message. */
export interface ModelFailure {
  /** Events replayed before the failing one (as a divergence counts them). */
  readonly event: number;
  readonly step: Step;
  readonly message: string;
}

/** A variant that threw, and the checkpoints of its batch that came before. */
export interface VariantFailure extends ModelFailure {
  readonly variant: number;
  readonly id: number;
  readonly cpu: number;
  readonly checkpointsBefore: number;
}

/** Model thread → main thread, one answer per `events` message (and one `ready` at the start). */
export type FromModel =
  | { readonly type: 'ready'; readonly variants: readonly string[] }
  | {
      readonly type: 'replayed';
      /** slabs, partial, cpu_slabs, slabs_cpu_partial of the model at each checkpoint of the batch. */
      readonly counters: Int32Array;
      /** Each maintenance step due in the batch, in order: 1 made, 0 skipped (slabs on several CPUs). */
      readonly made: Uint8Array;
      /** The same four counters of every variant at each checkpoint (checkpoint-major); −1 where not replayed. */
      readonly variantCounters: Int32Array;
      readonly variantFailures: readonly VariantFailure[];
      /** The model threw: the counters stop before the failing event or step. */
      readonly failure: ModelFailure | null;
      /** The view asked for by `viewAt`, when the batch reached it. */
      readonly view: SlabSysfs | null;
    };

/** The four counters, in the order of the counters arrays. */
export const COUNTERS = ['slabs', 'partial', 'cpu_slabs', 'slabs_cpu_partial'] as const;
