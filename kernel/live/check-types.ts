import type { ModelFailure, Step } from './model-protocol.ts';
import type { CacheGeometry, LiveCounters } from './probe.ts';

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

export interface Divergence {
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

export interface Maintenance {
  shrinks: number;
  flushes: number;
  skipped: number;
}

export interface WorkloadCheck {
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
  /** The model threw: the workload (and the check) stopped before the failing event or step. */
  readonly modelError: ModelFailure | null;
  readonly queues: number;
  /** Shrinks and flushes made, and those skipped because more than one CPU held slabs. */
  readonly maintenance: Maintenance;
  /** Each variant's first difference from the live cache in this workload, or null. */
  readonly variants: readonly { readonly name: string; readonly divergence: VariantDivergence | null }[];
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
  /** The model threw in this workload; the workloads after it were not checked. */
  readonly modelError: (ModelFailure & { workload: string }) | null;
  readonly csv: string | null;
}
